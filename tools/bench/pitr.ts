/**
 * npx tsx tools/bench/pitr.ts [--environment staging] [--scale 130] [--idle-samples 2] [--busy-seconds 60] [--busy-rate 20]   (npm run bench:pitr)
 *
 * What point-in-time recovery costs and loses, on real parts: the environment's rendered archive_command,
 * archive_timeout, pgbackrest.conf and variables (test/support/pitr-lab.ts: only paths, ports, the
 * endpoint and its CA differ) on Debian's PostgreSQL 15 and pgBackRest 2.45, to s3rver over TLS on
 * loopback. Measures:
 * - RPO on an idle server: one write right after the previous segment was archived (the worst case),
 *   seconds until its WAL is in the repository (archive_timeout bounds it);
 * - RPO under load: pgbench (2 clients, `--busy-rate` transactions a second, each inserting 1000 rows
 *   of 200 bytes: about 0.3 MB of WAL) while the current WAL position and the archived end are sampled
 *   every 0.5 s; per sampled position, seconds until archived;
 * - a full backup of a pgbench database of `--scale` (130 ≈ 2 GB) and a restore of it (pgbackrest
 *   restore, then recovery until the server accepts writes).
 * Nothing is asserted (test/pitr-*.test.ts hold the behaviour). Prints a summary and writes
 * bench/results/pitr.json. On a shared machine the times are the machine's, not the tools'.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  PGBACKREST,
  renderedContainers,
  run,
  startLab,
  type CommandResult,
  type PitrLab,
} from '../../test/support/pitr-lab.ts';
import {
  connect,
  debianBinaries,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
  startTestServer,
  type TestServer,
} from '../postgres/server.ts';
import { pgbenchBinary, runPgbench, type Target } from './pgbench-client.ts';
import { idleSample, percentile, sampleWhile } from './pitr-rpo.ts';
import { spreadOf } from './stats.ts';
import { gitCommit } from './commit.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE =
  'usage: npx tsx tools/bench/pitr.ts [--environment staging] [--scale 130] [--idle-samples 2] [--busy-seconds 60] [--busy-rate 20]';
const USER = { user: 'bench_user', password: 'pitr-bench-password' };
const DATABASE = 'project_template';

function options(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      environment: { type: 'string', default: 'staging' },
      scale: { type: 'string', default: '130' },
      'idle-samples': { type: 'string', default: '2' },
      'busy-seconds': { type: 'string', default: '60' },
      'busy-rate': { type: 'string', default: '20' },
    },
  });
  const whole = (name: 'scale' | 'idle-samples' | 'busy-seconds' | 'busy-rate', least: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < least)
      throw new Error(`--${name} must be a whole number of at least ${least}, got "${values[name]}"\n${USAGE}`);
    return value;
  };
  return {
    environment: values.environment!,
    scale: whole('scale', 1),
    idleSamples: whole('idle-samples', 0),
    busySeconds: whole('busy-seconds', 5),
    busyRate: whole('busy-rate', 1),
  };
}

const secondsOf = (ms: number) => Math.round(ms / 100) / 10;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const must = (result: CommandResult, what: string) => {
  if (result.code !== 0) throw new Error(`${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = Date.now();
  const value = await work();
  return { value, seconds: secondsOf(Date.now() - started) };
}

export async function runPitrBench(argv: readonly string[]): Promise<void> {
  const { environment, scale, idleSamples, busySeconds, busyRate } = options(argv);
  const binaries = debianBinaries(15);
  const pgbench = pgbenchBinary();
  const containers = renderedContainers(environment);
  console.log(
    `${environment}: PITR bench, pgbench scale ${scale}; configuration from generated/${environment}.yaml; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  let lab: PitrLab | undefined;
  let server: TestServer | undefined;
  // Interrupted (Ctrl-C, a timeout): stop the servers it started before leaving.
  const interrupted = async () => {
    await server?.stop();
    await lab?.stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    lab = await startLab(environment, USER);
    const databaseEnv = lab.env(containers.database, path.join(lab.dir, 'database.conf'));
    server = await startTestServer({
      superuser: USER.user,
      password: USER.password,
      database: DATABASE,
      binaries,
      args: containers.archivingArgs,
      env: databaseEnv,
    });
    const paths = { pgdata: server.dataDir, socketDir: server.socketDir, port: server.port };
    lab.podConfig('database.conf', paths);
    const sidecarEnv = lab.env(containers.sidecar, lab.podConfig('sidecar.conf', paths));
    must(await run(PGBACKREST, ['stanza-create'], sidecarEnv), 'stanza-create');
    const client = await server.connect();
    const [settings] = (
      await client.query(
        `SELECT current_setting('archive_timeout') AS timeout, current_setting('archive_command') AS command, current_setting('server_version') AS version`,
      )
    ).rows;
    console.log(
      `  archive_command ${settings.command}, archive_timeout ${settings.timeout}, PostgreSQL ${settings.version}`,
    );

    // PostgreSQL 15's checkpointer honours archive_timeout only once it has woken after the start: a
    // checkpoint wakes it (README: right after a start the first timed switch can take 5 minutes).
    await client.query('CHECKPOINT');
    await client.query('CREATE TABLE pitr_bench_idle (at timestamptz)');
    if (idleSamples > 0) await idleSample(client, 400_000);
    const idle: number[] = [];
    for (let i = 0; i < idleSamples; i++) {
      idle.push(await idleSample(client, 400_000));
      console.log(`  idle write ${i + 1}/${idleSamples}: in the repository after ${idle.at(-1)!.toFixed(1)} s`);
    }

    const target: Target = { port: server.port, user: USER.user, password: USER.password, database: DATABASE };
    const init = await timed(() => runPgbench(pgbench, target, ['-i', '-s', String(scale), '-q']));
    const [{ size }] = (await client.query('SELECT pg_database_size(current_database())::bigint AS size')).rows;
    console.log(`  pgbench -i -s ${scale}: ${init.seconds} s, database ${mb(Number(size))} MB`);
    // The load's WAL reaches the repository before the busy run starts: its backlog is not the busy RPO.
    await client.query('SELECT pg_switch_wal()');
    const backlog = await timed(() => sampleWhile(client, Promise.resolve(), 500, 1_800_000));
    console.log(`  archive backlog after the load drained in ${backlog.seconds} s`);

    await client.query('CREATE TABLE pitr_bench_busy (id int, filler text)');
    const script = path.join(lab.dir, 'busy.sql');
    writeFileSync(script, `INSERT INTO pitr_bench_busy SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g;\n`);
    const busy = await sampleWhile(
      client,
      runPgbench(pgbench, target, [
        '-c',
        '2',
        '-j',
        '2',
        '-R',
        String(busyRate),
        '-T',
        String(busySeconds),
        '-n',
        '-f',
        script,
      ]),
    );
    const busyRpo = {
      median: percentile(busy.lagSeconds, 0.5),
      p95: percentile(busy.lagSeconds, 0.95),
      max: Math.max(...busy.lagSeconds),
      tailMax: Math.max(...busy.tailSeconds),
    };
    console.log(
      `  busy (pgbench -c 2 -R ${busyRate} -T ${busySeconds}, 1000-row inserts): ${mb(busy.walBytes)} MB of WAL in ${busy.seconds.toFixed(0)} s (${(busy.walBytes / 2 ** 20 / busy.seconds).toFixed(1)} MB/s); during the load a write waited for the repository ${busyRpo.median.toFixed(1)} s median, ${busyRpo.p95.toFixed(1)} s p95, ${busyRpo.max.toFixed(1)} s max (${busy.lagSeconds.length} samples); unarchived WAL at most ${mb(Math.max(...busy.unarchivedBytes))} MB`,
    );
    console.log(
      `  the load's last writes (its unfilled last segment, ${busy.tailSeconds.length} samples) waited up to ${busyRpo.tailMax.toFixed(1)} s: archive_timeout ships them`,
    );

    // --start-fast as the backup jobs' backup.conf has it (start-fast=y): without it the backup first
    // waits for a spread checkpoint (up to checkpoint_completion_target × checkpoint_timeout).
    const full = await timed(async () =>
      must(await run(PGBACKREST, ['backup', '--type=full', '--start-fast'], sidecarEnv, 3_600_000), 'full backup'),
    );
    const [stanza] = JSON.parse(must(await run(PGBACKREST, ['info', '--output=json'], sidecarEnv), 'info').stdout);
    const backup = stanza.backup.at(-1);
    console.log(
      `  full backup: ${full.seconds} s, ${mb(backup.info.size)} MB of data stored as ${mb(backup.info.repository.delta)} MB (zst, encrypted)`,
    );
    await client.end();

    const dataDir = path.join(makeServerDirectory('pitr-bench-restore-'), 'data');
    try {
      const restoreEnv = lab.env(containers.database, lab.podConfig('restore.conf', { ...paths, pgdata: dataDir }));
      const restore = await timed(async () =>
        must(
          await run(PGBACKREST, ['restore', '--type=immediate', '--target-action=promote'], restoreEnv, 3_600_000),
          'restore',
        ),
      );
      const recovery = await timed(async () => {
        const restored = await startServer({ dataDir, binaries, env: restoreEnv, startTimeoutMs: 1_800_000 });
        const check = await connect({
          port: restored.port,
          user: USER.user,
          password: USER.password,
          database: DATABASE,
        });
        while ((await check.query('SELECT pg_is_in_recovery() AS r')).rows[0].r)
          await new Promise((wake) => setTimeout(wake, 200));
        const [{ n }] = (await check.query('SELECT count(*)::bigint AS n FROM pgbench_accounts')).rows;
        await check.end();
        await restored.stop();
        return Number(n);
      });
      console.log(
        `  restore of that backup: pgbackrest restore ${restore.seconds} s, then recovery to a consistent, writable server ${recovery.seconds} s (${recovery.value} accounts)`,
      );
      const report = {
        environment,
        command: `npx tsx tools/bench/pitr.ts ${argv.join(' ')}`.trim(),
        date: new Date().toISOString(),
        commit: gitCommit(),
        machine: {
          cpus: os.cpus().length,
          loadAverageAtEnd: os.loadavg()[0],
          postgresql: settings.version,
          pgbackrest: execFileSync(PGBACKREST, ['version'], { encoding: 'utf8' }).trim(),
          repository: 's3rver over TLS on loopback',
        },
        archiveTimeout: settings.timeout,
        idleRpoSeconds: idle.length ? spreadOf(idle) : undefined,
        busy: {
          rate: busyRate,
          seconds: busy.seconds,
          walMB: mb(busy.walBytes),
          rpoSeconds: busyRpo,
          tailSamples: busy.tailSeconds.length,
          unarchivedMBMax: mb(Math.max(...busy.unarchivedBytes)),
        },
        load: { scale, seconds: init.seconds, databaseMB: mb(Number(size)), backlogDrainedSeconds: backlog.seconds },
        fullBackup: { seconds: full.seconds, dataMB: mb(backup.info.size), storedMB: mb(backup.info.repository.delta) },
        restore: { restoreSeconds: restore.seconds, recoverySeconds: recovery.seconds },
      };
      const file = path.join(
        PROJECT_ROOT,
        'bench',
        'results',
        environment === 'staging' ? 'pitr.json' : `pitr-${environment}.json`,
      );
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`Written: ${path.relative(PROJECT_ROOT, file)}`);
    } finally {
      removeServerDirectory(path.dirname(dataDir));
    }
  } finally {
    await server?.stop();
    await lab?.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runPitrBench(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`pitr benchmark failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
