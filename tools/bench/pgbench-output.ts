/**
 * Reads the summary pgbench prints at the end of a run (stdout) and the `--progress` lines it
 * writes while running (stderr). The format is pgbench 15's; a line it cannot find throws, naming
 * the line, rather than leaving a number silently undefined.
 */

/** One `progress:` line: the interval ending `atSeconds` into the run. */
export interface PgbenchProgress {
  readonly atSeconds: number;
  readonly tps: number;
  readonly latencyMs: number;
  readonly latencyStddevMs: number;
}

/** The numbers of one pgbench run. */
export interface PgbenchResult {
  /** e.g. "TPC-B (sort of)" or "select only". */
  readonly transactionType: string;
  readonly scale: number;
  readonly clients: number;
  readonly threads: number;
  readonly durationSeconds: number;
  readonly transactions: number;
  readonly failedTransactions: number;
  /** Excludes the time to open connections (pgbench's own figure). */
  readonly tps: number;
  readonly latencyAverageMs: number;
  /** Printed only when pgbench measured each transaction: with --progress, --rate or --latency-limit. */
  readonly latencyStddevMs?: number;
  readonly initialConnectionMs: number;
  readonly progress: readonly PgbenchProgress[];
}

export function parsePgbenchOutput(stdout: string, stderr = ''): PgbenchResult {
  const field = (pattern: RegExp, line: string): string => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`pgbench output has no "${line}" line:\n${stdout}`);
    return match[1];
  };
  const number = (pattern: RegExp, line: string): number => Number(field(pattern, line));
  const stddev = /^latency stddev = ([\d.]+) ms$/m.exec(stdout);
  return {
    transactionType: field(/^transaction type: <builtin: (.+)>$/m, 'transaction type'),
    scale: number(/^scaling factor: (\d+)$/m, 'scaling factor'),
    clients: number(/^number of clients: (\d+)$/m, 'number of clients'),
    threads: number(/^number of threads: (\d+)$/m, 'number of threads'),
    durationSeconds: number(/^duration: (\d+) s$/m, 'duration'),
    transactions: number(
      /^number of transactions actually processed: (\d+)/m,
      'number of transactions actually processed',
    ),
    // pgbench 15 added retries and this line; older clients never report failures separately.
    failedTransactions: Number(/^number of failed transactions: (\d+)/m.exec(stdout)?.[1] ?? 0),
    tps: number(/^tps = ([\d.]+) \(without initial connection time\)$/m, 'tps'),
    latencyAverageMs: number(/^latency average = ([\d.]+) ms$/m, 'latency average'),
    ...(stddev ? { latencyStddevMs: Number(stddev[1]) } : {}),
    initialConnectionMs: number(/^initial connection time = ([\d.]+) ms$/m, 'initial connection time'),
    progress: progressLines(stderr),
  };
}

function progressLines(stderr: string): PgbenchProgress[] {
  const pattern = /^progress: ([\d.]+) s, ([\d.]+) tps, lat ([\d.]+) ms stddev ([\d.]+|-?nan)/gim;
  return [...stderr.matchAll(pattern)].map((match) => ({
    atSeconds: Number(match[1]),
    tps: Number(match[2]),
    latencyMs: Number(match[3]),
    latencyStddevMs: Number(match[4]),
  }));
}

/**
 * The latency below which `share` of the transactions finished, in ms, from pgbench's per-transaction
 * logs (`--log`): each line is "client transaction latency_us script epoch epoch_us"; failed or
 * skipped transactions (a word in place of the latency) are left out.
 */
export function latencyPercentileMs(logs: readonly string[], share: number): number {
  const latencies = logs
    .flatMap((log) => log.split('\n'))
    .map((line) => Number(line.split(' ')[2]))
    .filter((us) => Number.isFinite(us) && us >= 0);
  if (latencies.length === 0) throw new Error('pgbench logged no transactions');
  latencies.sort((a, b) => a - b);
  return latencies[Math.min(latencies.length - 1, Math.ceil(share * latencies.length) - 1)] / 1000;
}
