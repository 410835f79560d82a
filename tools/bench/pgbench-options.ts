/**
 * The options of `npm run bench:pgbench`, read and checked once: a bad one throws, naming what it
 * takes, before any server starts.
 */
import { parseArgs } from 'node:util';
import { IO_PROFILES, type IoLimits } from './cgroups.ts';

/** pgbench's threads (-j): one per core of this machine. */
export const THREADS = 2;

export const USAGE = `Usage: npm run bench:pgbench -- [--environment prod] [--duration 60] [--read-only SECONDS] [--write-heavy 0] [--memory-limit off|pod|QUANTITY] [--io-limit off|gp3|IOPS:MIBPS] [--clients 8] [--rounds 3] [--scale 50] [--rate TPS] [--warm-up SECONDS] [--set NAME=VALUE ...]

Runs pgbench against a real PostgreSQL 16 with an environment's rendered configuration and with
PostgreSQL's defaults, and writes the comparison.

Options:
  --environment NAME   the environment whose configuration is measured (default prod)
  --duration SECONDS   per pgbench run (default 60)
  --read-only SECONDS  per read-only run (default: --duration; 0 leaves the workload out)
  --write-heavy SECONDS  adds pgbench -N runs of this length, long enough for checkpoints (default 0: none)
  --memory-limit off|pod|QUANTITY  the server and its page cache in a memory cgroup (root, cgroup v1):
                       pod = the environment's memory limit (default off)
  --io-limit off|gp3|IOPS:MIBPS  the server's disk reads and writes throttled (root, cgroup v1 blkio), each
                       direction: gp3 = 3000 IOPS and 125 MiB/s, EBS gp3's baseline (default off)
  --clients N          pgbench clients, at least 2 (default 8)
  --rounds N           each workload once per configuration per round (default 3)
  --scale N            pgbench scale factor, about 15 MB each (default 50)
  --rate TPS           adds read-write runs at this fixed rate (pgbench -R), as long as --duration: latency
                       counts from each transaction's scheduled start, so a stall delays every transaction
                       due during it, as it does an application's (default 0: none)
  --warm-up SECONDS    an unmeasured run of the same workload (closed loop) before each measured one, on the
                       same server start, so both configurations are measured in their steady state (default 0)
  --set NAME=VALUE     a parameter the tuned side sets on top of the environment's files, to try a value
                       before putting it in the environment (repeatable; named in the results file)
  -h, --help           this help

Exit codes:
  0  measured and written
  1  bad arguments, or the benchmark failed`;

export interface BenchOptions {
  /** @default "prod" */
  readonly environment: string;
  /** Seconds per pgbench run. @default 60 */
  readonly duration: number;
  /** @default 8 */
  readonly clients: number;
  /** Each round runs every workload once per configuration. @default 3 */
  readonly rounds: number;
  /** pgbench scale factor: about 15 MB of data each; 50 (750 MB) is well past the default 128MB of shared_buffers. @default 50 */
  readonly scale: number;
  /** Seconds of each write-heavy run (pgbench -N); 0 leaves the workload out. @default 0 */
  readonly writeHeavy: number;
  /** "off", "pod" (the environment's memory limit) or a Kubernetes quantity. @default "off" */
  readonly memoryLimit: string;
  /** Seconds of each read-only run; 0 leaves the workload out. @default the duration */
  readonly readOnly: number;
  /** "off", a profile of IO_PROFILES ("gp3") or "IOPS:MIBPS", as given (it names the results file). @default "off" */
  readonly ioLimit: string;
  /** What --io-limit means; undefined for off. */
  readonly ioLimits?: IoLimits;
  /** Parameters the tuned side sets on the server's command line, over its files (--set). @default [] */
  readonly set: readonly (readonly [string, string])[];
  /** Transactions per second of the fixed-rate read-write runs; 0 leaves them out. @default 0 */
  readonly rate: number;
  /** Seconds of the unmeasured run before each measured one; 0 for none. @default 0 */
  readonly warmUp: number;
}

/** The options, or undefined for --help. */
export function benchOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      environment: { type: 'string', default: 'prod' },
      duration: { type: 'string', default: '60' },
      clients: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      scale: { type: 'string', default: '50' },
      'write-heavy': { type: 'string', default: '0' },
      'memory-limit': { type: 'string', default: 'off' },
      'read-only': { type: 'string' },
      'io-limit': { type: 'string', default: 'off' },
      set: { type: 'string', multiple: true, default: [] },
      rate: { type: 'string', default: '0' },
      'warm-up': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const count = (name: 'duration' | 'clients' | 'rounds' | 'scale'): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${name} must be a whole number of at least 1, got "${values[name]}"\n${USAGE}`);
    return value;
  };
  // A length or rate where 0 leaves its workload out.
  const orNone = (
    name: 'write-heavy' | 'read-only' | 'rate' | 'warm-up',
    raw: string | undefined,
    unit = 'seconds',
  ) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name} must be a whole number of ${unit} (0: none), got "${raw}"\n${USAGE}`);
    return value;
  };
  const writeHeavy = orNone('write-heavy', values['write-heavy']);
  const readOnly = orNone('read-only', values['read-only'] ?? values.duration);
  const rate = orNone('rate', values.rate, 'transactions per second');
  const warmUp = orNone('warm-up', values['warm-up']);
  const limits = ioLimits(values['io-limit']!);
  const set = values.set!.map((assignment) => {
    const match = /^([a-z_][a-z0-9_]*)=(.+)$/.exec(assignment);
    if (!match) throw new Error(`--set must be NAME=VALUE such as shared_buffers=512MB, got "${assignment}"\n${USAGE}`);
    return [match[1], match[2]] as const;
  });
  const options = {
    environment: values.environment!,
    duration: count('duration'),
    clients: count('clients'),
    rounds: count('rounds'),
    scale: count('scale'),
    writeHeavy,
    memoryLimit: values['memory-limit']!,
    readOnly,
    ioLimit: values['io-limit']!,
    ...(limits ? { ioLimits: limits } : {}),
    set,
    rate,
    warmUp,
  };
  if (options.clients < THREADS) throw new Error(`--clients must be at least ${THREADS}, pgbench's thread count here`);
  return options;
}

/** The limits --io-limit names; throws on anything else. */
function ioLimits(value: string): IoLimits | undefined {
  if (value === 'off') return undefined;
  if (IO_PROFILES[value]) return IO_PROFILES[value];
  const match = /^(\d+):(\d+)$/.exec(value);
  if (match && Number(match[1]) > 0 && Number(match[2]) > 0)
    return { iops: Number(match[1]), bytesPerSecond: Number(match[2]) * 2 ** 20 };
  throw new Error(
    `--io-limit must be off, ${Object.keys(IO_PROFILES).join(', ')} or IOPS:MIBPS such as 3000:125, got "${value}"\n${USAGE}`,
  );
}
