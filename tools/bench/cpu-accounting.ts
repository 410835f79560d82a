/**
 * Who used the CPUs during a run. This machine is shared (other jobs may run tests meanwhile) and
 * virtual (the hypervisor may steal time): a run that competed with either is worth knowing about.
 * Linux only; read from /proc, in clock ticks converted to seconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function tick(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** A reading of the counters; subtract two with cpuUsedBetween(). */
export interface CpuSample {
  /** CPU seconds every core spent running anything (user, nice, system, irq, softirq). */
  readonly machineBusy: number;
  /** CPU seconds the hypervisor gave to someone else while this machine wanted to run. */
  readonly stolen: number;
  /** CPU seconds no process wanted (idle, or waiting for I/O). */
  readonly idle: number;
  /** CPU seconds of this process and every descendant: pgbench, the postmaster and its backends. */
  readonly ours: number;
}

export function cpuSample(): CpuSample {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return {
    machineBusy: (user + nice + system + irq + softirq) / tick(),
    stolen: (steal ?? 0) / tick(),
    idle: (idle + iowait) / tick(),
    ours: processTreeTicks(process.pid) / tick(),
  };
}

/** CPU seconds between two samples: ours, everybody else's on this machine, the hypervisor's theft, and idle. */
export function cpuUsedBetween(
  before: CpuSample,
  after: CpuSample,
): { ours: number; others: number; stolen: number; idle: number } {
  const ours = after.ours - before.ours;
  const round = (seconds: number) => Math.round(seconds * 10) / 10;
  return {
    ours: round(ours),
    others: round(Math.max(0, after.machineBusy - before.machineBusy - ours)),
    stolen: round(after.stolen - before.stolen),
    idle: round(after.idle - before.idle),
  };
}

/**
 * Resolves once `pid` has at most `count` children left, zombies included (or after `timeoutMs`).
 * A child's time moves into its parent's cutime when it is reaped, and a sample taken while that
 * happens can miss it (read before the move in the parent, gone from the children when read): wait
 * for the postmaster to reap the backends of a finished run before sampling.
 */
export async function untilChildrenReaped(pid: number, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (childrenOf(pid).length > count && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 20));
}

/** How many children `pid` has right now, zombies included. */
export function childCount(pid: number): number {
  return childrenOf(pid).length;
}

/**
 * A process's own time, its reaped children's (cutime, cstime: a backend that exited is counted in
 * the postmaster's), and every live descendant's.
 */
function processTreeTicks(pid: number): number {
  const stat = readIfPresent(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // The command name, in parentheses, may hold spaces: fields are counted after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return utime + stime + cutime + cstime + childrenOf(pid).reduce((sum, child) => sum + processTreeTicks(child), 0);
}

function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  let threads: string[];
  try {
    threads = readdirSync(tasks);
  } catch {
    return []; // exited meanwhile
  }
  return threads.flatMap((tid) =>
    (readIfPresent(`${tasks}/${tid}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/**
 * CPU time in ms of this process's reaped children so far (Linux: /proc/self/stat's cutime and
 * cstime, in ticks of 1/100 s): a build's own plus every kustomize and git it ran. Elsewhere
 * undefined. On a shared machine wall time includes waiting for other jobs; CPU time mostly does not.
 */
export function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const [cutime, cstime] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(13, 15)
      .map(Number);
    return ((cutime + cstime) * 1000) / 100;
  } catch {
    return undefined;
  }
}
