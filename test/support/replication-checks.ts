import * as assert from 'uvu/assert';
import type { ReplicaSet } from './replica-set.ts';

/** Queries and polls on a replica set's instances, as the README's "Checking replication" commands read them. */

export async function query<T = Record<string, any>>(set: ReplicaSet, ordinal: number, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = await set.connect(ordinal);
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Polls until `sql` returns `expected` on the instance (replication is asynchronous). */
export async function eventually(set: ReplicaSet, ordinal: number, sql: string, expected: unknown, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = (await query(set, ordinal, sql))[0];
      if (JSON.stringify(last) === JSON.stringify(expected)) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  assert.equal(last, expected, `postgresql-${ordinal}: ${sql}`);
}

/** pg_stat_replication joined with the slots, on the instance `ordinal`, by standby name. */
export async function streaming(set: ReplicaSet, ordinal: number): Promise<Record<string, { state: string; slot: string | null }>> {
  const rows = await query(set, ordinal, `
    SELECT r.application_name, r.state, s.slot_name
    FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
    ORDER BY r.application_name`);
  return Object.fromEntries(rows.map((row) => [row.application_name, { state: row.state, slot: row.slot_name }]));
}

/** Waits until exactly `standbys` stream from `primary`, each through its own slot. */
export async function waitForStreaming(set: ReplicaSet, primary: number, standbys: number[], timeoutMs = 15_000): Promise<void> {
  const expected = Object.fromEntries(standbys.map((o) => [`postgresql-${o}`, { state: 'streaming', slot: `postgresql_${o}` }]));
  const deadline = Date.now() + timeoutMs;
  let actual = await streaming(set, primary);
  while (JSON.stringify(actual) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((wake) => setTimeout(wake, 100));
    actual = await streaming(set, primary);
  }
  assert.equal(actual, expected, `pg_stat_replication on postgresql-${primary}`);
}

export const inRecovery = async (set: ReplicaSet, ordinal: number) => (await query(set, ordinal, 'SELECT pg_is_in_recovery() AS r'))[0].r as boolean;
