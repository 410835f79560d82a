import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  debianBinaries,
  makeServerDirectory,
  startTestServer,
  withServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { databaseContents } from './support/database-contents.ts';
import { find, rendered } from './support/rendered.ts';
import { installScript, runScript, type ScriptResult } from './support/shell.ts';

/**
 * backup.sh and restore.sh exactly as generated/staging.yaml ships them, run by busybox sh (the
 * alpine image's shell) against real PostgreSQL servers, with the PostgreSQL client programs of
 * the same major version first on PATH.
 */
const binaries = debianBinaries(15);
const toolsDir = binaries.toolsDir!;
const scripts = find(rendered('staging'), 'ConfigMap', 'postgresql-backup-scripts').data as Record<string, string>;
const scriptDir = makeServerDirectory('bundle-scripts-');
const backupSh = installScript(scriptDir, 'backup.sh', scripts['backup.sh']);
const restoreSh = installScript(scriptDir, 'restore.sh', scripts['restore.sh']);
const monitoringRoleSh = installScript(
  scriptDir,
  'monitoring-role.sh',
  find(rendered('staging'), 'ConfigMap', 'postgresql-monitoring-init').data['30-monitoring-role.sh'],
);

const SUPERUSER = {
  superuser: 'app_user',
  password: 'backup-test-password',
  database: 'project_template',
  binaries,
} as const;
const STAMP = /^\d{8}T\d{6}Z$/;
const backupDir = makeServerDirectory('backups-');
let source: TestServer;

/** The libpq variables the CronJob sets, pointing at a test server instead of a Service. */
const connection = (server: TestServer, password = SUPERUSER.password) => ({
  PGHOST: '127.0.0.1',
  PGPORT: String(server.port),
  PGUSER: SUPERUSER.superuser,
  PGPASSWORD: password,
  BACKUP_DIR: backupDir,
});
const backup = async (server: TestServer, env: Record<string, string> = {}) => {
  // Backups are named by the second: two in the same second would be refused (rightly).
  await new Promise((wake) => setTimeout(wake, 1000 - (Date.now() % 1000) + 10));
  return runScript(backupSh, [], { ...connection(server), ...env }, toolsDir);
};
const restore = (server: TestServer, args: string[]) => runScript(restoreSh, args, connection(server), toolsDir);
const createMonitoringRole = (server: TestServer) =>
  runScript(
    monitoringRoleSh,
    [],
    {
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      POSTGRES_USER: SUPERUSER.superuser,
      POSTGRES_PASSWORD: SUPERUSER.password,
      POSTGRES_DB: SUPERUSER.database,
      MONITORING_PASSWORD: 'monitoring-test-password',
    },
    toolsDir,
  );
const listing = () => readdirSync(backupDir).sort();
const ok = (result: ScriptResult) =>
  assert.is(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);

/** Two application databases and roles, with the things a dump must carry: owners, grants, odd text. */
async function createData(server: TestServer): Promise<void> {
  const admin = await server.connect('postgres');
  await admin.query(`CREATE ROLE analyst NOLOGIN`);
  await admin.query(`CREATE ROLE reporter LOGIN PASSWORD 'reporter-password' CONNECTION LIMIT 5 IN ROLE analyst`);
  await admin.query('CREATE DATABASE inventory OWNER reporter');
  await admin.end();
  const app = await server.connect(SUPERUSER.database);
  await app.query(`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, note text, created timestamptz NOT NULL DEFAULT '2024-01-01 02:00Z');
    INSERT INTO customers (name, note) SELECT 'customer ' || n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'note ' || n END FROM generate_series(1, 200) n;
    INSERT INTO customers (name, note) VALUES ('O''Brien', E'two\\nlines'), ('naïve ☃', '"quoted"'), ('tab\there', '\\backslash');
    CREATE INDEX customers_name ON customers (name);
    CREATE VIEW recent_customers AS SELECT id, name FROM customers WHERE id > 150;
    GRANT SELECT ON customers TO reporter;`);
  await app.end();
  const inventory = await server.connect('inventory');
  await inventory.query(`CREATE SCHEMA warehouse AUTHORIZATION reporter;
    CREATE TABLE warehouse.items (sku text PRIMARY KEY, quantity integer NOT NULL CHECK (quantity >= 0));
    ALTER TABLE warehouse.items OWNER TO reporter;
    INSERT INTO warehouse.items VALUES ('A-1', 3), ('B-2', 0), ('C-3', 12);`);
  await inventory.end();
}

test.before(async () => {
  source = await startTestServer(SUPERUSER);
  const client = await source.connect();
  console.log(
    `  PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version} (server and client programs), scripts run by busybox sh`,
  );
  await client.end();
  await createData(source);
  // As the image does at initialisation with monitoring on: the backup then holds that role too.
  ok(await createMonitoringRole(source));
});

test.after(async () => {
  await source?.stop();
});

let firstBackup: { name: string; contents: Record<string, unknown> };

test('backup.sh writes every database, in custom format, and the roles without passwords, into a checksummed directory', async () => {
  const result = await backup(source);
  ok(result);
  const [name, ...others] = listing();
  assert.equal(others, [], 'one directory, nothing left behind');
  assert.match(name, STAMP);
  const dir = path.join(backupDir, name);
  assert.equal(readdirSync(dir).sort(), [
    'SHA256SUMS',
    'globals.sql',
    'inventory.dump',
    'postgres.dump',
    'project_template.dump',
  ]);
  for (const dump of ['inventory.dump', 'postgres.dump', 'project_template.dump']) {
    assert.is(
      readFileSync(path.join(dir, dump)).subarray(0, 5).toString(),
      'PGDMP',
      `${dump} is a custom-format archive`,
    );
  }
  const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/));
  for (const [sum, file] of sums)
    assert.is(
      createHash('sha256')
        .update(readFileSync(path.join(dir, file)))
        .digest('hex'),
      sum,
      file,
    );
  assert.is(sums.length, 4);
  const globals = readFileSync(path.join(dir, 'globals.sql'), 'utf8');
  assert.match(globals, /CREATE ROLE reporter;/);
  assert.match(globals, /CONNECTION LIMIT 5/);
  assert.not.match(globals, /PASSWORD|SCRAM-SHA-256\$/, 'no password or hash in the backup');
  firstBackup = { name, contents: await databaseContents(source.connect) };
});

test('restore.sh lists the backups and restores one database next to the live one, under a new name', async () => {
  const list = await restore(source, []);
  ok(list);
  assert.match(
    list.stdout,
    new RegExp(`^${firstBackup.name}\\s+\\S+\\s+inventory postgres project_template\\s*$`, 'm'),
  );
  ok(await restore(source, ['latest', 'inventory', 'inventory_restored']));
  const contents = await databaseContents(source.connect);
  assert.equal(contents['database inventory_restored'], contents['database inventory']);
  const owners = Object.fromEntries(
    (contents.databases as { datname: string; owner: string }[]).map((d) => [d.datname, d.owner]),
  );
  assert.is(owners.inventory_restored, 'reporter', 'the restored database has the owner of the dumped one');
});

test('restore.sh never overwrites: a database that holds tables is refused and left as it was', async () => {
  const before = await databaseContents(source.connect);
  const result = await restore(source, [firstBackup.name, 'project_template']);
  assert.is(result.code, 1);
  assert.match(result.stderr, 'database project_template exists and holds');
  const everything = await restore(source, [firstBackup.name]);
  assert.is(everything.code, 1, 'a whole-backup restore onto a server with data is refused before it starts');
  assert.not.match(everything.stdout, 'restoring roles');
  assert.equal(await databaseContents(source.connect), before);
});

test('retention deletes only backups older than the window, by their names, and nothing else on the volume', async () => {
  const now = Date.now();
  const stamp = (daysAgo: number) =>
    new Date(now - daysAgo * 86_400_000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
  const expired = [stamp(7.05), stamp(30)];
  const kept = [stamp(6.95), stamp(1)];
  const strangers = ['lost+found', 'manual-copy-before-upgrade', '2024-01-01'];
  for (const name of [...expired, ...kept, ...strangers]) makeOwnedDir(path.join(backupDir, name));
  makeOwnedDir(path.join(backupDir, '.partial-20200101T000000Z'));
  const result = await backup(source, { BACKUP_RETENTION_DAYS: '7' });
  ok(result);
  const after = listing();
  for (const name of expired) assert.not.ok(after.includes(name), `${name} is past 7 days: deleted`);
  for (const name of [...kept, ...strangers, firstBackup.name]) assert.ok(after.includes(name), `${name} kept`);
  assert.not.ok(after.includes('.partial-20200101T000000Z'), 'what a killed run left behind is cleared');
  assert.is(
    after.filter((name) => STAMP.test(name)).length,
    kept.length + 2,
    'the kept ones, the first backup and the new one',
  );
  for (const name of expired) assert.match(result.stdout, `deleted ${name} (older than 7 days)`);
});

test('a dump that fails (wrong password) exits non-zero, writes nothing and deletes no backup, even one past the window', async () => {
  const old = '20200101T020000Z';
  makeOwnedDir(path.join(backupDir, old));
  const before = listing();
  const result = await backup(source, { PGPASSWORD: 'wrong-password', BACKUP_RETENTION_DAYS: '1' });
  assert.is.not(result.code, 0);
  assert.match(result.stderr, 'backup: FAILED: cannot connect');
  assert.equal(listing(), before);
});

test('a dump that fails half-way (no access to one database) leaves no partial backup behind', async () => {
  const admin = await source.connect('postgres');
  // It reads what reporter reads, which is every database but project_template once PUBLIC may not connect there.
  await admin.query(`CREATE ROLE limited LOGIN PASSWORD 'limited-password' IN ROLE reporter`);
  await admin.query('REVOKE CONNECT ON DATABASE project_template FROM PUBLIC');
  await admin.end();
  const before = listing();
  const result = await backup(source, {
    PGUSER: 'limited',
    PGPASSWORD: 'limited-password',
    BACKUP_RETENTION_DAYS: '1',
  });
  assert.is.not(result.code, 0);
  assert.match(result.stdout, 'dumping inventory', 'the first databases were dumped');
  assert.match(result.stderr, 'backup: FAILED: pg_dump of project_template');
  assert.equal(listing(), before, 'no new, partial or deleted directory');
});

test('a damaged backup is refused before anything is restored', async () => {
  const damaged = '20250101T020000Z';
  const dir = path.join(backupDir, damaged);
  makeOwnedDir(dir);
  for (const file of readdirSync(path.join(backupDir, firstBackup.name))) {
    copyOwned(path.join(backupDir, firstBackup.name, file), path.join(dir, file));
  }
  const dump = readFileSync(path.join(dir, 'inventory.dump'));
  dump[dump.length - 1] ^= 0xff;
  writeFileSync(path.join(dir, 'inventory.dump'), dump);
  const result = await restore(source, [damaged, 'inventory', 'inventory_from_damaged']);
  assert.is(result.code, 1);
  assert.match(result.stderr, 'does not match its checksums');
  assert.match(result.stderr, 'inventory.dump: FAILED');
  const client = await source.connect('postgres');
  assert.is(
    (await client.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = 'inventory_from_damaged'`)).rows[0]
      .n,
    0,
  );
  await client.end();
});

test('after the server is destroyed, restore.sh brings every database and role back on a fresh one, contents equal', async () => {
  await source.stop();
  assert.not.ok(existsSync(source.dataDir), 'the data directory is gone');
  await withServer(SUPERUSER, async (fresh) => {
    // A fresh pod initialises the image's database and, with monitoring on, the exporter's role.
    ok(await createMonitoringRole(fresh));
    const result = await restore(fresh, [firstBackup.name]);
    ok(result);
    assert.match(result.stdout, 'restoring roles and tablespaces');
    assert.equal(await databaseContents(fresh.connect), firstBackup.contents);
    const client = await fresh.connect('postgres');
    const passwords = (
      await client.query(
        `SELECT rolname, rolpassword IS NOT NULL AS has FROM pg_authid WHERE rolname IN ('reporter', 'postgres_exporter') ORDER BY 1`,
      )
    ).rows;
    await client.end();
    assert.equal(
      passwords,
      [
        { rolname: 'postgres_exporter', has: true },
        { rolname: 'reporter', has: false },
      ],
      "the fresh server's own roles keep their passwords; restored roles have none until set (docs/backups-and-restore.md#restoring-a-backup)",
    );
  });
});

/** A directory owned like the backup directory, as the CronJob's pod would have written it. */
function makeOwnedDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = statSync(backupDir);
  chownSync(dir, uid, gid);
}

function copyOwned(from: string, to: string): void {
  writeFileSync(to, readFileSync(from));
  const { uid, gid } = statSync(backupDir);
  chownSync(to, uid, gid);
}

test.run();
