import { PATRONI_SCOPE } from '../vocabulary/names.ts';
import { consequence, type Consequence } from './consequence.ts';
import { findStatefulSet, podName, replicasOf, runsPatroni, type RenderedObject } from './rendered-objects.ts';

/**
 * The committed render runs PostgreSQL without Patroni (the official entrypoint: one replica, or the
 * replication scripts before Patroni) and the new one runs Patroni. A plain sync does it in the wrong
 * order. Patroni adopts an existing data directory as the leader only when its store has no cluster
 * yet and no other member got there first (ha.py: a member with data and no initialize key writes its
 * own system id; one with an empty data directory races to initdb a new cluster). The roll starts the
 * new and the highest ordinals first, so the first Patroni may be an empty new pod, which initialises
 * an empty database the Services then route to, or a former standby, which promotes itself while
 * the old primary still takes writes. The runbook starts Patroni on the primary's pod alone first.
 */
export function patroniAdoptionConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  if (!old || !now || runsPatroni(old) || !runsPatroni(now)) return [];
  const [from, to] = [replicasOf(old), replicasOf(now)];
  const first = podName(now, 0);
  const others = Array.from({ length: to - 1 }, (_, index) => podName(now, index + 1));
  const had =
    from === 1
      ? `${first} runs the official image's entrypoint on a data directory it initialised`
      : `${from} pods run the replication scripts that came before Patroni, each on a data directory of its own`;
  return [
    consequence(
      environment,
      'patroni-adoption',
      `Patroni takes over (replicas ${from} → ${to}): ${had}. ` +
        `Patroni keeps an existing data directory and adopts it as the leader only when the first member to start finds no cluster "${PATRONI_SCOPE}" in its store. ` +
        `A plain sync starts ${others.join(', ')} before ${first} (the roll goes from the highest ordinal down): a new pod with an empty volume would initialise a new, empty database ` +
        `that the Services route clients to (${first} then refuses to join: "system ID mismatch"), and a former standby would promote itself while the old primary still takes writes, ` +
        `which are lost when it rejoins. Start Patroni on the primary's data alone first, then add the other members: they clone it.`,
      'moveToPatroni',
    ),
  ];
}
