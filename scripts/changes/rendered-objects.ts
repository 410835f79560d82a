import { names } from '../k8s/names.ts';
import { PREPARE_DATA_CONTAINER } from '../k8s/replication.ts';

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

/** The declared primary: PRIMARY_ORDINAL of the prepare-data init container, 0 without replication. */
export function primaryOrdinalOf(statefulSet: RenderedObject): number {
  const init = statefulSet.spec?.template?.spec?.initContainers?.find((c: RenderedObject) => c.name === PREPARE_DATA_CONTAINER);
  const declared = init?.env?.find((variable: RenderedObject) => variable.name === 'PRIMARY_ORDINAL')?.value;
  return declared === undefined ? 0 : Number(declared);
}

export const podName = (statefulSet: RenderedObject, ordinal: number) => `${statefulSet.metadata.name}-${ordinal}`;

/**
 * What a new pod template does to the running pods, in words. RollingUpdate replaces one pod at a
 * time, highest ordinal first, each once the one before is ready (podManagementPolicy does not
 * change that).
 */
export function rollout(statefulSet: RenderedObject): string {
  const replicas = replicasOf(statefulSet);
  if (replicas === 1) return `${podName(statefulSet, 0)} restarts: the database is unavailable until it is ready again`;
  const primary = podName(statefulSet, primaryOrdinalOf(statefulSet));
  return `the pods restart one at a time, ${podName(statefulSet, replicas - 1)} first, down to ${podName(statefulSet, 0)}; the primary's restart (${primary}) interrupts writes`;
}
