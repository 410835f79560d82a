import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  connect,
  debianBinaries,
  makeServerDirectory,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { find, rendered } from './support/rendered.ts';
import { installScript, onPath, runAsServerAccount, runScript } from './support/shell.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * The application role, created by the init script exactly as generated/dev.yaml ships it, on a real
 * PostgreSQL 16 server (the npm package's), with Debian's psql and busybox sh as in the image: the
 * role owns the application database and works in it, and can do nothing a superuser's role could.
 */
const tools = debianBinaries(15).toolsDir!;
const objects = rendered('dev');
const script = installScript(
  makeServerDirectory('application-init-'),
  '10-application-role.sh',
  find(objects, 'ConfigMap', 'postgresql-application-init').data['10-application-role.sh'],
);
const database = find(objects, 'ConfigMap', 'postgresql-connection').data.DB_NAME;
const APP_USER: string = find(objects, 'ConfigMap', 'postgresql-connection').data.DB_USER;
const SUPERUSER = { superuser: 'postgres', password: 'superuser-password', database } as const;
let server: TestServer;

/** The database container's variables (the entrypoint exports PGPASSWORD; Patroni's hook gets the same). */
const containerEnv = (password: string, extra: Record<string, string> = {}) => ({
  PGHOST: '127.0.0.1',
  PGPORT: String(server.port),
  POSTGRES_USER: SUPERUSER.superuser,
  POSTGRES_PASSWORD: SUPERUSER.password,
  POSTGRES_DB: database,
  APP_USER,
  APP_PASSWORD: password,
  ...extra,
});
const asApplication = (password: string, name = database) =>
  connect({ port: server.port, user: APP_USER, password, database: name });
const rejection = async (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'succeeded',
    (error: Error) => error.message,
  );
const roleCount = async (name: string) => {
  const client = await server.connect();
  try {
    return (await client.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [name])).rows[0].n;
  } finally {
    await client.end();
  }
};

test.before(async () => {
  server = await startTestServer(SUPERUSER);
  const client = await server.connect();
  // Another database with data the application must not read, as a second application's would be.
  await client.query('CREATE DATABASE other_app');
  await client.end();
  const other = await server.connect('other_app');
  await other.query(`CREATE TABLE payroll (salary int); INSERT INTO payroll VALUES (100)`);
  await other.end();
  console.log(
    `  PostgreSQL ${await (
      async () => {
        const c = await server.connect();
        const v = (await c.query('SHOW server_version')).rows[0].server_version;
        await c.end();
        return v;
      }
    )()}, application role ${APP_USER}, database ${database}`,
  );
});
test.after(async () => {
  await server?.stop();
});

test("an empty APP_PASSWORD, or the superuser's own name, fails the script and creates nothing", async () => {
  const empty = await runScript(script, [], containerEnv(''), tools);
  assert.is.not(empty.code, 0);
  assert.match(empty.stderr, 'APP_USER or APP_PASSWORD is empty');
  const superuser = await runScript(script, [], { ...containerEnv('x'), APP_USER: SUPERUSER.superuser }, tools);
  assert.is.not(superuser.code, 0);
  assert.match(superuser.stderr, "is the superuser's name");
  assert.is(await roleCount(APP_USER), 0);
});

test('a role of that name with an elevated attribute is refused, not quietly demoted', async () => {
  const client = await server.connect();
  try {
    await client.query(`CREATE ROLE ${client.escapeIdentifier(APP_USER)} LOGIN CREATEROLE`);
    const result = await runScript(script, [], containerEnv('first-app-password'), tools);
    assert.is.not(result.code, 0);
    assert.match(result.stderr, `the role "${APP_USER}" exists with elevated attributes`);
    assert.is(
      (await client.query('SELECT rolcreaterole FROM pg_roles WHERE rolname = $1', [APP_USER])).rows[0].rolcreaterole,
      true,
    );
    assert.is(
      (await client.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database]))
        .rows[0].owner,
      SUPERUSER.superuser,
    );
  } finally {
    await client.query(`DROP ROLE ${client.escapeIdentifier(APP_USER)}`);
    await client.end();
  }
});

test('the script creates a login role with no other attribute, owning the application database', async () => {
  const result = await runScript(script, [], containerEnv('first-app-password'), tools);
  assert.is(result.code, 0, result.stderr);
  const client = await server.connect();
  try {
    const role = (
      await client.query(
        `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit
      FROM pg_roles WHERE rolname = $1`,
        [APP_USER],
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
    });
    const memberOf = (
      await client.query(
        `SELECT count(*)::int AS n FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
        [APP_USER],
      )
    ).rows[0].n;
    assert.is(memberOf, 0, 'member of no role');
    assert.is(
      (await client.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database]))
        .rows[0].owner,
      APP_USER,
    );
  } finally {
    await client.end();
  }
});

test('logged in as the application role: it works in its database and reaches nothing else', async () => {
  const app = await asApplication('first-app-password');
  try {
    await app.query('CREATE TABLE orders (id serial PRIMARY KEY, total numeric)');
    await app.query('INSERT INTO orders (total) VALUES (12.5)');
    assert.is((await app.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 1);
    await app.query('CREATE SCHEMA reporting');
    assert.match(await rejection(app.query('CREATE ROLE intruder')), 'permission denied');
    assert.match(await rejection(app.query('CREATE DATABASE intruder')), 'permission denied');
    assert.match(
      await rejection(app.query(`ALTER ROLE ${app.escapeIdentifier(APP_USER)} SUPERUSER`)),
      'permission denied',
    );
    assert.match(await rejection(app.query(`ALTER SYSTEM SET log_connections = off`)), 'permission denied');
    assert.match(await rejection(app.query(`SET log_statement = 'none'`)), 'permission denied');
    assert.match(await rejection(app.query('SELECT pg_reload_conf()')), 'permission denied');
    assert.match(await rejection(app.query('SELECT rolpassword FROM pg_authid')), 'permission denied');
    assert.match(await rejection(app.query(`COPY orders TO PROGRAM 'id'`)), 'permission denied');
  } finally {
    await app.end();
  }
  const elsewhere = await asApplication('first-app-password', 'other_app');
  try {
    assert.match(await rejection(elsewhere.query('SELECT * FROM payroll')), 'permission denied');
    assert.match(await rejection(elsewhere.query('CREATE TABLE intruder (id int)')), 'permission denied');
  } finally {
    await elsewhere.end();
  }
});

test('running it again sets the new password on the one role; a missing database is created, owned by it', async () => {
  const result = await runScript(
    script,
    [],
    containerEnv('second-app-password', { APP_DATABASE: 'created_by_script' }),
    tools,
  );
  assert.is(result.code, 0, result.stderr);
  assert.is(await roleCount(APP_USER), 1);
  assert.match(await rejection(asApplication('first-app-password')), 'password authentication failed');
  const app = await asApplication('second-app-password', 'created_by_script');
  try {
    await app.query('CREATE TABLE t (id int)');
    assert.is(
      (await app.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()'))
        .rows[0].owner,
      APP_USER,
    );
  } finally {
    await app.end();
  }
});

test("sourced by the image's entrypoint (bash, set -Eeo pipefail), it returns instead of exiting; a failure stops the entrypoint", async () => {
  const bash = onPath('bash');
  const sourced = (env: Record<string, string>) =>
    runAsServerAccount([bash, '-c', `set -Eeo pipefail; . '${script}'; echo entrypoint-continues`], env, tools);
  const ok = await sourced({ ...containerEnv('third-app-password'), PGPASSWORD: SUPERUSER.password });
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, 'entrypoint-continues');
  await (await asApplication('third-app-password')).end();
  const failing = await sourced(containerEnv(''));
  assert.is.not(failing.code, 0);
  assert.not.match(failing.stdout, 'entrypoint-continues');
});

test("rotation: rotate-password.sh roles app-password sets the application role's password from postgresql-app, and refuses the superuser's name", async () => {
  const rotate = installScript(
    makeServerDirectory('rotate-'),
    'rotate-password.sh',
    readFileSync(path.join(PROJECT_ROOT, 'scripts/postgres/sh/rotate-password.sh'), 'utf8'),
  );
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  // What the runbook's secret_lines prints: the server's Secret, then postgresql-app's keys prefixed "app-".
  const lines = (appUser: string, appPassword: string) =>
    [
      `database ${b64(database)}`,
      `password ${b64(SUPERUSER.password)}`,
      `username ${b64(SUPERUSER.superuser)}`,
      `app-password ${b64(appPassword)}`,
      `app-username ${b64(appUser)}`,
      '',
    ].join('\n');
  const env = { ...containerEnv('unused'), PGDATA: '/nonexistent' };
  const run = (stdin: string) =>
    runAsServerAccount(
      ['/bin/sh', '-c', `printf '%s' '${stdin}' | '${onPath('busybox')}' sh '${rotate}' roles app-password`],
      env,
      tools,
    );
  const rotated = await run(lines(APP_USER, 'rotated-app-password'));
  assert.is(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, `${APP_USER}: password set from the Secret's app-password`);
  await (await asApplication('rotated-app-password')).end();
  assert.match(await rejection(asApplication('third-app-password')), 'password authentication failed');
  const again = await run(lines(APP_USER, 'rotated-app-password'));
  assert.match(again.stdout, "already has the Secret's app-password");
  const superuser = await run(lines(SUPERUSER.superuser, 'x'));
  assert.is.not(superuser.code, 0);
  assert.match(superuser.stderr, 'is the superuser: it must be an ordinary role');
});

test.run();
