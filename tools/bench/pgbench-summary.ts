/**
 * From individual pgbench runs to the numbers the report shows: per workload and configuration the
 * median TPS over the rounds with its range, and the tuned/default ratio of the medians.
 */
import type { ConfigurationName } from './pgbench-configurations.ts';
import type { PgbenchResult } from './pgbench-output.ts';

/**
 * read-write: TPC-B-like; read-write-at-rate: the same at a fixed rate (--rate), for latency without
 * coordinated omission; read-only: -S; write-heavy: -N (no branch or teller updates, so no hot rows:
 * WAL as fast as it comes), run longer so checkpoints fall inside it.
 */
export type Workload = 'read-write' | 'read-write-at-rate' | 'read-only' | 'write-heavy';

/** pgbench's arguments that select each workload (the rate is the bench's --rate). */
export const WORKLOAD_ARGS: Readonly<Record<Workload, readonly string[]>> = {
  'read-write': [], // the built-in TPC-B-like script
  'read-write-at-rate': [],
  'read-only': ['-S'],
  'write-heavy': ['-N'],
};

/** One measured pgbench run and what the server did meanwhile. */
export interface RunRecord {
  readonly round: number;
  readonly workload: Workload;
  readonly configuration: ConfigurationName;
  readonly startedAt: string;
  /** CPU seconds during the run: ours (pgbench and the server), other processes', the hypervisor's, idle. */
  readonly cpuSeconds: {
    readonly ours: number;
    readonly others: number;
    readonly stolen: number;
    readonly idle: number;
  };
  /** Share of the run's block reads found in shared_buffers (pg_stat_database, delta over the run). */
  readonly sharedBufferHitRatio: number;
  /** WAL the run wrote, in bytes. */
  readonly walBytes: number;
  /** Why each checkpoint during the run started (the server log; log_checkpoints is on in both). */
  readonly checkpoints: readonly string[];
  /** 99th percentile of the transactions' latencies (pgbench --log), in ms. */
  readonly latencyP99Ms: number;
  /** Peak memory of the server's cgroup (its processes and the page cache it read), when it ran in one. */
  readonly cgroupPeakBytes?: number;
  /** Under --io-limit: the operations and bytes the server submitted to the throttled disk during the run. */
  readonly ioServed?: { readonly operations: number; readonly bytes: number };
  readonly result: PgbenchResult;
}

export interface ConfigurationSummary {
  readonly runs: number;
  readonly tpsMedian: number;
  readonly tpsMin: number;
  readonly tpsMax: number;
  /** Median over the runs of each run's average latency. */
  readonly latencyMs: number;
  readonly latencyStddevMs?: number;
  /** Median over the runs of each run's 99th-percentile latency. */
  readonly latencyP99Ms: number;
  /** Median over the runs of WAL bytes per transaction. */
  readonly walBytesPerTransaction: number;
  readonly sharedBufferHitRatio: number;
  /**
   * Median of each run's transactions per CPU second of pgbench and the server. On a machine
   * shared with other jobs TPS also measures how much CPU they left us; this does much less so.
   */
  readonly transactionsPerCpuSecond: number;
  /** Median CPU seconds other processes on the machine used during these runs. */
  readonly otherJobsCpuSeconds: number;
}

export interface WorkloadSummary {
  readonly workload: Workload;
  readonly tuned: ConfigurationSummary;
  readonly default: ConfigurationSummary;
  /** tuned median TPS / default median TPS: above 1, the environment's settings are faster. */
  readonly tpsRatio: number;
  /** Median over the rounds of tuned TPS / default TPS in the same round (runs minutes apart). */
  readonly pairedTpsRatio: number;
  /** tuned / default transactionsPerCpuSecond: the ratio least affected by other jobs. */
  readonly perCpuRatio: number;
  /** tuned / default median p99 latency: below 1, the environment's settings are faster at the tail. */
  readonly p99Ratio: number;
  /** tuned / default WAL bytes per transaction. */
  readonly walPerTransactionRatio: number;
}

export function summarise(runs: readonly RunRecord[]): WorkloadSummary[] {
  const workloads = [...new Set(runs.map((run) => run.workload))];
  return workloads.map((workload) => {
    const of = (configuration: ConfigurationName) =>
      configurationSummary(runs.filter((r) => r.workload === workload && r.configuration === configuration));
    const tuned = of('tuned');
    const defaults = of('default');
    const tpsIn = (round: number, configuration: ConfigurationName) =>
      runs.find((r) => r.round === round && r.workload === workload && r.configuration === configuration)?.result.tps;
    const rounds = [...new Set(runs.map((run) => run.round))];
    const paired = rounds.flatMap((round) => {
      const [t, d] = [tpsIn(round, 'tuned'), tpsIn(round, 'default')];
      return t !== undefined && d !== undefined ? [t / d] : [];
    });
    return {
      workload,
      tuned,
      default: defaults,
      tpsRatio: tuned.tpsMedian / defaults.tpsMedian,
      pairedTpsRatio: median(paired),
      perCpuRatio: tuned.transactionsPerCpuSecond / defaults.transactionsPerCpuSecond,
      p99Ratio: tuned.latencyP99Ms / defaults.latencyP99Ms,
      walPerTransactionRatio: tuned.walBytesPerTransaction / defaults.walBytesPerTransaction,
    };
  });
}

/** The summary as a markdown table (it reads as plain text on a terminal too). */
export function summaryTable(summaries: readonly WorkloadSummary[]): string {
  const lines = [
    "| workload | config | TPS median (min–max) | avg latency | p99 latency | WAL per tx | shared_buffers hits | tx per CPU-s | other jobs' CPU-s | tuned/default: TPS | per CPU-s | p99 | WAL per tx |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const summary of summaries) {
    for (const name of ['tuned', 'default'] as const) {
      const s = summary[name];
      const ratios =
        name === 'tuned'
          ? [summary.tpsRatio, summary.perCpuRatio, summary.p99Ratio, summary.walPerTransactionRatio]
              .map((r) => `**${r.toFixed(2)}×**`)
              .join(' | ')
          : ' |  |  | ';
      lines.push(
        `| ${summary.workload} | ${name} | ${fixed(s.tpsMedian)} (${fixed(s.tpsMin)}–${fixed(s.tpsMax)}) | ${s.latencyMs.toFixed(2)} ms | ${s.latencyP99Ms.toFixed(2)} ms | ` +
          `${(s.walBytesPerTransaction / 1024).toFixed(1)} kB | ${(s.sharedBufferHitRatio * 100).toFixed(1)}% | ${fixed(s.transactionsPerCpuSecond)} | ${s.otherJobsCpuSeconds.toFixed(0)} | ${ratios} |`,
      );
    }
  }
  return lines.join('\n');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function configurationSummary(runs: readonly RunRecord[]): ConfigurationSummary {
  const tps = runs.map((run) => run.result.tps);
  const stddevs = runs.flatMap((run) => run.result.latencyStddevMs ?? []);
  return {
    runs: runs.length,
    tpsMedian: median(tps),
    tpsMin: Math.min(...tps),
    tpsMax: Math.max(...tps),
    latencyMs: median(runs.map((run) => run.result.latencyAverageMs)),
    ...(stddevs.length === runs.length ? { latencyStddevMs: median(stddevs) } : {}),
    latencyP99Ms: median(runs.map((run) => run.latencyP99Ms)),
    walBytesPerTransaction: median(runs.map((run) => run.walBytes / Math.max(run.result.transactions, 1))),
    sharedBufferHitRatio: median(runs.map((run) => run.sharedBufferHitRatio)),
    transactionsPerCpuSecond: median(runs.map((run) => run.result.transactions / run.cpuSeconds.ours)),
    otherJobsCpuSeconds: median(runs.map((run) => run.cpuSeconds.others)),
  };
}

function fixed(tps: number): string {
  return Math.round(tps).toString();
}
