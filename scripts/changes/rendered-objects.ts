import { names } from '../k8s/names.ts';

/** One object of a `kustomize build` stream, parsed. */
export type RenderedObject = Record<string, any>;

/** kustomize's hash suffix on generated ConfigMaps and Secrets (scripts/review/objects.ts). */
const HASH_SUFFIX = /-[2456789bcdfghkmt]{10}$/;

/** The object of `kind` named `name`, or `name` plus kustomize's hash suffix. */
export function findObject(objects: readonly RenderedObject[], kind: string, name: string): RenderedObject | undefined {
  return objects.find((o) => o.kind === kind && String(o.metadata?.name ?? '').replace(HASH_SUFFIX, '') === name);
}

export const findStatefulSet = (objects: readonly RenderedObject[]) => findObject(objects, 'StatefulSet', names.statefulSet);

export function databaseContainer(statefulSet: RenderedObject): RenderedObject | undefined {
  return statefulSet.spec?.template?.spec?.containers?.find((c: RenderedObject) => c.name === names.container);
}

export const replicasOf = (statefulSet: RenderedObject): number => Number(statefulSet.spec?.replicas ?? 1);

export const podName = (statefulSet: RenderedObject, ordinal: number) => `${statefulSet.metadata.name}-${ordinal}`;

/**
 * What a new pod template does to the running pods, in words. RollingUpdate replaces one pod at a
 * time, highest ordinal first, each once the one before is ready (podManagementPolicy does not
 * change that).
 */
export function rollout(statefulSet: RenderedObject): string {
  const replicas = replicasOf(statefulSet);
  if (replicas === 1) return `${podName(statefulSet, 0)} restarts: the database is unavailable until it is ready again`;
  return `the pods restart one at a time, ${podName(statefulSet, replicas - 1)} first, down to ${podName(statefulSet, 0)}; `
    + 'when the primary\'s turn comes, Patroni hands the leader lock to a synchronous standby first (a switchover: writes pause for a few seconds)';
}
