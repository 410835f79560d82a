import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { patroniCluster, type PatroniCluster } from './support/patroni-cluster.ts';
import { rejoin } from './support/failover.ts';
import { renderedContainers, startLab, type CommandResult, type PitrLab } from './support/pitr-lab.ts';
import {
  archiver,
  archivingMembers,
  customBootstrap,
  pgbackrest,
  sidecarEnv,
  switchAndArchive,
  targetTime,
  type Archiver,
} from './support/pitr-patroni.ts';
import { waitFor } from './support/processes.ts';

/**
 * Point-in-time recovery across a failover, on staging's Patroni cluster (patroni-cluster.ts: the
 * rendered patroni.yml, postgresql.conf with archiving.conf, and variables) archiving through the
 * rendered archive_command to s3rver over TLS (pitr-lab.ts). A full backup, writes, a timestamp,
 * more writes, kill -9 of the primary, writes and a DELETE on the new primary; then archiving is
 * checked on the new primary, and fresh clusters are restored by Patroni's custom bootstrap as the
 * README's runbook writes it, to a time before the failover and to one after it.
 */
const containers = renderedContainers('staging');
let lab: PitrLab;
let cluster: PatroniCluster | undefined;
let restored: PatroniCluster | undefined;
const targets = { beforeFailover: '', afterFailover: '' };
let newPrimary = -1;
let afterPromotion: Archiver;
const measured: Record<string, number | string> = {};

const ok = (result: CommandResult, what: string) =>
  assert.is(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = async (c: PatroniCluster, ordinal: number) =>
  (await c.query<{ id: number }>(ordinal, 'SELECT id FROM orders ORDER BY id')).map((row) => row.id);

test.before(async () => {
  lab = await startLab('staging', { user: 'unused', password: 'unused' });
  cluster = await patroniCluster('staging', {
    prepare: archivingMembers(lab, containers),
    startTimeoutMs: 120_000,
  }).catch((error) => {
    console.error(error);
    throw error;
  });
});

test.after(async () => {
  await restored?.remove();
  await cluster?.remove();
  await lab?.stop();
  if (Object.keys(measured).length) console.log(`\n  pitr-patroni: ${JSON.stringify(measured)}`);
});

test('a full backup of the primary, and the archive_command of every member is the rendered one', async () => {
  const c = cluster!;
  const leader = await c.waitForLeader(10_000);
  for (const member of c.members) {
    const [row] = await c.query(
      member.ordinal,
      `SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command, current_setting('archive_timeout') AS timeout`,
    );
    assert.equal(
      row,
      { mode: 'on', command: 'pgbackrest --stanza=postgresql archive-push %p', timeout: '1min' },
      member.name,
    );
  }
  const env = sidecarEnv(lab, containers, c, leader);
  ok(await pgbackrest(['stanza-create'], env), 'stanza-create');
  // --start-fast as the backup jobs' backup.conf renders it: no wait for a spread checkpoint.
  const full = await pgbackrest(['backup', '--type=full', '--start-fast'], env, 300_000);
  ok(full, 'full backup');
  measured.fullBackupMs = full.ms;
});

test('writes, a timestamp, more writes, kill -9 of the primary, writes and a DELETE on the new primary', async () => {
  const c = cluster!;
  const oldPrimary = await c.waitForLeader(10_000);
  await c.query(oldPrimary, 'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)');
  await c.query(oldPrimary, `INSERT INTO orders SELECT n, 'before ' || n FROM generate_series(1, 100) n`);
  targets.beforeFailover = await targetTime(c, oldPrimary);
  // synchronous_mode: each commit is on the standby before it is acknowledged; none is archived yet.
  await c.query(oldPrimary, `INSERT INTO orders SELECT n, 'after ' || n FROM generate_series(101, 150) n`);
  const killedAt = Date.now();
  await c.kill(oldPrimary);
  newPrimary = await c.waitForLeader(90_000, oldPrimary);
  measured.promotedAfterMs = Date.now() - killedAt;
  // Alone, the new primary may commit once it has left synchronous mode (synchronous_mode_strict off).
  await waitFor('a commit on the new primary', 60_000, () =>
    c.query(newPrimary, `INSERT INTO orders SELECT n, 'new primary ' || n FROM generate_series(151, 200) n`).then(
      () => true,
      () => false,
    ),
  );
  afterPromotion = await archiver(c, newPrimary);
  targets.afterFailover = await targetTime(c, newPrimary);
  await c.query(newPrimary, 'DELETE FROM orders');
  await switchAndArchive(c, newPrimary);
  // The old primary's pod comes back: it rejoins as a standby (pg_rewind), as the StatefulSet restarts it.
  const back = await rejoin(c, oldPrimary, newPrimary);
  measured.rejoinSeconds = back.seconds;
});

test('archiving is healthy on the new primary: no failure, no checksum conflict, pgbackrest check passes', async () => {
  const c = cluster!;
  const segment = await switchAndArchive(c, newPrimary);
  const now = await archiver(c, newPrimary);
  assert.is(now.failed, afterPromotion.failed, `failed_count grew on the new primary: ${JSON.stringify(now)}`);
  assert.is(now.failed, 0, `the new primary never failed to archive: ${JSON.stringify(now)}`);
  assert.ok(
    now.lastArchived! >= segment && now.lastArchived!.startsWith('00000002'),
    `timeline 2 archived: ${now.lastArchived}`,
  );
  for (const member of c.members) assert.not.match(c.log(member.ordinal), /different checksum/, `${member.name}'s log`);
  // As the runbook runs it, in the new primary's sidecar: it switches and pushes one more segment.
  ok(await pgbackrest(['check'], sidecarEnv(lab, containers, c, newPrimary)), 'pgbackrest check on the new primary');
  const info = await pgbackrest(['info', '--output=json'], sidecarEnv(lab, containers, c, newPrimary));
  ok(info, 'info');
  const [stanza] = JSON.parse(info.stdout);
  assert.is(stanza.status.message, 'ok');
  assert.ok(
    stanza.archive[0].max.startsWith('00000002'),
    `the repository's newest WAL is on the new timeline: ${stanza.archive[0].max}`,
  );
  // The old cluster is done with: the restored one is a new environment, and the machine has two cores.
  await c.remove();
  cluster = undefined;
});

/** A fresh staging cluster whose first primary Patroni bootstraps from the repository, as the README's runbook says. */
async function restoreCluster(target: string): Promise<PatroniCluster> {
  const command = `pgbackrest --repo1-path=/staging restore --type=time "--target=${target}" --target-action=promote`;
  const started = Date.now();
  const fresh = await patroniCluster('staging', {
    // The restored environment archives to its own path, never into the one it restores from.
    prepare: async (members) => {
      await archivingMembers(lab, containers, '/staging-restored')(members);
      await customBootstrap(command, { keep_existing_recovery_conf: true })(members);
    },
    startTimeoutMs: 240_000,
  }).catch((error) => {
    console.error(error);
    throw error;
  });
  measured[`restoreClusterMs(${target})`] = Date.now() - started;
  return fresh;
}

async function assertRestored(fresh: PatroniCluster, expected: number[]): Promise<void> {
  const leader = await fresh.waitForLeader(10_000);
  assert.equal(
    await fresh.query(leader, 'SELECT pg_is_in_recovery() AS r'),
    [{ r: false }],
    'the restored primary was promoted',
  );
  assert.equal(await ids(fresh, leader), expected, 'the restored primary');
  assert.match(fresh.log(leader), /Running custom bootstrap script: pgbackrest/);
  for (const member of fresh.members.filter((m) => m.ordinal !== leader)) {
    // Replicas are cloned from the restored primary (the harness waited for them to stream from it).
    assert.not.match(
      fresh.log(member.ordinal),
      /Running custom bootstrap script/,
      `${member.name} did not restore by itself`,
    );
    await waitFor(
      `${member.name} has replayed the primary's rows`,
      30_000,
      async () => JSON.stringify(await ids(fresh, member.ordinal)) === JSON.stringify(expected),
    );
  }
}

test('restore to the timestamp before the failover on a fresh cluster: exactly the rows committed before it; the replica clones from it', async () => {
  restored = await restoreCluster(targets.beforeFailover);
  await assertRestored(restored, range(1, 100));
  await restored.remove();
  restored = undefined;
});

test('restore to the timestamp after the failover: the rows of both timelines, not the DELETE', async () => {
  restored = await restoreCluster(targets.afterFailover);
  await assertRestored(restored, range(1, 200));
});

test.run();
