import type { Environment } from '../config/environment.ts';
import type { Consequence } from './consequence.ts';

const label = (c: Consequence) => (c.acknowledged ? 'acknowledged' : c.severity === 'refuse' ? 'refused' : 'warning');
const LABEL_WIDTH = 'acknowledged'.length;
const LINE_WIDTH = 110;

/** Words filled into lines of at most `width` characters; a longer word gets a line of its own. */
function wrapped(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (lines.length && lines[lines.length - 1].length + 1 + word.length <= width)
      lines[lines.length - 1] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The consequences, grouped by environment in their order, each with its runbook below it. */
export function formatConsequences(consequences: readonly Consequence[]): string {
  const indent = ' '.repeat(4 + LABEL_WIDTH + 2);
  const lines = [
    consequences.some((c) => c.severity === 'refuse')
      ? 'Changes that need a manual step or restart the database (docs/day-2.md#when-a-change-needs-a-manual-step);\nrefused: the build stops until the environment file acknowledges it:'
      : 'Changes that need a manual step or restart the database (docs/day-2.md#when-a-change-needs-a-manual-step):',
  ];
  for (const environment of new Set(consequences.map((c) => c.environment))) {
    lines.push(`  ${environment}:`);
    for (const c of consequences.filter((c) => c.environment === environment)) {
      const [first, ...rest] = wrapped(`${c.kind}: ${c.message}`, LINE_WIDTH - indent.length);
      lines.push(`    ${label(c).padEnd(LABEL_WIDTH)}  ${first}`, ...rest.map((line) => indent + line));
      if (c.runbook) lines.push(`${indent}runbook: ${c.runbook}`);
    }
  }
  return lines.join('\n');
}

/** Why the build stops, and the line that lets each refused change through; undefined when nothing is refused. */
export function refusalMessage(
  consequences: readonly Consequence[],
  environments: readonly Pick<Environment, 'name' | 'source'>[],
): string | undefined {
  const refused = consequences.filter((c) => c.severity === 'refuse');
  if (refused.length === 0) return undefined;
  const lines = environments
    .map(
      (environment) =>
        [
          environment,
          [...new Set(refused.filter((c) => c.environment === environment.name).map((c) => `'${c.kind}'`))],
        ] as const,
    )
    .filter(([, kinds]) => kinds.length > 0)
    .map(
      ([environment, kinds]) =>
        `  ${environment.name}: acknowledge: [${kinds.join(', ')}]   (in ${environment.source})`,
    );
  return `Refused, nothing written: a change above needs a manual step. Follow its runbook, then acknowledge it in the environment file:\n${lines.join('\n')}`;
}
