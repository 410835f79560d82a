import { names } from '../k8s/names.ts';
import { effectiveParameters } from '../postgres/effective-parameters.ts';
import { consequence, type Consequence } from './consequence.ts';
import { findObject, findStatefulSet, podName, replicasOf, type RenderedObject } from './rendered-objects.ts';

/** The physical replication slot a standby streams through: its pod name in a slot's alphabet (replication-lib.sh). */
const slotName = (pod: string) => pod.replace(/[^a-z0-9_]/g, '_');

/**
 * Scaling down stops the highest ordinals. Nothing cleans up after them: each one's slot on the
 * primary keeps WAL for a standby that will not come back, and its volume stays (Retain on scale-down).
 */
export function replicasConsequences(environment: string, before: readonly RenderedObject[], after: readonly RenderedObject[]): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  if (!old || !now || replicasOf(now) >= replicasOf(old)) return [];
  const stopped = Array.from({ length: replicasOf(old) - replicasOf(now) }, (_, index) => podName(now, replicasOf(now) + index));
  const cap = effectiveParameters(findObject(after, 'ConfigMap', names.configMap)?.data ?? {}).max_slot_wal_keep_size;
  const claims = stopped.map((pod) => `${names.dataVolumeClaim}-${pod}`);
  return [consequence(environment, 'replicas-lowered', `replicas ${replicasOf(old)} → ${replicasOf(now)}: ${stopped.join(', ')} ${stopped.length === 1 ? 'stops' : 'stop'}. `
    + `The primary keeps WAL for ${stopped.length === 1 ? 'its slot' : 'their slots'} (${stopped.map(slotName).join(', ')}) until dropped, `
    + `up to max_slot_wal_keep_size (${cap ?? 'unlimited'}) of its volume; ${claims.join(', ')} ${claims.length === 1 ? 'stays' : 'stay'} (Retain on scale-down) `
    + 'with data that grows stale, which a later scale-up would start from. Drop the slots on the primary, and delete the claims you do not keep.', 'scaleReplicas')];
}
