import type { ParsedObject } from '../verify/schema.ts';
import { stableName } from '../review/objects.ts';
import { names } from '../vocabulary/names.ts';

/** One object of a `kustomize build` stream, parsed. */
export type RenderedObject = ParsedObject;

/** The object of `kind` named `name`, or (a generated ConfigMap or Secret) `name` plus kustomize's hash suffix. */
export function findObject(objects: readonly RenderedObject[], kind: string, name: string): RenderedObject | undefined {
  return objects.find((o) => o.kind === kind && stableName(o) === name);
}

export const findStatefulSet = (objects: readonly RenderedObject[]) =>
  findObject(objects, 'StatefulSet', names.statefulSet);

export function databaseContainer(statefulSet: RenderedObject): RenderedObject | undefined {
  return statefulSet.spec?.template?.spec?.containers?.find((c: RenderedObject) => c.name === names.container);
}

export const replicasOf = (statefulSet: RenderedObject): number => Number(statefulSet.spec?.replicas ?? 1);

export const podName = (statefulSet: RenderedObject, ordinal: number) => `${statefulSet.metadata.name}-${ordinal}`;

/** The database container runs Patroni (a replicated environment), not the official image's entrypoint. */
export const runsPatroni = (statefulSet: RenderedObject): boolean =>
  databaseContainer(statefulSet)?.command?.[0] === 'patroni';

/**
 * What a new pod template does to the running pods, in words. RollingUpdate replaces one pod at a
 * time, highest ordinal first, each once the one before is ready (podManagementPolicy does not
 * change that). The order follows ordinals, not roles: under Patroni any pod may be the primary, and
 * a primary that gets SIGTERM stops cleanly and releases the leader lock once a standby has its last
 * WAL (Patroni's Ha.shutdown), so writes pause for a few seconds each time the roll reaches the pod
 * that is primary at that moment.
 */
export function rollout(statefulSet: RenderedObject): string {
  const replicas = replicasOf(statefulSet);
  if (replicas === 1) return `${podName(statefulSet, 0)} restarts: the database is unavailable until it is ready again`;
  return (
    `the pods restart one at a time, ${podName(statefulSet, replicas - 1)} first, down to ${podName(statefulSet, 0)}, whichever is primary; ` +
    'when the roll reaches the primary, Patroni stops it cleanly and a standby (the synchronous one, in synchronous mode) takes the leader lock: ' +
    `writes pause for a few seconds, once for each pod that is primary when its turn comes (switch over to ${podName(statefulSet, 0)} first, the last one restarted, for a single pause)`
  );
}
