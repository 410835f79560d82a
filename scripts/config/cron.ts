/**
 * Cron schedules as the Kubernetes CronJob controller reads them: five fields (minute, hour,
 * day of month, month, day of week), each a `*`, a value, a range, a list or a step. Checked here
 * so that "0 25 * * *" fails the build instead of a sync, or worse, never running at all.
 * The controller parses with robfig/cron's ParseStandard, which also takes its descriptors: the
 * macros below and "@every <Go duration>".
 */

/** The macros and the five fields each stands for (Kubernetes' CronJob documentation lists the same). */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
/** Go's time.ParseDuration: one or more numbers, each with its unit. */
const GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/;

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted in place of numbers (JAN = 1, SUN = 0). */
  readonly names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in crontab(5).
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const FORMAT = `a schedule is 5 fields (minute hour day-of-month month day-of-week), in UTC, such as "0 2 * * *", or one of ${Object.keys(CRON_MACROS).join(', ')}, @every DURATION`;

/** Why `schedule` is not a valid 5-field cron schedule, or undefined when it is. */
export function cronProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string') return `must be a cron schedule string; ${FORMAT}, got ${JSON.stringify(schedule)}`;
  if (/^\s*(CRON_)?TZ=/.test(schedule))
    return `"${schedule}": no time zone in the schedule, the CronJob runs in UTC (timeZone: Etc/UTC); ${FORMAT}`;
  const trimmed = schedule.trim();
  if (trimmed.startsWith('@')) return macroProblem(trimmed);
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return `"${schedule}" has ${parts.length} field${parts.length === 1 ? '' : 's'}; ${FORMAT}`;
  for (const [index, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[index]);
    if (problem) return `"${schedule}": ${problem}; ${FORMAT}`;
  }
  return undefined;
}

/** Why a descriptor is not one the controller takes: the macros are lowercase, @every takes a Go duration. */
function macroProblem(schedule: string): string | undefined {
  if (schedule in CRON_MACROS) return undefined;
  const every = /^@every\s+(\S+)$/.exec(schedule);
  if (every)
    return GO_DURATION.test(every[1])
      ? undefined
      : `"${schedule}": @every takes a Go duration such as 90m or 1h30m; ${FORMAT}`;
  return `"${schedule}" is not a macro the CronJob controller knows; ${FORMAT}`;
}

function fieldProblem(text: string, field: Field): string | undefined {
  for (const item of text.split(',')) {
    const [range, step, ...extra] = item.split('/');
    if (extra.length || (step !== undefined && !/^[1-9]\d*$/.test(step)))
      return `${field.name} "${item}": a step is "/" and a whole number of at least 1`;
    if (range === '*' || (range === '?' && field.name.startsWith('day'))) continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `${field.name} "${item}" is not a value or a range`;
    const values = bounds.map((bound) => value(bound, field));
    const bad = bounds.find((_, i) => values[i] === undefined);
    if (bad !== undefined) {
      const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
      return `${field.name} "${bad}" is outside ${field.min}-${field.max}${names}`;
    }
    if (values.length === 2 && values[0]! > values[1]!) return `${field.name} range "${range}" runs backwards`;
  }
  return undefined;
}

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + (field.name === 'month' ? 1 : 0);
  if (!/^\d+$/.test(text)) return undefined;
  const number = Number(text);
  return number >= field.min && number <= field.max ? number : undefined;
}
