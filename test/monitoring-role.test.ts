import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  connect,
  debianBinaries,
  makeServerDirectory,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { find, rendered } from './support/rendered.ts';
import { installScript, onPath, runAsServerAccount, runScript } from './support/shell.ts';

/**
 * The exporter's role, created by the init script exactly as generated/prod.yaml ships it, run
 * against a real PostgreSQL server: it logs in, holds pg_monitor, and nothing more.
 */
const binaries = debianBinaries(15);
const objects = rendered('prod');
const script = installScript(
  makeServerDirectory('monitoring-init-'),
  '30-monitoring-role.sh',
  find(objects, 'ConfigMap', 'postgresql-monitoring-init').data['30-monitoring-role.sh'],
);
const exporter = find(objects, 'StatefulSet', 'postgresql').spec.template.spec.containers.find(
  (c: any) => c.name === 'exporter',
);
const ROLE: string = exporter.env.find((e: any) => e.name === 'DATA_SOURCE_USER').value;
const SUPERUSER = {
  superuser: 'app_user',
  password: 'superuser-password',
  database: 'project_template',
  binaries,
} as const;
let server: TestServer;

/** The variables the database container has (the entrypoint exports PGPASSWORD; a manual run has POSTGRES_PASSWORD). */
const containerEnv = (password: string) => ({
  PGHOST: '127.0.0.1',
  PGPORT: String(server.port),
  POSTGRES_USER: SUPERUSER.superuser,
  POSTGRES_PASSWORD: SUPERUSER.password,
  POSTGRES_DB: SUPERUSER.database,
  MONITORING_PASSWORD: password,
});
const loginAsRole = (password: string) =>
  connect({ port: server.port, user: ROLE, password, database: SUPERUSER.database });
const rejection = async (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'succeeded',
    (error: Error) => error.message,
  );

test.before(async () => {
  server = await startTestServer(SUPERUSER);
  const client = await server.connect();
  console.log(
    `  PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}, role ${ROLE}, script run by busybox sh and by bash`,
  );
  await client.end();
});
test.after(async () => {
  await server?.stop();
});

test('an empty MONITORING_PASSWORD fails the init script (and so the initialisation) and creates nothing', async () => {
  const result = await runScript(script, [], containerEnv(''), binaries.toolsDir!);
  assert.is.not(result.code, 0);
  assert.match(result.stderr, 'MONITORING_PASSWORD is empty');
  const client = await server.connect();
  assert.is((await client.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [ROLE])).rows[0].n, 0);
  await client.end();
});

test("the script creates the exporter's role: login, pg_monitor, and no other attribute, membership or ownership", async () => {
  const result = await runScript(script, [], containerEnv('first-monitoring-password'), binaries.toolsDir!);
  assert.is(result.code, 0, result.stderr);
  const client = await server.connect();
  try {
    const role = (
      await client.query(
        `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit, rolconnlimit
      FROM pg_roles WHERE rolname = $1`,
        [ROLE],
      )
    ).rows[0];
    assert.equal(role, {
      rolcanlogin: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolinherit: true,
      rolconnlimit: 3,
    });
    const memberOf = (
      await client.query(
        `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
        [ROLE],
      )
    ).rows.map((row) => row.rolname);
    assert.equal(memberOf, ['pg_monitor']);
    const owned = (
      await client.query(
        `SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
      + (SELECT count(*) FROM pg_database WHERE datdba = r.oid) AS n FROM pg_roles r WHERE rolname = $1`,
        [ROLE],
      )
    ).rows[0].n;
    assert.is(Number(owned), 0, 'owns nothing');
    const granted = (
      await client.query(`SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = $1`, [
        ROLE,
      ])
    ).rows[0].n;
    assert.is(granted, 0, 'no table privileges of its own');
  } finally {
    await client.end();
  }
});

test('logged in as that role: monitoring views work, and it can change nothing', async () => {
  const role = await loginAsRole('first-monitoring-password');
  try {
    const others = await server.connect();
    await others.query('SELECT 1');
    const activity = (
      await role.query(`SELECT query FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`, [
        SUPERUSER.superuser,
      ])
    ).rows;
    assert.ok(
      activity.length > 0 && activity.every((row) => row.query !== '<insufficient privilege>'),
      "pg_read_all_stats: sees other users' queries",
    );
    await others.end();
    assert.ok((await role.query('SELECT count(*) FROM pg_ls_waldir()')).rows.length === 1, 'pg_monitor functions');
    assert.ok(
      (await role.query(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`)).rows[0].setting,
      'pg_read_all_settings',
    );
    assert.match(await rejection(role.query('CREATE TABLE intruder (id int)')), 'permission denied');
    assert.match(await rejection(role.query('CREATE DATABASE intruder')), 'permission denied');
    assert.match(await rejection(role.query('CREATE ROLE intruder')), 'permission denied');
    assert.match(await rejection(role.query(`SELECT pg_reload_conf()`)), 'permission denied');
  } finally {
    await role.end();
  }
});

test('running it again (monitoring turned on for an existing database) keeps one role and sets the new password', async () => {
  const result = await runScript(script, [], containerEnv('second-monitoring-password'), binaries.toolsDir!);
  assert.is(result.code, 0, result.stderr);
  const role = await loginAsRole('second-monitoring-password');
  await role.end();
  assert.match(await rejection(loginAsRole('first-monitoring-password')), 'password authentication failed');
});

test("sourced by the image's entrypoint (bash, set -Eeo pipefail), it returns instead of exiting", async () => {
  const bash = onPath('bash');
  const result = await runAsServerAccount(
    [bash, '-c', `set -Eeo pipefail; . '${script}'; echo entrypoint-continues`],
    { ...containerEnv('third-monitoring-password'), PGPASSWORD: SUPERUSER.password },
    binaries.toolsDir!,
  );
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, 'entrypoint-continues');
  const failing = await runAsServerAccount(
    [bash, '-c', `set -Eeo pipefail; . '${script}'; echo entrypoint-continues`],
    containerEnv(''),
    binaries.toolsDir!,
  );
  assert.is.not(failing.code, 0, 'a failure stops the entrypoint, so the pod does not start half-initialised');
  assert.not.match(failing.stdout, 'entrypoint-continues');
});

test.run();
