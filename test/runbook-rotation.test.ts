import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { loadEnvironments } from '../scripts/config/load.ts';
import { MONITORING_ROLE } from '../scripts/k8s/monitoring.ts';
import { REPLICATION_ROLE } from '../scripts/k8s/replication.ts';
import { debianBinaries } from '../scripts/postgres/server.ts';
import { podName } from '../scripts/runbooks/names.ts';
import { primaryRotationArgs, ROTATE_SCRIPT, standbyRotationArgs } from '../scripts/runbooks/rotation.ts';
import { SCRIPTS_DIR } from '../scripts/runbooks/shell.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { replicaSet, type ReplicaSet, type ScriptRun } from './support/replica-set.ts';
import { eventually, query, streaming, waitForStreaming } from './support/replication-checks.ts';

/**
 * The runbook "Rotate passwords" on real servers: prod's rendered StatefulSet, configuration and
 * scripts on Debian's PostgreSQL (as test/replication-servers.test.ts), and rotate-password.sh run as
 * the runbook runs it: `sh -c "$(cat script)"` in a database container's environment (busybox sh, the
 * server account), the Secret on standard input as kubectl's go-template prints it. One suite: each
 * test continues from the state the previous one left.
 */
const binaries = debianBinaries(15);
const prod = (await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT)).find((e) => e.name === 'prod')!;
const script = readFileSync(path.join(PROJECT_ROOT, SCRIPTS_DIR, ROTATE_SCRIPT), 'utf8');
// Passwords with what a connection string, a libpq password file and SQL must each quote or escape.
const OLD = { password: `old superuser's \\ password`, 'replication-password': `old:replication\\password`, 'monitoring-password': `old "monitoring" password` };
const NEW = { password: `new 'superuser': \\password`, 'replication-password': `new:'replication' \\ password`, 'monitoring-password': `new:monitoring:password` };
const USER = 'app_user';
const test = suite<{ set: ReplicaSet }>('runbook "Rotate passwords" on real servers');

const ok = (run: ScriptRun, what: string) => assert.is(run.code, 0, `${what} failed:\n${run.output}`);
const rotate = (set: ReplicaSet, ordinal: number, args: readonly string[], secret = set.secretLines()) => set.exec(ordinal, script, args, secret);
const passfile = (set: ReplicaSet, ordinal: number) => path.join(path.dirname(set.dataDir(ordinal)), 'replication.pgpass');

/** Whether `user` logs in to postgresql-`ordinal` with `password`: a client connection, or a replication one for the replication role. */
async function logsIn(set: ReplicaSet, ordinal: number, user: string, password: string): Promise<boolean> {
  if (user === REPLICATION_ROLE) return replicationLogin(set, ordinal, password);
  try {
    const client = await set.connect(ordinal, { user, password });
    await client.end();
    return true;
  } catch (error) {
    if ((error as pg.DatabaseError).code === '28P01') return false;
    throw error;
  }
}

/** A physical replication connection, as a standby's WAL receiver makes it (pg_hba.conf admits the role to nothing else). */
function replicationLogin(set: ReplicaSet, ordinal: number, password: string): Promise<boolean> {
  const port = set.port(ordinal);
  return new Promise((resolve, reject) => {
    execFile(path.join(binaries.toolsDir!, 'psql'), ['-X', '-A', '-t', '-w', '-d', `host=127.0.0.1 port=${port} user=${REPLICATION_ROLE} dbname=replication replication=true`, '-c', 'IDENTIFY_SYSTEM'],
      { env: { PGPASSWORD: password } }, (error, _stdout, stderr) => {
        if (error && !/password authentication failed/.test(stderr)) reject(new Error(stderr));
        else resolve(!error);
      });
  });
}

const walSenders = (set: ReplicaSet) => query(set, prod.replication.primaryOrdinal, 'SELECT application_name, pid FROM pg_stat_replication ORDER BY 1');

test.before(async (context) => {
  const set = await replicaSet('prod', binaries);
  context.set = set;
  set.updateSecret({ username: USER, ...OLD });
  const standbys = await Promise.all([0, 1, 2].map((ordinal) => ordinal === 0
    ? set.prepareData(0, 0).then(async (run) => { ok(run, 'postgresql-0 prepare-data'); await set.initialise(0); })
    : set.prepareData(ordinal, 0)));
  for (const ordinal of [1, 2]) {
    ok(standbys[ordinal] as ScriptRun, `postgresql-${ordinal} prepare-data`);
    await set.start(ordinal);
  }
  await query(set, 0, 'CREATE TABLE notes (id serial PRIMARY KEY, note text NOT NULL)');
  await waitForStreaming(set, 0, [1, 2]);
});

test.after(async (context) => {
  await context.set?.remove();
});

test('standbys stream with a password file that primary_conninfo names: the replication password is in no setting the monitoring role can read', async ({ set }) => {
  for (const ordinal of [1, 2]) {
    assert.is(readFileSync(passfile(set, ordinal), 'utf8'), '*:*:*:*:old\\:replication\\\\password\n', 'libpq escapes ":" and "\\"');
    assert.is(statSync(passfile(set, ordinal)).mode & 0o777, 0o600, 'libpq ignores a password file others can read');
    const monitor = await set.connect(ordinal, { user: MONITORING_ROLE, password: OLD['monitoring-password'] });
    const conninfo = (await monitor.query('SHOW primary_conninfo')).rows[0].primary_conninfo as string;
    await monitor.end();
    assert.match(conninfo, `passfile='${passfile(set, ordinal)}'`);
    assert.not.match(conninfo, /password=|old:replication/);
  }
});

test('rotating the roles on the primary: every old password is refused, every new one logs in; open connections and streaming carry on', async ({ set }) => {
  const senders = await walSenders(set);
  const open = await set.connect(0, { user: MONITORING_ROLE, password: OLD['monitoring-password'] });
  open.on('error', () => {});
  try {
  set.updateSecret(NEW);
  const run = await rotate(set, 0, primaryRotationArgs(prod));
  ok(run, 'rotate-password.sh roles');
  for (const role of [USER, REPLICATION_ROLE, MONITORING_ROLE]) assert.match(run.output, `${role}: password set from the Secret's`);

  const roles = [[USER, 'password'], [REPLICATION_ROLE, 'replication-password'], [MONITORING_ROLE, 'monitoring-password']] as const;
  for (const [role, key] of roles) {
    assert.is(await logsIn(set, 0, role, OLD[key]), false, `${role}: the old password is refused`);
    assert.is(await logsIn(set, 0, role, NEW[key]), true, `${role}: the new password logs in`);
  }
  assert.equal((await open.query('SELECT 1 AS still')).rows, [{ still: 1 }], 'a connection opened before the rotation stays up');
  } finally {
    await open.end();
  }
  assert.equal(await walSenders(set), senders, 'the standbys\' connections were never broken');
  await query(set, 0, `INSERT INTO notes (note) VALUES ('after the rotation')`);
  for (const ordinal of [1, 2]) await eventually(set, ordinal, 'SELECT count(*)::int AS n FROM notes', { n: 1 });
  for (const value of Object.values(NEW)) assert.not.ok(set.log(0).includes(value), 'no new password in the server log');
});

test('a standby that reconnects before its password file is rewritten is refused, and streams again once it is, without a restart', async ({ set }) => {
  await query(set, 0, `SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = $1`, [podName(2)]);
  const deadline = Date.now() + 15_000;
  while (!set.log(0).includes(`password authentication failed for user "${REPLICATION_ROLE}"`) && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 200));
  assert.match(set.log(0), `password authentication failed for user "${REPLICATION_ROLE}"`);
  assert.not.ok(podName(2) in await streaming(set, 0), 'postgresql-2 does not stream with the old password');

  for (const ordinal of [2, 1]) ok(await rotate(set, ordinal, standbyRotationArgs), `rotate-password.sh standby on postgresql-${ordinal}`);
  // The runbook's check: every WAL receiver made to reconnect, with the password file's password.
  await query(set, 0, 'SELECT pg_terminate_backend(pid) FROM pg_stat_replication');
  await waitForStreaming(set, 0, [1, 2]);
  await query(set, 0, `INSERT INTO notes (note) VALUES ('after the standbys reconnected')`);
  for (const ordinal of [1, 2]) await eventually(set, ordinal, 'SELECT count(*)::int AS n FROM notes', { n: 2 });
});

test('run again, on a primary whose container still has the old superuser password, it finds every role already set', async ({ set }) => {
  const run = await rotate(set, 0, primaryRotationArgs(prod));
  ok(run, 'rotate-password.sh roles, again');
  // The superuser, the application role, the replication and the monitoring roles.
  assert.is(run.output.match(/already has the Secret's/g)?.length, 4, run.output);
});

test('refused: roles on a standby, standby on the primary, a Secret whose username changed', async ({ set }) => {
  const onStandby = await rotate(set, 1, primaryRotationArgs(prod));
  assert.is(onStandby.code, 1);
  assert.match(onStandby.output, 'this instance is a standby: run roles on the primary');
  const onPrimary = await rotate(set, 0, standbyRotationArgs);
  assert.is(onPrimary.code, 1);
  assert.match(onPrimary.output, 'this instance is not a standby');
  const renamed = set.secretLines().replace(/^username .*$/m, `username ${Buffer.from('someone_else').toString('base64')}`);
  const newUser = await rotate(set, 0, primaryRotationArgs(prod), renamed);
  assert.is(newUser.code, 1);
  assert.match(newUser.output, 'a new user name is a new role, not a rotation');
});

test('the roll after the rotation: standbys restarted with the new Secret write the same password file, and every instance streams', async ({ set }) => {
  const rotated = readFileSync(passfile(set, 1), 'utf8');
  for (const ordinal of [2, 1, 0]) {
    await set.stop(ordinal);
    ok(await set.prepareData(ordinal, 0), `postgresql-${ordinal} prepare-data`);
    await set.start(ordinal);
  }
  assert.is(readFileSync(passfile(set, 1), 'utf8'), rotated, 'prepare-data writes what rotate-password.sh wrote');
  await waitForStreaming(set, 0, [1, 2]);
  await query(set, 0, `INSERT INTO notes (note) VALUES ('after the roll')`);
  for (const ordinal of [1, 2]) await eventually(set, ordinal, 'SELECT count(*)::int AS n FROM notes', { n: 3 });
});

test.run();
