import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  connect,
  debianBinaries,
  EMBEDDED_16,
  makeServerDirectory,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { SCRIPTS_DIR } from '../scripts/runbooks/shell.ts';
import { UPGRADE_SCRIPT } from '../scripts/runbooks/upgrades.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { databaseContents } from './support/database-contents.ts';
import { find, rendered } from './support/rendered.ts';
import { installScript, runScript, type ScriptResult } from './support/shell.ts';

/**
 * The runbook "Major upgrade": upgrade-copy.sh, run by busybox sh, copying an older major's server
 * into a fresh newer one, on real servers. ONE MAJOR LOWER than the runbook's 16 → 17: Debian's
 * PostgreSQL 15 (server and client programs) into the npm package's PostgreSQL 16 server, with the
 * 15 client programs. Neither registry here offers PostgreSQL 17's pg_dumpall, nor 16's (the npm
 * packages hold server programs only), and pg_dumpall 15 cannot dump a 16 server; so the runbook's
 * own client, the new major's pg_dumpall, is not what runs here.
 */
const debian15 = debianBinaries(15);
const CREDENTIALS = { superuser: 'app_user', password: `upgrade's \\ password`, database: 'project_template' } as const;
const scriptDir = makeServerDirectory('upgrade-scripts-');
const upgradeCopy = installScript(
  scriptDir,
  UPGRADE_SCRIPT,
  readFileSync(path.join(PROJECT_ROOT, SCRIPTS_DIR, UPGRADE_SCRIPT), 'utf8'),
);
const monitoringRole = installScript(
  scriptDir,
  'monitoring-role.sh',
  find(rendered('prod'), 'ConfigMap', 'postgresql-monitoring-init').data['30-monitoring-role.sh'],
);
let source: TestServer;
let target: TestServer;

const ok = (result: ScriptResult) =>
  assert.is(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
/** The new primary's database container: the Secret's superuser, this server on its local socket. */
const podEnv = (server: TestServer) => ({
  POSTGRES_USER: CREDENTIALS.superuser,
  POSTGRES_PASSWORD: CREDENTIALS.password,
  POSTGRES_DB: CREDENTIALS.database,
  PGHOST: server.socketDir,
  PGPORT: String(server.port),
});
const copy = () => runScript(upgradeCopy, ['127.0.0.1', String(source.port)], podEnv(target), debian15.toolsDir!);
/** What initialisation runs with monitoring on: the exporter's role. */
const initialise = async (server: TestServer) =>
  ok(
    await runScript(
      monitoringRole,
      [],
      { ...podEnv(server), MONITORING_PASSWORD: 'monitoring-password' },
      debian15.toolsDir!,
    ),
  );

/** Contents without views' definitions: each major prints the same view differently (16 drops the table qualifiers 15 writes). */
const withoutViewText = (contents: unknown): unknown =>
  JSON.parse(JSON.stringify(contents, (key, value) => (key === 'definition' ? undefined : value)));

async function version(server: TestServer): Promise<string> {
  const client = await server.connect();
  try {
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
}

test.before(async () => {
  source = await startTestServer({ ...CREDENTIALS, binaries: debian15 });
  target = await startTestServer({ ...CREDENTIALS, binaries: EMBEDDED_16 });
  console.log(
    `  major upgrade: PostgreSQL ${await version(source)} into ${await version(target)}, with the 15 client programs (one major lower than the runbook)`,
  );
  await initialise(source);
  await initialise(target);
  const admin = await source.connect('postgres');
  await admin.query(`CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD 'replication-password'`);
  await admin.query(`CREATE ROLE reporter LOGIN PASSWORD 'reporter-password' CONNECTION LIMIT 5`);
  await admin.query('CREATE DATABASE inventory OWNER reporter');
  await admin.query(`ALTER DATABASE inventory SET work_mem = '8MB'`);
  await admin.query('REVOKE CONNECT ON DATABASE project_template FROM PUBLIC');
  await admin.query('GRANT CONNECT ON DATABASE project_template TO reporter');
  await admin.end();
  const app = await source.connect();
  await app.query(`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, joined timestamptz NOT NULL DEFAULT '2024-01-01 02:00Z');
    INSERT INTO customers (name) SELECT 'customer ' || n FROM generate_series(1, 500) n;
    INSERT INTO customers (name) VALUES ('O''Brien'), ('naïve ☃'), (E'tab\\there');
    CREATE INDEX customers_name ON customers (name);
    CREATE VIEW recent AS SELECT id, name FROM customers WHERE id > 450;
    GRANT SELECT ON customers TO reporter;`);
  await app.end();
  const inventory = await source.connect('inventory');
  await inventory.query(`CREATE SCHEMA warehouse AUTHORIZATION reporter;
    CREATE TABLE warehouse.items (sku text PRIMARY KEY, quantity integer NOT NULL CHECK (quantity >= 0));
    ALTER TABLE warehouse.items OWNER TO reporter;
    INSERT INTO warehouse.items VALUES ('A-1', 3), ('B-2', 0);`);
  await inventory.end();
});

test.after(async () => {
  await source?.stop();
  await target?.stop();
});

test('upgrade-copy.sh copies every role and database into the fresh newer server: contents, owners, grants and row counts equal', async () => {
  const result = await copy();
  ok(result);
  assert.match(result.stdout, 'database project_template: 1 tables, every row count equal');
  assert.match(result.stdout, 'database inventory: 1 tables, every row count equal');
  assert.match(result.stdout, 'complete');
  assert.equal(
    withoutViewText(await databaseContents(target.connect)),
    withoutViewText(await databaseContents(source.connect)),
  );
  const recent = async (server: TestServer) => {
    const client = await server.connect();
    const rows = (await client.query('SELECT * FROM recent ORDER BY id')).rows;
    await client.end();
    return rows;
  };
  assert.equal(await recent(target), await recent(source), 'the view returns the same rows');
});

test('what a logical backup loses comes along: role passwords, database settings and database grants', async () => {
  const admin = await target.connect('inventory');
  const settings = (
    await admin.query(
      `SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'inventory'`,
    )
  ).rows;
  const grants = (await admin.query(`SELECT datacl::text FROM pg_database WHERE datname = 'project_template'`)).rows[0]
    .datacl as string;
  await admin.end();
  assert.equal(settings, [{ setconfig: ['work_mem=8MB'] }]);
  assert.match(grants, 'reporter=c/app_user');
  const login = await connect({
    port: target.port,
    user: 'reporter',
    password: 'reporter-password',
    database: 'inventory',
  });
  assert.is((await login.query('SELECT count(*)::int AS n FROM warehouse.items')).rows[0].n, 2);
  await login.end();
});

test('refused: a target that already holds data, and a source newer than the target', async () => {
  const again = await copy();
  assert.is(again.code, 1);
  assert.match(again.stderr, 'this server already holds the databases inventory: copy only into a fresh one');
  const backwards = await runScript(
    upgradeCopy,
    ['127.0.0.1', String(target.port)],
    podEnv(source),
    debian15.toolsDir!,
  );
  assert.is(backwards.code, 1);
  assert.match(backwards.stderr, /the source runs PostgreSQL 16\d{4}, newer than this server's 15\d{4}/);
});

test.run();
