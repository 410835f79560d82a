import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  connect,
  debianBinaries,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { runsAsRoot, serverIds } from '../tools/postgres/server-account.ts';
import {
  containerEnv,
  overridden,
  PGBACKREST,
  renderedContainers,
  run,
  type CommandResult,
} from './support/pitr-lab.ts';
import { find, rendered } from './support/rendered.ts';

/**
 * Retention and WAL expiry with staging's rendered pgbackrest.conf and archive_command, on a POSIX
 * repository in a temporary directory: s3rver's ListObjectsV2 omits the CommonPrefixes pgBackRest's
 * expiry reads for the WAL path, so on s3rver WAL would never be expired (a limit of the fake, not of
 * S3). Only the repository type and path, the machine's paths and, for one expire, the retention change.
 *
 * The rendered retention is time-based (7 days in staging): backups taken minutes apart are all inside
 * that window, so the test shows it expires none of them, then shows the mechanism with count-based
 * retention on the expire's command line (keep 2 full backups), which removes exactly what a window
 * starting at the second backup no longer needs. Waiting a week for the time-based rule is not a test.
 */
const binaries = debianBinaries(15);
const USER = { user: 'app_user', password: 'pitr-retention-password' };
const containers = renderedContainers('staging');
const conf = (find(rendered('staging'), 'ConfigMap', 'postgresql-pgbackrest-config').data as Record<string, string>)[
  'pgbackrest.conf'
];
let dir: string;
let repo: string;
let primary: TestServer;
let env: Record<string, string>;
const passphrase = randomBytes(24).toString('base64');

const ok = (result: CommandResult, what: string) =>
  assert.is(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
const SEGMENT = /^([0-9A-F]{24})-[0-9a-f]{40}/;

/** The rendered pgbackrest.conf for a server at `pgdata`, with a POSIX repository in the test's directory. */
function writeConfig(name: string, pgdata: string, server: { socketDir: string; port: number }): string {
  const text = overridden(
    conf,
    {
      'repo1-type': 'posix',
      'repo1-path': repo,
      'lock-path': path.join(dir, 'lock'),
      'spool-path': path.join(dir, 'spool'),
      'log-path': path.join(dir, 'log'),
      'pg1-path': pgdata,
      'pg1-port': String(server.port),
      'pg1-socket-path': server.socketDir,
    },
    [],
    /^(repo1-s3-|repo1-storage-verify-tls|tls-server-)/,
  );
  const file = path.join(dir, name);
  writeFileSync(file, text);
  if (runsAsRoot) chownSync(file, ...serverIds());
  return file;
}

/** The database container's PGBACKREST_* variables; the S3 keys mean nothing to a POSIX repository. */
function variables(configFile: string): Record<string, string> {
  const all = containerEnv(containers.database, {
    'postgresql-pgbackrest-repository/s3-key': 'unused',
    'postgresql-pgbackrest-repository/s3-key-secret': 'unused',
    'postgresql-pgbackrest-repository/cipher-pass': passphrase,
  });
  const { PGBACKREST_REPO1_S3_KEY: _k, PGBACKREST_REPO1_S3_KEY_SECRET: _s, ...rest } = all;
  // The backups connect as a superuser, as the sidecar's PGBACKREST_PG1_USER and PGPASSWORD do.
  return { ...rest, PGBACKREST_CONFIG: configFile, PGBACKREST_PG1_USER: USER.user, PGPASSWORD: USER.password };
}

async function info(): Promise<{ backups: { label: string; start: string }[]; min: string; max: string }> {
  const result = await run(PGBACKREST, ['info', '--output=json'], env);
  ok(result, 'info');
  const [stanza] = JSON.parse(result.stdout);
  return {
    backups: stanza.backup.map((b: any) => ({ label: b.label, start: b.archive.start })),
    min: stanza.archive[0]?.min,
    max: stanza.archive[0]?.max,
  };
}

/** The WAL segments in the repository's files (not its own listing): what expiry really removed. */
function walInRepository(): string[] {
  const archive = path.join(repo, 'archive', 'postgresql');
  const segments: string[] = [];
  for (const version of readdirSync(archive).filter((name) => /^\d+-\d+$/.test(name))) {
    for (const prefix of readdirSync(path.join(archive, version)).filter((name) => /^[0-9A-F]{16}$/.test(name))) {
      for (const file of readdirSync(path.join(archive, version, prefix))) {
        const match = SEGMENT.exec(file);
        if (match) segments.push(match[1]);
      }
    }
  }
  return segments.sort();
}

/** Every segment name from `first` to `last` on timeline 1 (16 MB segments: 256 per log file). */
function contiguous(first: string, last: string): string[] {
  const number = (segment: string) => parseInt(segment.slice(8, 16), 16) * 256 + parseInt(segment.slice(16), 16);
  const names: string[] = [];
  for (let n = number(first); n <= number(last); n++) {
    names.push(
      `${first.slice(0, 8)}${Math.floor(n / 256)
        .toString(16)
        .toUpperCase()
        .padStart(8, '0')}${(n % 256).toString(16).toUpperCase().padStart(8, '0')}`,
    );
  }
  return names;
}

async function sql(text: string): Promise<any[]> {
  const client = await primary.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function fullBackup(): Promise<void> {
  // --start-fast as the backup jobs' backup.conf renders it: no wait for a spread checkpoint.
  ok(await run(PGBACKREST, ['backup', '--type=full', '--start-fast'], env, 300_000), 'full backup');
}

test.before(async () => {
  dir = makeServerDirectory('pitr-retention-');
  repo = path.join(dir, 'repository');
  const configFile = path.join(dir, 'database.conf');
  env = variables(configFile);
  primary = await startTestServer({
    superuser: USER.user,
    password: USER.password,
    database: 'project_template',
    binaries,
    args: containers.archivingArgs,
    env,
  });
  writeConfig('database.conf', primary.dataDir, primary);
});

test.after(async () => {
  await primary?.stop();
  if (dir) removeServerDirectory(dir);
});

let target = '';
let kept: { label: string; start: string }[] = [];

test('the rendered time-based retention (7 days) keeps three full backups taken minutes apart, and all their WAL', async () => {
  ok(await run(PGBACKREST, ['stanza-create'], env), 'stanza-create');
  await sql('CREATE TABLE orders (id int PRIMARY KEY)');
  await fullBackup();
  await sql('INSERT INTO orders SELECT generate_series(1, 100)');
  // WAL between the first and the second backup: what expiry must remove with the first.
  for (let i = 0; i < 3; i++) await sql('SELECT pg_switch_wal()');
  await fullBackup();
  await sql('INSERT INTO orders SELECT generate_series(101, 150)');
  await new Promise((wake) => setTimeout(wake, 1_100));
  target = (
    await sql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`)
  )[0].t;
  await new Promise((wake) => setTimeout(wake, 1_100));
  await sql('INSERT INTO orders SELECT generate_series(151, 200)');
  await fullBackup();
  // Each backup ran the rendered retention (pgBackRest expires after every successful backup).
  const before = await info();
  assert.is(before.backups.length, 3, 'no backup expired inside the 7-day window');
  assert.equal(
    walInRepository(),
    contiguous(before.min, walInRepository().at(-1)!),
    'every segment since the first backup is kept',
  );
  assert.ok(before.min <= before.backups[0].start, `the WAL of the oldest backup is kept (archive min ${before.min})`);
  kept = before.backups.slice(1);
});

test('count-based retention (2 full backups): the oldest backup and the WAL before the oldest kept backup are gone, the rest kept', async () => {
  const before = walInRepository();
  const oldest = (await info()).backups[0];
  assert.ok(
    before.some((segment) => segment < kept[0].start),
    'there is WAL older than the second backup to expire',
  );
  const expire = await run(
    PGBACKREST,
    ['expire', '--repo1-retention-full-type=count', '--repo1-retention-full=2'],
    env,
  );
  ok(expire, 'expire');
  const after = await info();
  assert.equal(
    after.backups.map((b) => b.label),
    kept.map((b) => b.label),
    'the two newest full backups remain',
  );
  assert.not.ok(
    existsSync(path.join(repo, 'backup', 'postgresql', oldest.label)),
    `the oldest backup's files (${oldest.label}) are gone`,
  );
  const wal = walInRepository();
  assert.equal(
    wal.filter((segment) => segment < kept[0].start),
    [],
    'no WAL before the oldest kept backup',
  );
  assert.equal(
    wal,
    contiguous(kept[0].start, before.at(-1)!),
    'every segment from the oldest kept backup on is still there',
  );
  assert.is(after.min, kept[0].start);
});

test('restore to a time inside the kept window still works: exactly the rows before it', async () => {
  const dataDir = path.join(makeServerDirectory('pitr-retention-restore-'), 'data');
  const restoreEnv = variables(writeConfig('restore.conf', dataDir, primary));
  ok(
    await run(PGBACKREST, ['restore', '--type=time', `--target=${target}`, '--target-action=promote'], restoreEnv),
    'restore',
  );
  const server = await startServer({ dataDir, binaries, env: restoreEnv, startTimeoutMs: 60_000 });
  try {
    const client = await connect({
      port: server.port,
      user: USER.user,
      password: USER.password,
      database: 'project_template',
    });
    const deadline = Date.now() + 60_000;
    while ((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r) {
      if (Date.now() > deadline) throw new Error(`still in recovery after 60 s\n${server.log()}`);
      await new Promise((wake) => setTimeout(wake, 100));
    }
    const { rows } = await client.query('SELECT count(*)::int AS n, max(id) AS max FROM orders');
    await client.end();
    assert.equal(rows[0], { n: 150, max: 150 });
  } finally {
    await server.stop();
    removeServerDirectory(path.dirname(dataDir));
  }
});

test.run();
