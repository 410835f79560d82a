import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';
import {
  asServerAccount,
  connect,
  debianBinaries,
  freePort,
  makeServerDirectory,
  startServer,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { serverEnvironment, signal } from '../tools/postgres/server-account.ts';
import { PGBACKREST, renderedContainers, run, startLab, type CommandResult, type PitrLab } from './support/pitr-lab.ts';

/**
 * The restore runbook on real parts: PostgreSQL 15 archiving with staging's rendered archive_command,
 * pgBackRest's TLS server as the sidecar runs it, the backup job's own command through it, to
 * s3rver over TLS with a CA made here; then restores onto fresh servers, with the pods' variables.
 */
const binaries = debianBinaries(15);
const USER = { user: 'app_user', password: 'pitr-test-password' };
const containers = renderedContainers('staging');
let lab: PitrLab;
let primary: TestServer;
let sidecar: { pid: number; port: number } | undefined;
let databaseEnv: Record<string, string>;
let sidecarEnv: Record<string, string>;
const timings: Record<string, number> = {};

const ok = (result: CommandResult, what: string) =>
  assert.is(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Until pg_stat_archiver reports `segment` (or a later one) archived. */
async function archived(server: TestServer, segment: string, timeoutMs = 30_000): Promise<void> {
  const client = await server.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query('SELECT last_archived_wal FROM pg_stat_archiver');
      if (rows[0].last_archived_wal && rows[0].last_archived_wal.slice(8) >= segment.slice(8)) return;
      await new Promise((wake) => setTimeout(wake, 200));
    }
    throw new Error(`${segment} not archived after ${timeoutMs} ms`);
  } finally {
    await client.end();
  }
}

/** The backup job's command exactly as rendered, against the sidecar, with a client certificate. */
async function backupJob(container: Record<string, any>, cn: string): Promise<CommandResult> {
  const config = lab.jobConfig(`job-${cn}.conf`, serverPaths(primary), sidecar!.port, lab.ca.client(cn));
  const [shell, ...args] = container.command as string[];
  return run(shell, args, lab.env(container, config), 300_000);
}

const serverPaths = (server: TestServer) => ({
  pgdata: server.dataDir,
  socketDir: server.socketDir,
  port: server.port,
});

test.before(async () => {
  lab = await startLab('staging', USER);
  const databaseConfig = path.join(lab.dir, 'database.conf');
  databaseEnv = lab.env(containers.database, databaseConfig);
  primary = await startTestServer({
    superuser: USER.user,
    password: USER.password,
    database: 'project_template',
    binaries,
    args: containers.archivingArgs,
    env: databaseEnv,
  });
  // Written once the server's paths are known, before any segment is complete.
  lab.podConfig('database.conf', serverPaths(primary));
  const port = await freePort();
  const config = lab.podConfig('sidecar.conf', serverPaths(primary), port);
  const [command, argv] = asServerAccount(PGBACKREST, containers.sidecar.command.slice(1));
  sidecarEnv = lab.env(containers.sidecar, config);
  const child = spawn(command, argv, { env: { ...serverEnvironment(), ...sidecarEnv }, stdio: 'ignore' });
  sidecar = { pid: child.pid!, port };
  await waitForPort(port);
});

test.after(async () => {
  if (sidecar) signal(sidecar.pid, 'SIGKILL');
  await primary?.stop();
  await lab?.stop();
  if (Object.keys(timings).length) console.log(`\n  pitr timings (ms): ${JSON.stringify(timings)}`);
});

test("the backup job, through the sidecar's TLS server, creates the stanza and takes a full backup; another CN is refused", async () => {
  const refused = await backupJob(containers.job, 'intruder');
  assert.is.not(refused.code, 0, 'a client certificate with another CN');
  assert.match(refused.stdout + refused.stderr, /access denied/i);
  const full = await backupJob(containers.job, 'pgbackrest-backup');
  ok(full, 'full backup');
  timings.fullBackup = full.ms;
  const info = await run(PGBACKREST, ['info', '--output=json'], databaseEnv);
  ok(info, 'info');
  const [stanza] = JSON.parse(info.stdout);
  assert.is(stanza.status.message, 'ok');
  assert.equal(
    stanza.backup.map((b: any) => b.type),
    ['full'],
  );
  assert.is(stanza.cipher, 'aes-256-cbc', 'the repository is encrypted');
  // What the bucket holds is ciphertext (openssl's "Salted__" format): the passphrase is only in the Secret.
  const stored = readFileSync(path.join(lab.s3Dir, lab.bucket, 'staging/backup/postgresql/backup.info._S3rver_object'));
  assert.is(stored.subarray(0, 8).toString(), 'Salted__');
  const wrong = await run(PGBACKREST, ['info'], { ...databaseEnv, PGBACKREST_REPO1_CIPHER_PASS: 'wrong' });
  assert.match(wrong.stdout + wrong.stderr, /error|unable/i, 'a wrong passphrase reads nothing');
});

const target = { time: '', lsn: '' };

test('writes, a timestamp, more writes and a destructive statement: every segment reaches the repository', async () => {
  const client = await primary.connect();
  await client.query('CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)');
  await client.query(`INSERT INTO orders SELECT n, 'before ' || n FROM generate_series(1, 100) n`);
  // pgBackRest picks a backup whose stop time, in whole seconds, is before the target: a backup that
  // ended in the same second as the target would not count (seen once in CI, under load).
  await new Promise((wake) => setTimeout(wake, 1100));
  target.time = (
    await client.query(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`)
  ).rows[0].t;
  // Commit timestamps on either side of the target, never equal to it.
  await new Promise((wake) => setTimeout(wake, 1100));
  await client.query(`INSERT INTO orders SELECT n, 'after ' || n FROM generate_series(101, 150) n`);
  target.lsn = (await client.query('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn;
  await new Promise((wake) => setTimeout(wake, 100));
  await client.query('DELETE FROM orders');
  const { rows } = await client.query('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  await client.end();
  await archived(primary, rows[0].segment);
  // As the runbook runs it: in the sidecar, which has the database password.
  const check = await run(PGBACKREST, ['check'], sidecarEnv);
  ok(check, 'pgbackrest check (archive_command and the repository agree)');
});

/** `pgbackrest restore` into a new directory with the database container's variables, then a server on it. */
async function restore(
  name: string,
  options: string[],
): Promise<{ dataDir: string; env: Record<string, string>; ms: number }> {
  const dataDir = path.join(makeServerDirectory(`pitr-${name}-`), 'data');
  const config = lab.podConfig(`${name}.conf`, { pgdata: dataDir, socketDir: primary.socketDir, port: primary.port });
  const env = lab.env(containers.database, config);
  const result = await run(PGBACKREST, ['restore', ...options], env);
  ok(result, `restore ${name}`);
  return { dataDir, env, ms: result.ms };
}

async function orders(dataDir: string, env: Record<string, string>): Promise<{ ids: number[]; ms: number }> {
  const started = Date.now();
  // No archiving on the restored servers: each would push a timeline of its own into the same stanza.
  const server = await startServer({ dataDir, binaries, env, startTimeoutMs: 60_000 });
  try {
    const client = await connect({
      port: server.port,
      user: USER.user,
      password: USER.password,
      database: 'project_template',
    });
    // A hot standby answers before replay reaches the target: the rows count once recovery has ended.
    const deadline = Date.now() + 60_000;
    while ((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r) {
      if (Date.now() > deadline) throw new Error(`still in recovery after 60 s\n${server.log()}`);
      await new Promise((wake) => setTimeout(wake, 100));
    }
    const recovered = Date.now() - started;
    const { rows } = await client.query('SELECT id FROM orders ORDER BY id');
    await client.end();
    return { ids: rows.map((row) => row.id), ms: recovered };
  } finally {
    await server.stop();
    if (process.env.PITR_DEBUG) console.log(server.log());
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('restore to the timestamp on a fresh server: exactly the rows committed before it', async () => {
  // As the Patroni bootstrap command gives it: the source's repository path on the command line.
  const restored = await restore('time', [
    '--repo1-path=/staging',
    '--type=time',
    `--target=${target.time}`,
    '--target-action=promote',
  ]);
  const autoConf = readFileSync(path.join(restored.dataDir, 'postgresql.auto.conf'), 'utf8');
  // The trap: the stanza came from PGBACKREST_STANZA, so restore_command does not carry it.
  assert.match(autoConf, /restore_command = '\S*pgbackrest --repo1-path=\/staging archive-get %f "%p"'/, autoConf);
  assert.not.match(autoConf, /--stanza/);
  const { PGBACKREST_STANZA: _, ...withoutStanza } = restored.env;
  const failed = await startServer({
    dataDir: restored.dataDir,
    binaries,
    env: withoutStanza,
    startTimeoutMs: 20_000,
  }).then(
    async (server) => {
      await server.stop();
      return '';
    },
    (error: Error) => error.message,
  );
  assert.match(failed, /stanza/, "without the pods' PGBACKREST_STANZA, recovery cannot fetch WAL");
  const result = await orders(restored.dataDir, restored.env);
  assert.equal(result.ids, range(1, 100));
  timings.restoreToTime = restored.ms;
  timings.recoveryToTime = result.ms;
});

test('restore to an LSN: the rows up to it, and not the DELETE after it', async () => {
  const restored = await restore('lsn', ['--type=lsn', `--target=${target.lsn}`, '--target-action=promote']);
  assert.equal((await orders(restored.dataDir, restored.env)).ids, range(1, 150));
});

test('restore to the latest: everything archived, the DELETE included', async () => {
  const restored = await restore('latest', ['--type=default']);
  assert.equal((await orders(restored.dataDir, restored.env)).ids, []);
});

test('a differential backup through the same path builds on the full one', async () => {
  const differential = await backupJob(containers.differential, 'pgbackrest-backup');
  ok(differential, 'differential backup');
  timings.differentialBackup = differential.ms;
  const [stanza] = JSON.parse((await run(PGBACKREST, ['info', '--output=json'], databaseEnv)).stdout);
  assert.equal(
    stanza.backup.map((b: any) => b.type),
    ['full', 'diff'],
  );
  assert.is(stanza.backup[1].reference[0], stanza.backup[0].label, 'the differential refers to the full backup only');
});

test.run();
