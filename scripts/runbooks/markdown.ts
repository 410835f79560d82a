import { RUNBOOK_SECTIONS, type RunbookSection } from './sections.ts';

/** A fenced shell block. */
export const sh = (...lines: readonly string[]) => ['```sh', ...lines, '```'].join('\n');

/** A numbered step: its first line after the number, further blocks indented under it. */
export const step = (number: number, text: string, ...blocks: readonly string[]) =>
  [
    `${number}. ${text}`,
    ...blocks.filter(Boolean).map((block) =>
      block
        .split('\n')
        .map((line) => (line ? `   ${line}` : line))
        .join('\n'),
    ),
  ].join('\n\n');

/** Numbered steps from their texts and blocks. */
export const steps = (...items: readonly (readonly [string, ...string[]])[]) =>
  items.map(([text, ...blocks], index) => step(index + 1, text, ...blocks)).join('\n\n');

/** One runbook section: its heading (the title other tools link to) and its blocks, blank-line separated. */
export const section = (key: RunbookSection, ...blocks: readonly string[]) =>
  [`## ${RUNBOOK_SECTIONS[key].title}`, ...blocks.filter(Boolean)].join('\n\n');

/** A link to another section of the same runbook. */
export const see = (key: RunbookSection) => `[${RUNBOOK_SECTIONS[key].title}](#${RUNBOOK_SECTIONS[key].anchor})`;

/** `code`. */
export const code = (text: string | number) => `\`${text}\``;

/** "a, b and c". */
export const list = (items: readonly string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** A value as TypeScript source, the way environment files write it: unquoted keys where possible, single quotes. */
export function tsLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([key, item]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: ${tsLiteral(item)}`,
    );
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);
}

/** An environment file that reuses another's settings with a few changes (runbooks that create an environment). */
export function derivedEnvironmentFile(base: string, changes: Readonly<Record<string, unknown>>): string {
  const id = base.replace(/\W/g, '_');
  const fields = Object.entries(changes)
    .map(([key, value]) => `${key}: ${tsLiteral(value)}`)
    .join(', ');
  return [
    '```ts',
    `// scripts/environments/${changes.name}.ts`,
    `import { defineEnvironment } from '../config/environment.ts';`,
    `import ${id} from './${base}.ts';`,
    '',
    `export default defineEnvironment({ ...${id}, ${fields} });`,
    '```',
  ].join('\n');
}
