/**
 * postgresql.conf values checked the way PostgreSQL 16 parses them (guc.c: parse_bool, parse_int,
 * parse_real, convert_to_base_unit; https://www.postgresql.org/docs/16/config-setting.html), against
 * catalog.json. String parameters are checked for type only: their check hooks run in the server.
 */
import type { ParameterValue } from '../config/environment.ts';
import { catalogEntry, catalogNames, type CatalogEntry } from './catalog.ts';
import { closestName } from '../config/suggest.ts';
import { BUNDLE_OWNED_PARAMETERS, REPLICATION_OWNED_PARAMETERS } from './owned-parameters.ts';

export { BUNDLE_OWNED_PARAMETERS, REPLICATION_OWNED_PARAMETERS } from './owned-parameters.ts';

// Unit sizes in the smallest unit (bytes, microseconds), smallest first: PostgreSQL rounds a fractional
// value to the next smaller unit, and only the spellings below are accepted, case-sensitively.
const MEMORY_UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS: Readonly<Record<string, number>> = { us: 1, ms: 1e3, s: 1e6, min: 6e7, h: 3.6e9, d: 8.64e10 };
const BOOLEAN_SPELLINGS = ['on', 'off', 'true', 'false', 'yes', 'no', '1', '0'];
const INT_MAX = 2147483647;
// pg_settings shows these through show hooks, in octal ("%04o").
const OCTAL_SETTINGS = new Set(['unix_socket_permissions', 'log_file_mode', 'data_directory_mode']);

interface UnitKind {
  readonly units: Readonly<Record<string, number>>;
  /** Size of the parameter's base unit in the smallest unit, e.g. 8192 for "8kB". */
  readonly base: number;
}

type Interpretation = { readonly problem: string } | { readonly setting: string; readonly base?: number };

/** Why `value` cannot be written for `name` (without the "<env>: postgresql.<name>: " prefix), or undefined. */
export function parameterProblem(name: string, value: ParameterValue): string | undefined {
  const result = interpret(name, value);
  return 'problem' in result ? result.problem : undefined;
}

/**
 * The value exactly as pg_settings.setting shows it once the server has applied it (base units,
 * "on"/"off", the enum's own spelling). Throws on a value parameterProblem refuses. Not predicted:
 * values the server derives at start (wal_buffers -1 shows the auto-tuned size; archive_command
 * shows "(disabled)" without archive_mode) and strings a check hook rewrites (DateStyle, TimeZone).
 */
export function normalizedSetting(name: string, value: ParameterValue): string {
  return settled(name, value).setting;
}

/** The number in the parameter's base unit (e.g. 32768 for shared_buffers "256MB", unit 8kB). */
export function parameterBaseValue(name: string, value: ParameterValue): number {
  const { base } = settled(name, value);
  if (base === undefined) throw new Error(`${name} is not a numeric parameter`);
  return base;
}

/** A memory parameter in bytes. Special values stay negative: wal_buffers -1 gives -8192 (one 8kB unit). */
export function parameterBytes(name: string, value: ParameterValue): number {
  const kind = unitKind(catalogEntry(name)?.unit ?? null);
  if (kind?.units !== MEMORY_UNITS) throw new Error(`${name} is not a memory parameter`);
  return parameterBaseValue(name, value) * kind.base;
}

/** How to write a value in postgresql.conf: numbers bare, booleans on/off, strings quoted and escaped. */
export function formatParameterValue(value: ParameterValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} cannot be written in postgresql.conf`);
    return String(value);
  }
  // The conf lexer reads backslash escapes inside quotes, so a literal backslash must be doubled.
  const escaped = value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `'${escaped}'`;
}

function settled(name: string, value: ParameterValue): { setting: string; base?: number } {
  const result = interpret(name, value);
  if ('problem' in result) throw new Error(`${name}: ${result.problem}`);
  return result;
}

function interpret(name: string, value: ParameterValue): Interpretation {
  const entry = catalogEntry(name);
  if (!entry) return { problem: unknownName(name) };
  if (name !== name.toLowerCase()) return { problem: `write parameter names in lowercase: "${name.toLowerCase()}"` };
  const owner = Object.hasOwn(BUNDLE_OWNED_PARAMETERS, name) ? BUNDLE_OWNED_PARAMETERS[name] : undefined;
  if (owner) return { problem: `set by the bundle, not by an environment: ${owner}` };
  const replication = Object.hasOwn(REPLICATION_OWNED_PARAMETERS, name)
    ? REPLICATION_OWNED_PARAMETERS[name]
    : undefined;
  if (replication) return { problem: `owned by the bundle's replication, not by an environment: ${replication}` };
  if (entry.context === 'internal') {
    return { problem: 'read-only: it reports how PostgreSQL was built or initialised and cannot be set' };
  }
  switch (entry.vartype) {
    case 'bool':
      return interpretBool(value);
    case 'enum':
      return interpretEnum(entry, value);
    case 'string':
      return typeof value === 'string' ? { setting: value } : { problem: `expects a string, not ${describe(value)}` };
    case 'integer':
    case 'real':
      return interpretNumber(entry, value);
  }
}

function interpretBool(value: ParameterValue): Interpretation {
  if (typeof value === 'boolean') return { setting: value ? 'on' : 'off' };
  const text = String(value).toLowerCase();
  if (BOOLEAN_SPELLINGS.includes(text)) return { setting: ['on', 'true', 'yes', '1'].includes(text) ? 'on' : 'off' };
  return { problem: `expects a boolean (true/false, or ${BOOLEAN_SPELLINGS.join(', ')}), not ${describe(value)}` };
}

function interpretEnum(entry: CatalogEntry, value: ParameterValue): Interpretation {
  const allowed = entry.enumvals ?? [];
  const text = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  // PostgreSQL compares case-insensitively and shows its own spelling.
  const match = allowed.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
  if (match !== undefined) return { setting: match };
  return { problem: `${describe(value)} is not one of ${allowed.map((v) => `"${v}"`).join(', ')}` };
}

function interpretNumber(entry: CatalogEntry, value: ParameterValue): Interpretation {
  const integer = entry.vartype === 'integer';
  const expected = `expects ${integer ? 'an integer' : 'a number'}${unitHint(entry)}`;
  if (typeof value === 'boolean') return { problem: `${expected}, not ${describe(value)}` };
  const kind = unitKind(entry.unit);
  const parsed = parseNumber(String(value), integer);
  if (!parsed) return { problem: `${expected}, not ${describe(value)}` };
  let base = parsed.number;
  if (parsed.unit) {
    if (!kind) return { problem: `takes no unit: write a plain number, not ${describe(value)}` };
    const converted = toBaseUnit(parsed.number, parsed.unit, kind);
    if (converted === undefined) {
      return {
        problem: `${describe(value)} has an invalid unit; valid units are ${Object.keys(kind.units).join(', ')} (case-sensitive)`,
      };
    }
    base = converted;
  }
  if (integer) {
    base = rint(base);
    if (base > INT_MAX || base < -INT_MAX - 1) return { problem: `${describe(value)} exceeds the integer range` };
  }
  const min = Number(entry.min_val);
  const max = Number(entry.max_val);
  if (base < min || base > max) {
    const range = `${withUnit(min, kind, integer)} .. ${withUnit(max, kind, integer)}`;
    return { problem: `${describe(value)} is outside the allowed range ${range}` };
  }
  return { setting: integer ? integerSetting(entry.name, base) : formatG(base), base };
}

/** strtol(value, 0) and, when that stops at ".", "e" or nothing, strtod, as parse_int does. */
function parseNumber(text: string, integer: boolean): { number: number; unit: string } | undefined {
  const asInteger = integer ? /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)/i.exec(text) : null;
  if (asInteger && !/^[.eE]/.test(text.slice(asInteger[0].length))) {
    const digits = asInteger[2];
    const radix = /^0x/i.test(digits) ? 16 : digits.length > 1 && digits.startsWith('0') ? 8 : 10;
    const magnitude = parseInt(radix === 16 ? digits.slice(2) : digits, radix);
    return { number: asInteger[1] === '-' ? -magnitude : magnitude, unit: text.slice(asInteger[0].length).trim() };
  }
  const asReal = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text);
  if (!asReal) return undefined;
  const number = Number(asReal[0].trim());
  return Number.isFinite(number) ? { number, unit: text.slice(asReal[0].length).trim() } : undefined;
}

/** convert_to_base_unit: multiply, then round to a whole number of the next smaller unit. */
function toBaseUnit(value: number, unit: string, kind: UnitKind): number | undefined {
  const names = Object.keys(kind.units);
  const index = names.indexOf(unit);
  if (index < 0) return undefined;
  const converted = value * (kind.units[unit] / kind.base);
  if (index === 0) return converted;
  const smaller = kind.units[names[index - 1]] / kind.base;
  return rint(converted / smaller) * smaller;
}

function unitKind(unit: string | null): UnitKind | undefined {
  if (!unit) return undefined;
  if (unit in TIME_UNITS) return { units: TIME_UNITS, base: TIME_UNITS[unit] };
  const memory = /^(\d*)(B|kB|MB|GB|TB)$/.exec(unit);
  return memory ? { units: MEMORY_UNITS, base: Number(memory[1] || 1) * MEMORY_UNITS[memory[2]] } : undefined;
}

function unitHint(entry: CatalogEntry): string {
  const kind = unitKind(entry.unit);
  if (!kind) return '';
  return ` with a unit (${Object.keys(kind.units).join(', ')}); a bare number means ${entry.unit}`;
}

/** How SHOW displays a positive base value: in the largest unit it is a whole multiple of. */
function withUnit(base: number, kind: UnitKind | undefined, integer: boolean): string {
  const format = integer ? String : formatG;
  if (!kind || base <= 0) return format(base);
  const inSmallest = base * kind.base;
  // Largest first; a unit no bigger than the base unit always fits (8kB pages show in kB).
  const units = Object.entries(kind.units).reverse();
  const [unit, size] = units.find(([, size]) => size <= kind.base || inSmallest % size === 0)!;
  return `${format(inSmallest / size)}${unit}`;
}

function integerSetting(name: string, base: number): string {
  return OCTAL_SETTINGS.has(name) ? `0${base.toString(8).padStart(3, '0')}` : String(base);
}

/** C's rint(): round half to even. */
function rint(x: number): number {
  const rounded = Math.round(x);
  return Math.abs(x % 1) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** C's printf("%g"): 6 significant digits, exponent form outside 1e-4 .. 1e6, no trailing zeros. */
function formatG(x: number): string {
  if (x === 0) return '0';
  const [mantissa, exponentText] = x.toExponential(5).split('e');
  const exponent = Number(exponentText);
  const trim = (digits: string) => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exponent < -4 || exponent >= 6) {
    return `${trim(mantissa)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return trim(x.toFixed(5 - exponent));
}

function describe(value: ParameterValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${value}`;
}

function unknownName(name: string): string {
  const close = closestName(name, catalogNames());
  return close
    ? `unknown parameter; did you mean "${close}"?`
    : 'unknown parameter: PostgreSQL 16 has no setting by that name';
}
