import type { ParameterValue } from '../config/environment.ts';
export function parameterProblem(name: string, value: ParameterValue): string | undefined { return undefined; }
export function formatParameterValue(value: ParameterValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}
