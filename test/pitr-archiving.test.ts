import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { debianBinaries, startTestServer, type TestServer } from '../tools/postgres/server.ts';
import { PGBACKREST, renderedContainers, run, startLab, type CommandResult, type PitrLab } from './support/pitr-lab.ts';

/**
 * Continuous archiving with prod's rendered archive_command and archive_timeout on PostgreSQL 15,
 * to s3rver over TLS: an idle server still ships its WAL within the timeout, and an outage of the
 * repository shows in pg_stat_archiver (what postgres_exporter exports and the alert reads), loses
 * nothing, and heals by itself once the endpoint is back.
 */
const binaries = debianBinaries(15);
const USER = { user: 'app_user', password: 'pitr-archiving-password' };
const containers = renderedContainers('prod');
let lab: PitrLab;
let primary: TestServer;
let sidecarEnv: Record<string, string>;
const measured: Record<string, number> = {};

const ok = (result: CommandResult, what: string) =>
  assert.is(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);

/** pg_stat_archiver as postgres_exporter reads it. */
async function archiver(): Promise<{
  archived: number;
  failed: number;
  lastArchived: string | null;
  lastFailed: string | null;
}> {
  const client = await primary.connect();
  try {
    const { rows } = await client.query(
      'SELECT archived_count, failed_count, last_archived_wal, last_failed_wal FROM pg_stat_archiver',
    );
    return {
      archived: Number(rows[0].archived_count),
      failed: Number(rows[0].failed_count),
      lastArchived: rows[0].last_archived_wal,
      lastFailed: rows[0].last_failed_wal,
    };
  } finally {
    await client.end();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function sql(text: string): Promise<any[]> {
  const client = await primary.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

test.before(async () => {
  lab = await startLab('prod', USER);
  const config = path.join(lab.dir, 'database.conf');
  primary = await startTestServer({
    superuser: USER.user,
    password: USER.password,
    database: 'project_template',
    binaries,
    args: containers.archivingArgs,
    env: lab.env(containers.database, config),
  });
  const paths = { pgdata: primary.dataDir, socketDir: primary.socketDir, port: primary.port };
  lab.podConfig('database.conf', paths);
  // Commands an operator runs in the sidecar (`kubectl exec -c pgbackrest`): it has the database password.
  sidecarEnv = lab.env(containers.sidecar, lab.podConfig('sidecar.conf', paths));
  ok(await run(PGBACKREST, ['stanza-create'], sidecarEnv), 'stanza-create');
  await sql('CREATE TABLE events (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
  // The checkpointer starts while recovery is in progress and then sleeps checkpoint_timeout (5 min)
  // without looking at archive_timeout, until something wakes it (seen here: no timed switch for
  // 130 s after a start; a reload then brought one at once). A running server's first checkpoint does
  // that within 5 minutes; this CHECKPOINT does it now, so what follows measures the steady state.
  await sql('CHECKPOINT');
});

test.after(async () => {
  await primary?.stop();
  await lab?.stop();
  if (Object.keys(measured).length) console.log(`\n  pitr archiving (ms): ${JSON.stringify(measured)}`);
});

test('archive_timeout: one write on an otherwise idle server reaches the repository within 60 s plus the push', async () => {
  // The first timed switch archives CREATE TABLE's segment; the write after it is the one measured.
  await until(
    'a first segment archived by archive_timeout',
    async () => ((await archiver()).archived > 0 ? true : undefined),
    75_000,
  );
  const { archived } = await archiver();
  await sql('INSERT INTO events DEFAULT VALUES');
  const written = Date.now();
  await until(
    'a segment archived after one write',
    async () => ((await archiver()).archived > archived ? true : undefined),
    90_000,
  );
  measured.idleRpo = Date.now() - written;
  assert.ok(measured.idleRpo <= 60_000 + 15_000, `archived after ${measured.idleRpo} ms`);
});

test('the repository unreachable: archive-push fails and failed_count grows, the backup fails loudly; back up, nothing is lost', async () => {
  const before = await archiver();
  await lab.s3.stop();
  await sql('INSERT INTO events DEFAULT VALUES');
  const [{ segment }] = await sql('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  const failing = await until(
    'failed_count growing',
    async () => {
      const now = await archiver();
      return now.failed > before.failed ? now : undefined;
    },
    180_000,
  );
  // PostgreSQLWALArchivingFailing reads this counter: increase(pg_stat_archiver_failed_count[15m]) > 0.
  assert.is(failing.lastFailed, segment, 'the segment that could not be pushed');
  assert.is(failing.lastArchived, before.lastArchived, 'nothing archived meanwhile');
  const backup = await run(PGBACKREST, ['backup', '--type=full'], sidecarEnv, 180_000);
  assert.is.not(backup.code, 0, 'the backup fails');
  assert.match(backup.stderr + backup.stdout, /ERROR: \[\d+\]/, 'with an error pgBackRest names');

  await lab.s3.start();
  // The archiver retries on its own; a new segment wakes it at once instead of within a minute.
  await sql('INSERT INTO events DEFAULT VALUES');
  const [{ segment: next }] = await sql('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  const started = Date.now();
  const healed = await until(
    'the backlog archived',
    async () => {
      const now = await archiver();
      return now.lastArchived === next ? now : undefined;
    },
    120_000,
  );
  measured.catchUp = Date.now() - started;
  assert.ok(healed.archived >= before.archived + 2, 'the failed segment and the next one');
  const get = await run(PGBACKREST, ['archive-get', segment, path.join(lab.dir, 'fetched')], sidecarEnv);
  ok(get, `the segment that failed (${segment}) is in the repository now`);
  ok(await run(PGBACKREST, ['backup', '--type=full'], sidecarEnv, 300_000), 'a backup once the endpoint is back');
});

test('wrong S3 credentials: the backup fails loudly, naming the refusal', async () => {
  const wrong = await run(
    PGBACKREST,
    ['backup', '--type=diff'],
    { ...sidecarEnv, PGBACKREST_REPO1_S3_KEY: 'NOT-THE-KEY' },
    180_000,
  );
  assert.is.not(wrong.code, 0);
  assert.match(wrong.stderr + wrong.stdout, /403|InvalidAccessKeyId|Forbidden/);
});

test.run();
