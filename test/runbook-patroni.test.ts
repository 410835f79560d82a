/**
 * The runbooks' Patroni commands on real servers: staging's rendered Patroni configuration (two
 * members, synchronous mode), Debian's Patroni 3.0.2 and PostgreSQL 15 (Patroni 3.0.2 predates
 * PostgreSQL 16), etcd in place of the Kubernetes API (test/support/patroni-config.ts). One cluster,
 * the sections in turn, each starting from the state the previous one leaves.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import staging from '../scripts/environments/staging.ts';
import { primaryRotationArgs } from '../scripts/runbooks/rotation.ts';
import { patroniArgs } from '../scripts/runbooks/shell.ts';
import {
  applyDcs,
  memberFile,
  patroniFile,
  patronictl,
  runRunbookScript,
  secretLines,
} from './support/patroni-commands.ts';
import { patroniCluster, type PatroniCluster } from './support/patroni-cluster.ts';
import { waitFor } from './support/processes.ts';

let cluster: PatroniCluster;
const other = (ordinal: number) => 1 - ordinal;
const name = (ordinal: number) => `postgresql-${ordinal}`;

test.before(async () => {
  cluster = await patroniCluster('staging');
});

test.after(async () => {
  await cluster?.remove();
});

/**
 * As the runbook says before a switchover: wait until Patroni names the candidate the synchronous
 * standby (in synchronous mode it takes no other). pg_stat_replication says `sync` a loop earlier
 * than Patroni's own record, which is what the switchover checks.
 */
async function waitForSyncStandby(ordinal: number): Promise<void> {
  await waitFor(`${name(ordinal)} to be Patroni's synchronous standby`, 90_000, async () =>
    (await cluster.cluster()).some((m) => m.name === name(ordinal) && m.role === 'sync_standby'),
  );
}

async function setting(ordinal: number, parameter: string): Promise<string> {
  return (await cluster.query(ordinal, 'SELECT setting FROM pg_settings WHERE name = $1', [parameter]))[0].setting;
}

test('Switchover: patronictl switchover --candidate hands the primary over; the former primary streams from it', async () => {
  const leader = await cluster.waitForLeader(30_000);
  await cluster.query(leader, 'CREATE TABLE runbook_rows (id int PRIMARY KEY, at text)');
  await cluster.query(leader, "INSERT INTO runbook_rows VALUES (1, 'before the switchover')");
  await waitForSyncStandby(other(leader));
  const started = Date.now();
  const run = await patronictl(cluster.members[leader], patroniArgs.switchover(name(other(leader))));
  assert.match(run.output, `Successfully switched over to "${name(other(leader))}"`, run.output);
  assert.is(await cluster.waitForLeader(30_000, leader), other(leader));
  await cluster.waitForStreaming(other(leader), 60_000);
  console.log(`    switchover: ${((Date.now() - started) / 1000).toFixed(1)} s to a streaming pair`);
  await cluster.query(other(leader), "INSERT INTO runbook_rows VALUES (2, 'after the switchover')");
  await waitFor(
    'row 2 on the former primary',
    60_000,
    async () => (await cluster.query(leader, 'SELECT count(*)::int AS n FROM runbook_rows'))[0].n === 2,
  );
});

test('Re-seed a standby: patronictl reinit clones its data directory again, and it streams', async () => {
  const leader = await cluster.waitForLeader(30_000);
  const standby = other(leader);
  const identity = (await cluster.query(standby, 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0]
    .id;
  // A file only the old data directory has: gone once the directory was replaced by a clone.
  const marker = path.join(cluster.members[standby].dataDir, 'reinit-marker');
  writeFileSync(marker, 'old data');
  const run = await patronictl(cluster.members[leader], patroniArgs.reinit(name(standby)));
  assert.is(run.code, 0, run.output);
  assert.match(run.output, `Success: reinitialize for member ${name(standby)}`);
  // --wait may return before the clone starts (patronictl 3.0.2 polls the state every 2 s): the runbook's check is
  // streaming again.
  await waitFor('the data directory replaced', 120_000, () => {
    try {
      readFileSync(marker);
      return false;
    } catch {
      return true;
    }
  });
  await cluster.waitForStreaming(leader, 120_000);
  assert.is(
    (await cluster.query(standby, 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0].id,
    identity,
    'a clone of the same cluster',
  );
  assert.is((await cluster.query(standby, 'SELECT count(*)::int AS n FROM runbook_rows'))[0].n, 2);
  const refused = await patronictl(cluster.members[leader], patroniArgs.reinit(name(leader)));
  assert.is.not(refused.code, 0, refused.output);
  assert.match(refused.output, 'No replica among provided members', 'patronictl refuses to reinit the primary');
});

/** dcs.yml as rendered, with max_connections set to `value`, applied by the config Job's script. */
async function applyMaxConnections(value: number): Promise<void> {
  const leader = await cluster.waitForLeader(30_000);
  const rendered = readFileSync(patroniFile(cluster.members[leader], 'dcs.yml'), 'utf8');
  const changed = rendered.replace(/^( +max_connections:) \d+$/m, `$1 ${value}`);
  assert.is.not(changed, rendered, 'dcs.yml sets max_connections');
  const run = await applyDcs(cluster.members[leader], memberFile(cluster.members[leader], 'dcs.yml', changed));
  assert.is(run.code, 0, run.output);
  await waitFor('every member Pending restart', 30_000, async () =>
    (await cluster.cluster()).every((m) => (m as Record<string, any>).pending_restart === true),
  );
}

const noneMoreToRestart = () =>
  waitFor('no member Pending restart', 60_000, async () =>
    (await cluster.cluster()).every((m) => !(m as Record<string, any>).pending_restart),
  );

test("A restart-only parameter Patroni keeps: the config Job's apply-dcs.sh, Pending restart, then restart --pending as the runbook orders it", async () => {
  const before = Number(await setting(0, 'max_connections'));
  assert.is(before, staging.postgresql!.max_connections, 'the rendered value');
  // Raising: the standbys, then a switchover, which restarts the former primary as a standby.
  await cluster.waitForStreaming(await cluster.waitForLeader(30_000), 60_000);
  await applyMaxConnections(before + 20);
  let leader = await cluster.waitForLeader(30_000);
  assert.is(await setting(leader, 'max_connections'), String(before), 'not applied before a restart');
  let run = await patronictl(cluster.members[leader], patroniArgs.restartPending('replica'));
  assert.is(run.code, 0, run.output);
  assert.match(run.output, `Success: restart on member ${name(other(leader))}`);
  // As the runbook says: the switchover once the restarted standby is the synchronous one again (Patroni accepts no
  // other candidate).
  await cluster.waitForStreaming(leader, 60_000);
  await waitForSyncStandby(other(leader));
  run = await patronictl(cluster.members[leader], patroniArgs.switchover(name(other(leader))));
  assert.match(run.output, 'Successfully switched over', run.output);
  leader = await cluster.waitForLeader(30_000, leader);
  await cluster.waitForStreaming(leader, 60_000);
  await noneMoreToRestart();
  for (const ordinal of [0, 1])
    assert.is(await setting(ordinal, 'max_connections'), String(before + 20), name(ordinal));

  // Lowering: a standby restarted first keeps its primary's higher value (Patroni reads it from the control data)...
  await applyMaxConnections(before - 20);
  run = await patronictl(cluster.members[leader], patroniArgs.restartPending('replica'));
  assert.is(run.code, 0, run.output);
  await cluster.waitForStreaming(leader, 60_000);
  assert.is(
    await setting(other(leader), 'max_connections'),
    String(before + 20),
    "a standby runs with at least its primary's value",
  );
  // ...so the primary goes first, in place, then the standbys once more.
  run = await patronictl(cluster.members[leader], patroniArgs.restartPending('primary'));
  assert.is(run.code, 0, run.output);
  // As the runbook says: once the standbys stream again (they must have replayed the primary's new value), and again
  // while one is Pending restart.
  for (
    let attempt = 0;
    attempt < 3 && (await cluster.cluster()).some((m) => (m as Record<string, any>).pending_restart);
    attempt++
  ) {
    await cluster.waitForStreaming(await cluster.waitForLeader(30_000), 60_000);
    run = await patronictl(cluster.members[leader], patroniArgs.restartPending('replica'));
    assert.is(run.code, 0, run.output);
  }
  await cluster.waitForStreaming(await cluster.waitForLeader(30_000), 60_000);
  await noneMoreToRestart();
  for (const ordinal of [0, 1])
    assert.is(await setting(ordinal, 'max_connections'), String(before - 20), name(ordinal));
});

/** A connection attempt as `user` with `password` over TCP with TLS (staging's pg_hba.conf is hostssl only): undefined when it works, else the error. */
async function loginError(
  ordinal: number,
  user: string,
  password: string,
  replication = false,
): Promise<string | undefined> {
  const { default: pg } = await import('pg');
  // replication=true: a physical replication connection, the kind pg_hba.conf admits the replication role to.
  const client = new pg.Client({
    host: '127.0.0.1',
    port: cluster.members[ordinal].ports.postgresql,
    user,
    password,
    database: cluster.credentials.database,
    ssl: cluster.clientSsl,
    ...(replication ? { replication: 'true' as never } : {}),
    connectionTimeoutMillis: 3_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

test('Rotate passwords: roles first on the primary, then every Patroni restarts with the new Secret; the reverse order locks Patroni out', async () => {
  const environment = resolveEnvironment(staging, 'scripts/environments/staging.ts');
  let leader = await cluster.waitForLeader(30_000);
  const env = cluster.members[leader].env;
  const old = { superuser: env.PATRONI_SUPERUSER_PASSWORD, replication: env.PATRONI_REPLICATION_PASSWORD };
  // The exporter's role: monitoring-role.sh creates it at initialisation, where the pod's files are all there.
  assert.is(
    (await cluster.query(leader, "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'postgres_exporter'"))[0].n,
    1,
    'post_bootstrap ran the monitoring role script',
  );
  const fresh = () => randomBytes(18).toString('base64url');
  // Both Secrets, as the runbook's secret_lines pipes them: the server's, then postgresql-app's keys prefixed app-.
  const secret = {
    database: env.POSTGRES_DB,
    username: env.POSTGRES_USER,
    password: fresh(),
    'replication-password': fresh(),
    'monitoring-password': fresh(),
    'app-username': env.APP_USER,
    'app-password': fresh(),
  };
  const receiverBefore = (await cluster.query(leader, 'SELECT pid FROM pg_stat_replication'))[0].pid;

  const run = await runRunbookScript(
    cluster,
    leader,
    'rotate-password.sh',
    primaryRotationArgs(environment),
    secretLines(secret),
  );
  assert.is(run.code, 0, run.output);
  for (const key of ['password', 'app-password', 'replication-password', 'monitoring-password'])
    assert.match(run.output, `password set from the Secret's ${key}`);
  assert.match(String(await loginError(leader, env.POSTGRES_USER, old.superuser)), 'password authentication failed');
  assert.match(String(await loginError(leader, env.APP_USER, env.APP_PASSWORD)), 'password authentication failed');
  assert.is(await loginError(leader, env.APP_USER, secret['app-password']), undefined);
  assert.is(await loginError(leader, env.POSTGRES_USER, secret.password), undefined);
  assert.match(
    String(await loginError(leader, env.PATRONI_REPLICATION_USERNAME, old.replication, true)),
    'password authentication failed',
  );
  assert.is(
    await loginError(leader, env.PATRONI_REPLICATION_USERNAME, secret['replication-password'], true),
    undefined,
  );
  // Open connections stay: the same WAL receiver streams, and Patroni still runs both members.
  // The test's own connections (cluster.query) log in with the superuser's new password; the running Patroni keep
  // theirs.
  for (const m of cluster.members) m.env.PATRONI_SUPERUSER_PASSWORD = m.env.POSTGRES_PASSWORD = secret.password;
  assert.is(
    (await cluster.query(leader, 'SELECT pid FROM pg_stat_replication'))[0].pid,
    receiverBefore,
    'the WAL receiver did not reconnect',
  );
  await cluster.query(leader, "INSERT INTO runbook_rows VALUES (3, 'after the rotation')");
  await waitFor(
    'row 3 on the standby',
    60_000,
    async () => (await cluster.query(other(leader), 'SELECT count(*)::int AS n FROM runbook_rows'))[0].n === 3,
  );
  assert.equal(
    (await cluster.cluster()).map((m) => m.state),
    ['running', 'running'],
    'Patroni runs both members',
  );

  // The roll: each Patroni restarts with the Secret's new values, the standby first.
  const newEnv = {
    PATRONI_SUPERUSER_PASSWORD: secret.password,
    POSTGRES_PASSWORD: secret.password,
    PATRONI_REPLICATION_PASSWORD: secret['replication-password'],
  };
  for (const ordinal of [other(leader), leader]) {
    await cluster.stop(ordinal);
    Object.assign(cluster.members[ordinal].env, newEnv);
    await cluster.start(ordinal);
    leader = await cluster.waitForLeader(60_000);
    await cluster.waitForStreaming(leader, 90_000);
  }
  const again = await runRunbookScript(
    cluster,
    leader,
    'rotate-password.sh',
    primaryRotationArgs(environment),
    secretLines(secret),
  );
  assert.is(again.code, 0, again.output);
  assert.match(again.output, "already has the Secret's replication-password");

  // The reverse: a Patroni started with passwords the roles do not have cannot use its own server.
  const standby = other(leader);
  await cluster.stop(standby);
  Object.assign(cluster.members[standby].env, {
    PATRONI_SUPERUSER_PASSWORD: old.superuser,
    PATRONI_REPLICATION_PASSWORD: old.replication,
  });
  const logStart = cluster.log(standby).length;
  await cluster.start(standby);
  await waitFor('the locked-out Patroni to be refused by its own server', 60_000, () =>
    cluster.log(standby).slice(logStart).includes(`password authentication failed for user "${env.POSTGRES_USER}"`),
  );
  await new Promise((wake) => setTimeout(wake, 15_000));
  // The test's own connection with the new password: cluster.query reads it from postgresql-0's environment, which
  // may be this member's.
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: '127.0.0.1',
    port: cluster.members[leader].ports.postgresql,
    user: env.POSTGRES_USER,
    password: secret.password,
    database: env.POSTGRES_DB,
    ssl: cluster.clientSsl,
  });
  await client.connect();
  try {
    assert.equal(
      (await client.query('SELECT application_name FROM pg_stat_replication')).rows,
      [],
      'it does not stream either',
    );
  } finally {
    await client.end();
  }
  await cluster.stop(standby);
  Object.assign(cluster.members[standby].env, newEnv);
  await cluster.start(standby);
  await cluster.waitForStreaming(leader, 90_000);
});

test.run();
