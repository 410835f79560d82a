/**
 * One server start per measurement: start the data directory with a configuration, warm the cache,
 * run pgbench, read what the server did, stop. Every server is stopped in a `finally`, and
 * server-account.ts's safety net stops any left over on exit or Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { connect, startServer, type ServerHandle } from '../postgres/server.ts';
import { childCount, cpuSample, cpuUsedBetween, untilChildrenReaped } from './cpu-accounting.ts';
import { runPgbench, type Target } from './pgbench-client.ts';
import { readSettings, type BenchConfiguration } from './pgbench-configurations.ts';
import { dropPageCache, type IoCgroup, type MemoryCgroup } from './cgroups.ts';
import { latencyPercentileMs, parsePgbenchOutput } from './pgbench-output.ts';
import { WORKLOAD_ARGS, type RunRecord, type Workload } from './pgbench-summary.ts';

/** The tables and indexes pgbench -i creates; pg_prewarm reads them in this order. */
const PGBENCH_RELATIONS = [
  'pgbench_accounts',
  'pgbench_branches',
  'pgbench_tellers',
  'pgbench_history',
  'pgbench_accounts_pkey',
  'pgbench_branches_pkey',
  'pgbench_tellers_pkey',
];

/** A data directory, who logs in, and the pgbench binary that drives it. */
export interface Session {
  readonly dataDir: string;
  readonly pgbench: string;
  readonly target: Omit<Target, 'port'>;
  /**
   * The pod's memory limit for the server, its page cache included. With one, every run starts
   * cold (page cache dropped, no prewarm: the data does not fit, so no warm state would last),
   * unless `warmUp` warms it with the workload itself.
   */
  readonly memory?: MemoryCgroup;
  /** A volume's I/O limits for the server, as a cloud disk caps the pod's PVC. */
  readonly io?: IoCgroup;
  /**
   * pgbench's arguments for an unmeasured run of the same workload before each measured one, on the
   * same server start: caches, dirty buffers and checkpoints reach their steady state first.
   */
  readonly warmUp?: readonly string[];
}

export interface DataFacts {
  readonly databaseSize: string;
  readonly databaseBytes: number;
  readonly relationSizes: Record<string, string>;
}

/** pgbench -i at `scale`, and the pg_prewarm extension every later start warms its cache with. */
export async function loadData(session: Session, configuration: BenchConfiguration, scale: number): Promise<DataFacts> {
  return withStartedServer(session, configuration, async (server, client) => {
    await runPgbench(session.pgbench, { ...session.target, port: server.port }, ['-i', '-s', String(scale), '--quiet']);
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    const size = await client.query<{ bytes: string; pretty: string }>(
      'SELECT pg_database_size(current_database()) AS bytes, pg_size_pretty(pg_database_size(current_database())) AS pretty',
    );
    const relations = await client.query<{ name: string; size: string }>(
      'SELECT name, pg_size_pretty(pg_total_relation_size(name::regclass)) AS size FROM unnest($1::text[]) AS name',
      [PGBENCH_RELATIONS],
    );
    return {
      databaseSize: size.rows[0].pretty,
      databaseBytes: Number(size.rows[0].bytes),
      relationSizes: Object.fromEntries(relations.rows.map((row) => [row.name, row.size])),
    };
  });
}

export interface Measurement {
  readonly record: RunRecord;
  /** Every setting of the server that ran it, as SHOW prints it. */
  readonly settings: Record<string, string>;
  readonly overrides: ServerHandle['overrides'];
}

/** Starts the server with `configuration`, prewarms, runs one pgbench `workload`, stops. */
export async function measuredRun(
  session: Session,
  configuration: BenchConfiguration,
  workload: Workload,
  round: number,
  pgbenchArgs: readonly string[],
): Promise<Measurement> {
  if (session.memory) {
    execFileSync('sync');
    dropPageCache();
  }
  return withStartedServer(session, configuration, async (server, client) => {
    const settings = await readSettings(client);
    // Both configurations start from the same state: the relations read once through the kernel's
    // page cache into shared_buffers, as far as they fit (all of them in 1GB, the last 128MB in 128MB).
    // Under a memory limit both start cold instead.
    if (!session.memory)
      await client.query('SELECT sum(pg_prewarm(name::regclass)) FROM unnest($1::text[]) AS name', [PGBENCH_RELATIONS]);
    if (session.warmUp)
      await runPgbench(session.pgbench, { ...session.target, port: server.port }, [
        ...session.warmUp,
        ...WORKLOAD_ARGS[workload],
      ]);
    // This backend's own counters (the prewarm's reads) reach pg_stat_database only when it goes
    // idle after asking; without that they could land inside the run's delta.
    await client.query('SELECT pg_stat_force_next_flush()');
    const before = await blockCounters(client);
    const walBefore = await walPosition(client);
    const logBefore = server.log().length;
    const startedAt = new Date().toISOString();
    const postmaster = postmasterPid(session.dataDir);
    const serverProcesses = childCount(postmaster);
    const ioBefore = session.io?.served();
    const cpuBefore = cpuSample();
    // Every transaction's latency, for the 99th percentile: pgbench writes one file per thread.
    const logs = mkdtempSync(path.join(os.tmpdir(), 'pgbench-log-'));
    let output: Awaited<ReturnType<typeof runPgbench>>;
    let latencyP99Ms: number;
    try {
      output = await runPgbench(session.pgbench, { ...session.target, port: server.port }, [
        ...pgbenchArgs,
        ...WORKLOAD_ARGS[workload],
        '--log',
        `--log-prefix=${path.join(logs, 'tx')}`,
      ]);
      latencyP99Ms = latencyPercentileMs(
        readdirSync(logs).map((file) => readFileSync(path.join(logs, file), 'utf8')),
        0.99,
      );
    } finally {
      rmSync(logs, { recursive: true, force: true });
    }
    await untilOtherBackendsLeft(client);
    await untilChildrenReaped(postmaster, serverProcesses);
    const cpuAfter = cpuSample();
    const ioAfter = session.io?.served();
    const after = await blockCounters(client);
    const walBytes = await client.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes',
      [walBefore],
    );
    const checkpoints = checkpointsStarted(server.log().slice(logBefore));
    // Settle before the next run, whichever configuration it uses: the rows this run updated get
    // their hint bits and visibility set now, not by the next run's reads. Otherwise the run after a
    // read-write run pays for it, and with wal_log_hints = on (the bundle's) in WAL as well.
    await client.query('VACUUM pgbench_accounts');
    // Written now, unmeasured, rather than by the shutdown checkpoint: on a throttled disk 1GB of
    // dirty shared_buffers takes longer than the stop's 30 s before it kills the server.
    await client.query('CHECKPOINT');
    const hits = after.hit - before.hit;
    const reads = after.read - before.read;
    const record: RunRecord = {
      round,
      workload,
      configuration: configuration.name,
      startedAt,
      cpuSeconds: cpuUsedBetween(cpuBefore, cpuAfter),
      sharedBufferHitRatio: hits + reads === 0 ? 1 : hits / (hits + reads),
      walBytes: Number(walBytes.rows[0].bytes),
      checkpoints,
      latencyP99Ms,
      ...(session.memory ? { cgroupPeakBytes: session.memory.peakBytes() } : {}),
      ...(ioBefore && ioAfter
        ? { ioServed: { operations: ioAfter.operations - ioBefore.operations, bytes: ioAfter.bytes - ioBefore.bytes } }
        : {}),
      result: parsePgbenchOutput(output.stdout, output.stderr),
    };
    return { record, settings, overrides: server.overrides };
  });
}

async function withStartedServer<T>(
  session: Session,
  configuration: BenchConfiguration,
  use: (server: ServerHandle, client: pg.Client) => Promise<T>,
): Promise<T> {
  const server = await startServer({ dataDir: session.dataDir, args: configuration.args });
  try {
    const postmaster = postmasterPid(session.dataDir);
    session.memory?.enter(postmaster);
    session.io?.enter(postmaster);
    const client = await connect({
      port: server.port,
      user: session.target.user,
      password: session.target.password,
      database: session.target.database,
    });
    try {
      return await use(server, client);
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

/** The running postmaster's pid: the first line of postmaster.pid. */
function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Blocks found in shared_buffers (hit) and read from the kernel (read), this database, so far. */
async function blockCounters(client: pg.Client): Promise<{ hit: number; read: number }> {
  const { rows } = await client.query<{ hit: string; read: string }>(
    'SELECT blks_hit AS hit, blks_read AS read FROM pg_stat_database WHERE datname = current_database()',
  );
  return { hit: Number(rows[0].hit), read: Number(rows[0].read) };
}

/** A backend reports its last statistics as it exits; pgbench's backends may still be exiting. */
async function untilOtherBackendsLeft(client: pg.Client, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ others: string }>(
      "SELECT count(*) AS others FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    if (rows[0].others === '0') return;
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

async function walPosition(client: pg.Client): Promise<string> {
  return (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn;
}

/** Why each checkpoint in `log` started ("time", "wal"…); the shutdown checkpoint comes after the slice. */
function checkpointsStarted(log: string): string[] {
  return [...log.matchAll(/checkpoint starting: (.*)$/gm)].map((match) => match[1].trim());
}
