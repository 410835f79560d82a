/**
 * Process groups the Patroni tests start (etcd, each Patroni, each postmaster Patroni starts in a
 * session of its own): whatever happens to the test, they are SIGKILLed when this process exits.
 */
import { readFileSync, readdirSync } from 'node:fs';

const groups = new Set<number>();
const pidFiles = new Set<string>();
let installed = false;

function killEverythingNow(): void {
  const postmasters = [...pidFiles].map(postmasterPid).filter((pid): pid is number => pid !== undefined);
  for (const pid of groups) killGroup(pid, 'SIGKILL');
  killTrees([...groups, ...postmasters]);
  groups.clear();
  pidFiles.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverythingNow);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.prependOnceListener(name, killEverythingNow);
}

/** `pid` leads a process group (spawned with detached: true); it is killed, with its group, at exit. */
export function trackProcess(pid: number): void {
  install();
  groups.add(pid);
}

export function untrackProcess(pid: number): void {
  groups.delete(pid);
}

/** A postmaster.pid whose server (and its session) is killed at exit, whoever started it. */
export function trackPostmaster(pidFile: string): void {
  install();
  pidFiles.add(pidFile);
}

export function untrackPostmaster(pidFile: string): void {
  pidFiles.delete(pidFile);
}

/** The postmaster's pid from its postmaster.pid, if the file is there. */
export function postmasterPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signals the group `pid` leads, and `pid` itself in case it leads none. Never throws. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      /* gone, or not a group leader */
    }
  }
}

/**
 * SIGKILLs `roots` and every descendant at once, as the end of a container kills all it runs:
 * PostgreSQL's children each lead a session of their own, so a process group does not hold them.
 */
export function killTrees(roots: readonly number[]): void {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const doomed = new Set<number>();
  const visit = (pid: number) => {
    if (doomed.has(pid) || pid === process.pid) return;
    doomed.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/** Polls `check` every 200 ms until it returns true; throws naming `what` and the last error after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last}` : ''}`);
}

/**
 * Waits for `exited` (a child's exit) at most `timeoutMs`. The timer also keeps the event loop
 * alive: the children are unref'd, so awaiting their exit alone would let node end mid-test.
 */
export async function awaitExit(exited: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} has not exited after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
