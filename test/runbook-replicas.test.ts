import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { debianBinaries } from '../scripts/postgres/server.ts';
import { dataClaimName, slotName } from '../scripts/runbooks/names.ts';
import { orphanedClaimsFilter, orphanedSlotsSql } from '../scripts/runbooks/replicas.ts';
import { onPath } from './support/shell.ts';
import { replicaSet, type ReplicaSet, type ScriptRun } from './support/replica-set.ts';
import { eventually, query, waitForStreaming } from './support/replication-checks.ts';

/**
 * The runbooks "Scale replicas" (down: orphaned slots and claims) and "Re-seed a standby" on real
 * servers: prod's replica set as test/replication-servers.test.ts runs it, and the runbooks' own SQL
 * and claim filter. One suite: each test continues from the state the previous one left.
 */
const binaries = debianBinaries(15);
const test = suite<{ set: ReplicaSet }>('runbooks "Scale replicas" and "Re-seed a standby" on real servers');
const ok = (run: ScriptRun, what: string) => assert.is(run.code, 0, `${what} failed:\n${run.output}`);
const slots = (set: ReplicaSet) => query<{ slot_name: string; active: boolean }>(set, 0, 'SELECT slot_name, active FROM pg_replication_slots ORDER BY 1');

test.before(async (context) => {
  const set = await replicaSet('prod', binaries);
  context.set = set;
  const runs = await Promise.all([0, 1, 2].map((ordinal) => ordinal === 0
    ? set.prepareData(0, 0).then(async (run) => { ok(run, 'postgresql-0 prepare-data'); await set.initialise(0); return run; })
    : set.prepareData(ordinal, 0)));
  for (const ordinal of [1, 2]) {
    ok(runs[ordinal], `postgresql-${ordinal} prepare-data`);
    await set.start(ordinal);
  }
  await query(set, 0, 'CREATE TABLE notes (id serial PRIMARY KEY, note text NOT NULL)');
  await query(set, 0, `INSERT INTO notes (note) VALUES ('before the scale-down')`);
  await waitForStreaming(set, 0, [1, 2]);
});

test.after(async (context) => {
  await context.set?.remove();
});

test('scaled down to 2: the runbook\'s query drops postgresql_2\'s slot only, not that of a standby that is merely down, nor a slot it did not make', async ({ set }) => {
  // The StatefulSet stops postgresql-2; postgresql-1 happens to be down at the same time.
  await set.stop(2);
  await set.stop(1);
  await query(set, 0, `SELECT pg_create_physical_replication_slot('${slotName(0).replace(/0$/, 'archive')}')`);
  assert.equal((await slots(set)).map((slot) => slot.slot_name), ['postgresql_1', 'postgresql_2', 'postgresql_archive']);

  const dropped = await query(set, 0, orphanedSlotsSql(2));
  assert.equal(dropped.map((row) => row.slot_name), [slotName(2)]);
  assert.equal((await slots(set)).map((slot) => slot.slot_name), ['postgresql_1', 'postgresql_archive']);
  await query(set, 0, `SELECT pg_drop_replication_slot('postgresql_archive')`);

  ok(await set.prepareData(1, 0), 'postgresql-1 prepare-data');
  await set.start(1);
  await waitForStreaming(set, 0, [1]);
  assert.equal(await query(set, 0, orphanedSlotsSql(2)), [], 'run again, it drops nothing: the remaining standby streams');
});

test('the claim filter lists the claims of ordinals the environment no longer has, whatever awk the operator has', () => {
  const claims = [0, 1, 2, 10].map((ordinal) => `persistentvolumeclaim/${dataClaimName(ordinal)}`).join('\n') + '\n';
  const awks = [['busybox', 'awk'], ...['awk', 'mawk', 'gawk'].flatMap((awk) => { try { return [[onPath(awk)]]; } catch { return []; } })];
  for (const [awk, ...applet] of awks) {
    const kept = execFileSync(awk, [...applet, '-F-', orphanedClaimsFilter(2)], { input: claims, encoding: 'utf8' });
    assert.is(kept, `persistentvolumeclaim/${dataClaimName(2)}\npersistentvolumeclaim/${dataClaimName(10)}\n`, awk);
  }
});

test('re-seed: a standby whose volume is gone, its old slot still on the primary, clones afresh through a new slot and streams', async ({ set }) => {
  await set.stop(1);
  await query(set, 0, `INSERT INTO notes (note) VALUES ('while postgresql-1 was being re-seeded')`);
  rmSync(set.dataDir(1), { recursive: true, force: true });
  assert.equal(await slots(set), [{ slot_name: slotName(1), active: false }], 'the old slot is still there');
  const run = await set.prepareData(1, 0);
  ok(run, 'postgresql-1 prepare-data');
  assert.match(run.output, 'cloning 127.0.0.1');
  await set.start(1);
  await waitForStreaming(set, 0, [1]);
  await eventually(set, 1, 'SELECT count(*)::int AS n FROM notes', { n: 2 });
});

test('scaled up to 3 again, with postgresql-2\'s claim deleted as the runbook says: it clones and streams', async ({ set }) => {
  rmSync(set.dataDir(2), { recursive: true, force: true });
  assert.not.ok(existsSync(path.join(set.dataDir(2), 'PG_VERSION')));
  ok(await set.prepareData(2, 0), 'postgresql-2 prepare-data');
  await set.start(2);
  await waitForStreaming(set, 0, [1, 2]);
  await eventually(set, 2, 'SELECT count(*)::int AS n FROM notes', { n: 2 });
});

test.run();
