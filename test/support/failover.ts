/**
 * The failures the Patroni tests and the failover bench cause, each measured the same way: seconds
 * from the failure to the first write the application sees acknowledged on the new primary, the
 * acknowledged rows the new primary lacks, and how the old primary came back.
 */
import type { PatroniCluster } from './patroni-cluster.ts';
import { waitFor } from './processes.ts';
import { lostWrites, type Writer } from './writer.ts';

export interface Failover {
  readonly oldPrimary: number;
  readonly newPrimary: number;
  /** From the kill (or SIGTERM) to the first write acknowledged after it. */
  readonly writesBackSeconds: number;
  /** Acknowledged ids the new primary does not have. */
  readonly lost: readonly number[];
  readonly acknowledged: number;
  /** Of those, acknowledged by the old primary before the failure: the rows a failover could lose. */
  readonly acknowledgedBefore: number;
}

export interface Rejoin {
  /** From the restart of the old primary's Patroni to it streaming from the new primary. */
  readonly seconds: number;
  /** Its log since the restart says Patroni ran pg_rewind. */
  readonly rewound: boolean;
  /** Patroni's log since the restart. */
  readonly log: string;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * Lets the writer commit for `leadInMs`, then fails the primary in the middle of its writes: `kill`
 * (kill -9 of Patroni and the postmaster) or `stop` (SIGTERM to Patroni, a drain). Returns once a
 * write was acknowledged by another member and the writer has gone on for `settleMs`.
 */
export async function failPrimary(
  cluster: PatroniCluster,
  writer: Writer,
  how: 'kill' | 'stop',
  { timeoutMs = 90_000, leadInMs = 3_000, settleMs = 2_000 } = {},
): Promise<Failover> {
  const oldPrimary = await cluster.waitForLeader(30_000);
  await writer.waitForWriteAfter(Date.now(), 30_000);
  await new Promise((wake) => setTimeout(wake, leadInMs));
  const failedAt = Date.now();
  if (how === 'kill') await cluster.kill(oldPrimary);
  else await cluster.stop(oldPrimary);
  // The old primary may still confirm a commit in flight (or, stopping, until its fast shutdown): only
  // a commit on another member says the writes are back.
  const first = await writer
    .waitForWriteAfter(failedAt, timeoutMs, (member) => member !== oldPrimary)
    .catch((error) => {
      throw new Error(`${how} of postgresql-${oldPrimary}: ${error.message}\n${membersLog(cluster, failedAt)}`);
    });
  await new Promise((wake) => setTimeout(wake, settleMs));
  const newPrimary = await cluster.waitForLeader(10_000, oldPrimary);
  const acknowledged = [...writer.acknowledged];
  const lost = await lostWrites(cluster, newPrimary, acknowledged);
  return {
    oldPrimary,
    newPrimary,
    writesBackSeconds: seconds(first.at - failedAt),
    lost,
    acknowledged: acknowledged.length,
    acknowledgedBefore: acknowledged.filter((ack) => ack.at <= failedAt).length,
  };
}

/** Restarts `ordinal`'s Patroni on its data directory and waits until every member streams from `leader`. */
export async function rejoin(
  cluster: PatroniCluster,
  ordinal: number,
  leader: number,
  timeoutMs = 120_000,
): Promise<Rejoin> {
  const logBefore = cluster.log(ordinal).length;
  const startedAt = Date.now();
  await cluster.start(ordinal);
  try {
    await cluster.waitForStreaming(leader, timeoutMs);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- postgresql-${ordinal} since its restart ---\n${cluster.log(ordinal).slice(logBefore).slice(-6000)}`,
    );
  }
  const log = cluster.log(ordinal).slice(logBefore);
  const rejoined = { seconds: seconds(Date.now() - startedAt), rewound: /running pg_rewind from/.test(log), log };
  await waitForSettled(cluster, timeoutMs);
  return rejoined;
}

/**
 * Waits until the store names a synchronous standby again (sync mode): until then only the leader
 * may hold the lock, and a graceful stop of the leader finds no member allowed to take over. Seen
 * with Patroni 3.0.2: a SIGTERM 2 s after a promotion, before the new leader had recorded its
 * synchronous standby, left the cluster without a leader until the old primary came back.
 */
export async function waitForSettled(cluster: PatroniCluster, timeoutMs = 60_000): Promise<void> {
  if (cluster.rendered.bootstrap?.dcs?.synchronous_mode !== true) return;
  await waitFor('a synchronous standby recorded in the store', timeoutMs, async () =>
    (await cluster.cluster()).some((member) => member.role === 'sync_standby'),
  );
}

/**
 * The timeline every member reports in GET /cluster, once they all report the same one (a member
 * publishes its timeline with its next heartbeat, up to loop_wait after it changed).
 */
export async function commonTimeline(cluster: PatroniCluster, timeoutMs = 30_000): Promise<number> {
  let seen: Record<string, number | undefined> = {};
  await waitFor('every member on the same timeline', timeoutMs, async () => {
    seen = Object.fromEntries((await cluster.cluster()).map((member) => [member.name, member.timeline]));
    const values = new Set(Object.values(seen));
    return Object.keys(seen).length === cluster.replicas && values.size === 1 && !values.has(undefined);
  }).catch((error) => {
    throw new Error(`${error.message}: ${JSON.stringify(seen)}`);
  });
  return Object.values(seen)[0]!;
}

/** Waits until GET /cluster reports these roles (sorted), e.g. the sync_standby role the leader assigns after bootstrap. */
export async function waitForRoles(
  cluster: PatroniCluster,
  roles: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  let seen: string[] = [];
  await waitFor(`roles ${roles.join(', ')}`, timeoutMs, async () => {
    seen = (await cluster.cluster()).map((member) => member.role).sort();
    return JSON.stringify(seen) === JSON.stringify([...roles].sort());
  }).catch((error) => {
    throw new Error(`${error.message}; GET /cluster says ${seen.join(', ')}`);
  });
}

/** What the leader sees of its standbys, for a failure message. */
export async function replicationReport(cluster: PatroniCluster, leader: number): Promise<string> {
  const rows = await cluster
    .query(
      leader,
      `SELECT application_name, state, sync_state, flush_lsn, current_setting('synchronous_standby_names') AS names FROM pg_stat_replication`,
    )
    .catch((error) => error.message);
  return `pg_stat_replication on postgresql-${leader}: ${JSON.stringify(rows)}\n--- its log ---\n${cluster
    .log(leader)
    .split('\n')
    .filter((line) => !/LOG: {2}(connection|disconnection)/.test(line))
    .slice(-40)
    .join('\n')}`;
}

/** Each member's Patroni log lines since `since` (PostgreSQL's connection chatter left out), for a failure message. */
export function membersLog(cluster: PatroniCluster, since: number): string {
  const stamp = new Date(since - 5_000).toISOString().replace('T', ' ').slice(0, 19);
  return cluster.members
    .map((member) => {
      const lines = cluster
        .log(member.ordinal)
        .split('\n')
        .filter((line) => line.slice(0, 19) >= stamp && !/LOG: {2}(connection|disconnection)|STATEMENT:/.test(line));
      return `--- ${member.name} ---\n${lines.slice(-60).join('\n')}`;
    })
    .join('\n');
}
