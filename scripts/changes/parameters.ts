import { names } from '../k8s/names.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { effectiveParameters } from '../postgres/effective-parameters.ts';
import { consequence, type Consequence } from './consequence.ts';
import { findObject, findStatefulSet, rollout, type RenderedObject } from './rendered-objects.ts';

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
const listed = (changes: readonly ParameterChange[]) => changes.map((c) => `${c.name} ${shown(c.before)} → ${shown(c.after)}`).join(', ');

/**
 * Any change to the ConfigMap's content gives it a new hash-suffixed name, so the pod template
 * changes and the StatefulSet restarts every pod: a parameter that a reload would pick up restarts
 * the pods all the same, and one that needs a restart gets it.
 */
export function parameterConsequences(environment: string, before: readonly RenderedObject[], after: readonly RenderedObject[]): Consequence[] {
  const statefulSet = findStatefulSet(after);
  const changes = parameterChanges(before, after);
  if (!statefulSet || changes.length === 0) return [];
  // No "lowered on a standby first" hazard: with replicas > 1 Patroni runs each standby with at least
  // its primary's max_connections, max_wal_senders, ... (read from the primary's control data).
  const restart = changes.filter((c) => needsRestart(c.name));
  const reload = changes.filter((c) => !needsRestart(c.name));

  const consequences: Consequence[] = [];
  if (restart.length) {
    consequences.push(consequence(environment, 'restart-parameter', `${listed(restart)}: PostgreSQL applies ${restart.length === 1 ? 'this' : 'these'} only at a restart (context postmaster). `
      + `The ConfigMap's new name rolls the pods, which applies ${restart.length === 1 ? 'it' : 'them'}: ${rollout(statefulSet)}.`, 'restartForParameters'));
  }
  if (reload.length) {
    consequences.push(consequence(environment, 'reload-parameter', `${listed(reload)}: a reload would apply ${reload.length === 1 ? 'this' : 'these'}, `
      + `but the ConfigMap's new name rolls the pods anyway: ${rollout(statefulSet)}.`));
  }
  return consequences;
}
