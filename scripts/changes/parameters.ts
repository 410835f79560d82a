import { names } from '../vocabulary/names.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { effectiveParameters } from '../postgres/effective-parameters.ts';
import { DCS_PARAMETERS } from '../postgres/patroni.ts';
import { consequence, type Consequence } from './consequence.ts';
import { findObject, findStatefulSet, rollout, runsPatroni, type RenderedObject } from './rendered-objects.ts';

interface ParameterChange {
  readonly name: string;
  readonly before?: string;
  readonly after?: string;
}

/** The parameters the rendered ConfigMap gives PostgreSQL, by lowercase name (PostgreSQL ignores case). */
function parametersOf(objects: readonly RenderedObject[]): Map<string, string> {
  const data = findObject(objects, 'ConfigMap', names.configMap)?.data ?? {};
  return new Map(Object.entries(effectiveParameters(data)).map(([name, value]) => [name.toLowerCase(), value]));
}

function parameterChanges(before: readonly RenderedObject[], after: readonly RenderedObject[]): ParameterChange[] {
  const [old, now] = [parametersOf(before), parametersOf(after)];
  return [...new Set([...old.keys(), ...now.keys()])]
    .filter((name) => old.get(name) !== now.get(name))
    .map((name) => ({ name, before: old.get(name), after: now.get(name) }));
}

/** "postmaster": read once, when the server starts. Every other settable context is re-read by a reload. */
const needsRestart = (name: string) => (catalogEntry(name)?.context ?? 'postmaster') === 'postmaster';

const shown = (value: string | undefined) => value ?? '(PostgreSQL default)';
const listed = (changes: readonly ParameterChange[]) =>
  changes.map((c) => `${c.name} ${shown(c.before)} → ${shown(c.after)}`).join(', ');

/** One restart-only and one reload warning for a group of changes, worded by `how`. */
function warnings(
  environment: string,
  changes: readonly ParameterChange[],
  how: { restart: (it: string) => string; reload: (it: string) => string },
): Consequence[] {
  const restart = changes.filter((c) => needsRestart(c.name));
  const reload = changes.filter((c) => !needsRestart(c.name));
  const it = (group: readonly ParameterChange[]) => (group.length === 1 ? 'this' : 'these');
  return [
    ...(restart.length
      ? [
          consequence(
            environment,
            'restart-parameter',
            `${listed(restart)}: PostgreSQL applies ${it(restart)} only at a restart (context postmaster). ${how.restart(it(restart))}`,
            'restartForParameters',
          ),
        ]
      : []),
    ...(reload.length
      ? [
          consequence(
            environment,
            'reload-parameter',
            `${listed(reload)}: a reload would apply ${it(reload)}, ${how.reload(it(reload))}`,
          ),
        ]
      : []),
  ];
}

/**
 * Any change to the ConfigMap's content gives it a new hash-suffixed name, so the pod template
 * changes and the StatefulSet restarts every pod: a parameter that a reload would pick up restarts
 * the pods all the same, and one that needs a restart gets it. Under Patroni, the parameters it keeps
 * in its store (DCS_PARAMETERS) are the exception: a member's local value has no effect, so the roll
 * does not apply them; the config Job writes them into the store after the sync, Patroni reloads the
 * ones a reload applies and shows the others as "Pending restart" until a person restarts the members.
 */
export function parameterConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const statefulSet = findStatefulSet(after);
  const changes = parameterChanges(before, after);
  if (!statefulSet || changes.length === 0) return [];
  // No "lowered on a standby first" hazard: with replicas > 1 Patroni runs each standby with at least
  // its primary's max_connections, max_wal_senders, ... (read from the primary's control data).
  const kept = runsPatroni(statefulSet)
    ? changes.filter((c) => (DCS_PARAMETERS as readonly string[]).includes(c.name))
    : [];
  const local = changes.filter((c) => !kept.includes(c));
  const roll = rollout(statefulSet);
  return [
    ...warnings(environment, local, {
      restart: (it) =>
        `The ConfigMap's new name rolls the pods, which applies ${it === 'this' ? 'it' : 'them'}: ${roll}.`,
      reload: () => `but the ConfigMap's new name rolls the pods anyway: ${roll}.`,
    }),
    ...warnings(environment, kept, {
      restart: (it) =>
        `Patroni keeps ${it} in its store, where a member's own configuration has no effect, so the roll alone does not apply ${it === 'this' ? 'it' : 'them'}: ` +
        `the ${names.patroniConfigJob} Job writes ${it} into the store after the sync, then \`patronictl list\` shows every member "Pending restart" ` +
        "until it is restarted with `patronictl restart --pending`: raised, the standbys first; lowered, the primary first (a standby keeps at least its primary's value).",
      reload: (it) =>
        `and Patroni does, once the ${names.patroniConfigJob} Job has written ${it} into its store after the sync.`,
    }),
  ];
}
