import type { Environment } from '../config/environment.ts';
import { quantityValue } from '../config/quantity.ts';
import { bundleParameters } from '../postgres/conf.ts';
import { memoryBudget } from '../postgres/memory-budget.ts';
import { formatParameterValue } from '../postgres/parameters.ts';
import { TUNING_RULES } from '../postgres/tuning.ts';

export const SECTION_START =
  '<!-- configuration:start (npm run build:overlays writes this section; --check fails when it is stale) -->';
export const SECTION_END = '<!-- configuration:end -->';

const MiB = 1024 * 1024;
const cell = (text: string) => text.replace(/\|/g, '\\|');
const row = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;

/** Effective PostgreSQL parameters of every environment, one column each; bold where it differs from the defaults. */
function parameterTable(environments: readonly Environment[], defaults: Readonly<Record<string, unknown>>): string[] {
  const names = [
    ...new Set([...Object.keys(bundleParameters), ...environments.flatMap((e) => Object.keys(e.postgresql))]),
  ];
  const value = (environment: Environment, name: string) => {
    const raw = name in bundleParameters ? bundleParameters[name] : environment.postgresql[name];
    if (raw === undefined) return '(PostgreSQL default)';
    const text = `\`${formatParameterValue(raw)}\``;
    return name in bundleParameters || defaults[name] === raw ? text : `**${text}**`;
  };
  return [
    row(['parameter', ...environments.map((e) => e.name)]),
    row(['---', ...environments.map(() => '---')]),
    ...names.map((name) => row([name, ...environments.map((e) => value(e, name))])),
  ];
}

/** Each environment's memory budget (docs/tuning.md#memory-budget), item by item, in MiB. */
function budgetTable(environments: readonly Environment[]): string[] {
  const budgets = environments.map((e) =>
    memoryBudget({
      parameters: e.postgresql,
      memoryLimit: quantityValue(e.resources.limits.memory)!,
      sharedMemoryLimit: quantityValue(e.sharedMemorySize)!,
    }),
  );
  const items = budgets[0]?.items.map((item) => item.name) ?? [];
  const mib = (bytes: number) => `${Number((bytes / MiB).toFixed(1))} MiB`;
  return [
    row(['memory', ...environments.map((e) => e.name)]),
    row(['---', ...environments.map(() => '---')]),
    ...items.map((name, index) => row([name, ...budgets.map((b) => mib(b.items[index].bytes))])),
    row([
      '**total**',
      ...budgets.map((b) => `**${mib(b.totalBytes)}** (${((b.totalBytes / b.limitBytes) * 100).toFixed(0)}%)`),
    ]),
    row(['container limit', ...environments.map((e) => e.resources.limits.memory)]),
  ];
}

/** The rules of scripts/postgres/tuning.ts, the one place they are written. */
function tuningTable(): string[] {
  return [
    row(['parameter', 'derived as', 'why', 'source']),
    row(['---', '---', '---', '---']),
    ...TUNING_RULES.map((rule) => row([rule.parameter, rule.rule, rule.why, rule.source])),
  ];
}

/** The generated configuration section of docs/configuration.md, markers included. */
export function configurationSection(
  environments: readonly Environment[],
  defaults: Readonly<Record<string, unknown>>,
): string {
  return [
    SECTION_START,
    'Effective PostgreSQL parameters (bold: changed by the environment; the rest come from the defaults or the bundle):',
    '',
    ...parameterTable(environments, defaults),
    '',
    "Derived from each environment's volume, memory limit and `storage.medium` unless the environment sets the parameter itself (scripts/postgres/tuning.ts):",
    '',
    ...tuningTable(),
    '',
    'Memory budget per environment:',
    '',
    ...budgetTable(environments),
    SECTION_END,
  ].join('\n');
}

/** `readme` with its configuration section replaced; throws when the markers are missing. */
export function readmeWithConfiguration(readme: string, section: string): string {
  const start = readme.indexOf(SECTION_START);
  const end = readme.indexOf(SECTION_END);
  if (start < 0 || end < start)
    throw new Error(`docs/configuration.md lacks the configuration markers ${SECTION_START} … ${SECTION_END}`);
  return readme.slice(0, start) + section + readme.slice(end + SECTION_END.length);
}
