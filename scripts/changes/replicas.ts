import { names } from '../vocabulary/names.ts';
import { effectiveParameters } from '../postgres/effective-parameters.ts';
import { consequence, type Consequence } from './consequence.ts';
import {
  findObject,
  findStatefulSet,
  podName,
  replicasOf,
  runsPatroni,
  type RenderedObject,
} from './rendered-objects.ts';

/** The physical slot Patroni keeps for a member on the primary: its name in a slot's alphabet (Patroni's slot_name_from_member_name). */
const slotName = (pod: string) => pod.replace(/[^a-z0-9_]/g, '_');

/**
 * Scaling down stops the highest ordinals. Patroni drops the slot of a member that has left
 * (slots.py, _drop_incorrect_slots: every inactive slot not kept for a current member), after
 * member_slots_ttl (Patroni 4: 30 minutes by default; Patroni 3 at once). Nothing removes the
 * volumes: the StatefulSet keeps them on scale-down (Retain).
 */
export function replicasConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  if (!old || !now || replicasOf(now) >= replicasOf(old)) return [];
  const stopped = Array.from({ length: replicasOf(old) - replicasOf(now) }, (_, index) =>
    podName(now, replicasOf(now) + index),
  );
  const cap = effectiveParameters(findObject(after, 'ConfigMap', names.configMap)?.data ?? {}).max_slot_wal_keep_size;
  const claims = stopped.map((pod) => `${names.dataVolumeClaim}-${pod}`);
  const slots = `${stopped.length === 1 ? 'its slot' : 'their slots'} (${stopped.map(slotName).join(', ')})`;
  const one = stopped.length === 1;
  const slotText = runsPatroni(old)
    ? `Patroni drops ${slots} on the primary once ${one ? 'the member has' : 'the members have'} left, after member_slots_ttl (30 minutes by default in Patroni 4); ` +
      `until then the primary keeps WAL for ${one ? 'it' : 'them'}, up to max_slot_wal_keep_size (${cap ?? 'unlimited'}). `
    : `The primary keeps WAL for ${slots} until dropped, up to max_slot_wal_keep_size (${cap ?? 'unlimited'}) of its volume. `;
  const down =
    replicasOf(now) === 1 && runsPatroni(old)
      ? ` With one replica the environment leaves Patroni: ${podName(now, 0)} restarts without it on its own data, so it must be the primary ` +
        "(switch over to it first): a standby's data would start read-only, following no one."
      : '';
  return [
    consequence(
      environment,
      'replicas-lowered',
      `replicas ${replicasOf(old)} → ${replicasOf(now)}: ${stopped.join(', ')} ${one ? 'stops' : 'stop'}, whichever role ${one ? 'it has' : 'they have'}: ` +
        `if the primary is among them, Patroni fails over to a remaining member (switch over first to choose when). ${slotText}` +
        `${claims.join(', ')} ${claims.length === 1 ? 'stays' : 'stay'} (Retain on scale-down) with data that grows stale, which a later scale-up would start from; delete the claims you do not keep.${down}`,
      'scaleReplicas',
    ),
  ];
}
