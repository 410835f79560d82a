/**
 * An application writing through a failover: it commits rows with increasing ids to whichever member
 * is primary (what the `postgresql` Service, selecting Patroni's role label, routes to), records
 * which commits PostgreSQL acknowledged, and reconnects on any error. Nothing about the cluster is
 * assumed: a commit counts only once the server has confirmed it.
 */
import type pg from 'pg';
import type { PatroniCluster } from './patroni-cluster.ts';
import { sleep } from './processes.ts';

export const WRITES_TABLE = 'failover_writes';

export interface Acknowledgement {
  readonly id: number;
  /** Date.now() when the commit was confirmed. */
  readonly at: number;
  readonly member: number;
}

export interface Writer {
  readonly acknowledged: readonly Acknowledgement[];
  /** The first acknowledgement after time `since` (Date.now()) by a member `where` accepts, if any. */
  firstAfter(since: number, where?: (member: number) => boolean): Acknowledgement | undefined;
  /** Resolves with firstAfter(since, where) once there is one; rejects after `timeoutMs`. */
  waitForWriteAfter(since: number, timeoutMs: number, where?: (member: number) => boolean): Promise<Acknowledgement>;
  stop(): Promise<void>;
}

/** Creates the table (on the current primary) if needed and starts writing; `pauseMs` between commits. */
export async function startWriter(cluster: PatroniCluster, { pauseMs = 20 } = {}): Promise<Writer> {
  const leader = await cluster.waitForLeader(30_000);
  await cluster.query(
    leader,
    `CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`,
  );
  const [{ next }] = await cluster.query<{ next: string }>(
    leader,
    `SELECT coalesce(max(id), 0) + 1 AS next FROM ${WRITES_TABLE}`,
  );
  let id = Number(next);
  const acknowledged: Acknowledgement[] = [];
  let stopped = false;

  const loop = (async () => {
    let client: pg.Client | undefined;
    let member = -1;
    while (!stopped) {
      try {
        if (!client) [client, member] = await connectToPrimary(cluster);
        const attempt = id++;
        await client.query(`INSERT INTO ${WRITES_TABLE} (id) VALUES ($1)`, [attempt]);
        acknowledged.push({ id: attempt, at: Date.now(), member });
        await sleep(pauseMs);
      } catch {
        // Any failure (refused, reset, read-only, timed out): drop the connection and look again.
        const lost = client;
        client = undefined;
        lost?.end().catch(() => undefined);
        await sleep(100);
      }
    }
    await client?.end().catch(() => undefined);
  })();

  const writer: Writer = {
    acknowledged,
    firstAfter: (since, where = () => true) => acknowledged.find((ack) => ack.at > since && where(ack.member)),
    async waitForWriteAfter(since, timeoutMs, where) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const ack = writer.firstAfter(since, where);
        if (ack) return ack;
        await sleep(50);
      }
      throw new Error(`no write acknowledged within ${timeoutMs / 1000} s`);
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
  return writer;
}

/** A connection to the running member that is not in recovery; throws when none is. */
async function connectToPrimary(cluster: PatroniCluster): Promise<[pg.Client, number]> {
  for (const member of cluster.members) {
    if (!cluster.isRunning(member.ordinal)) continue;
    let client: pg.Client | undefined;
    try {
      client = await cluster.connect(member.ordinal);
      const { rows } = await client.query('SELECT pg_is_in_recovery() AS standby');
      if (!rows[0].standby) return [client, member.ordinal];
    } catch {
      /* down or starting: try the next */
    }
    await client?.end().catch(() => undefined);
  }
  throw new Error('no primary');
}

/** Of the acknowledged ids, those missing on member `ordinal` (run on the new primary after a failover). */
export async function lostWrites(
  cluster: PatroniCluster,
  ordinal: number,
  acknowledged: readonly Acknowledgement[],
): Promise<number[]> {
  const ids = acknowledged.map((ack) => ack.id);
  const rows = await cluster.query<{ id: string }>(
    ordinal,
    `SELECT id FROM ${WRITES_TABLE} WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  const present = new Set(rows.map((row) => Number(row.id)));
  return ids.filter((id) => !present.has(id));
}
