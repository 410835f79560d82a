/**
 * A pod's memory limit for the benchmark's server: a cgroup (v1 memory controller, as this machine
 * has it) whose limit counts the server's own memory and the page cache it reads data into, as the
 * kubelet's cgroup does for a pod. Needs root; without it the bench says why and runs unlimited.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const V1_MEMORY = '/sys/fs/cgroup/memory';

export interface MemoryCgroup {
  readonly limitBytes: number;
  readonly path: string;
  /** Moves the process `pid` and every descendant in (what they fork later is born inside), and restarts the peak. */
  enter(pid: number): void;
  /** The cgroup's peak usage so far (server memory plus its page cache), in bytes. */
  peakBytes(): number;
  remove(): void;
}

/** The cgroup, or the reason there is none on this machine. */
export function memoryCgroup(name: string, limitBytes: number): MemoryCgroup | { readonly unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: only root may create a memory cgroup here' };
  if (!existsSync(path.join(V1_MEMORY, 'memory.limit_in_bytes')))
    return { unavailable: `no cgroup v1 memory controller at ${V1_MEMORY}` };
  const dir = path.join(V1_MEMORY, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  return {
    limitBytes,
    path: dir,
    enter(pid) {
      writeFileSync(path.join(dir, 'memory.max_usage_in_bytes'), '0');
      for (const member of [pid, ...descendants(pid)]) writeFileSync(path.join(dir, 'cgroup.procs'), String(member));
    },
    peakBytes: () => Number(readFileSync(path.join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    remove() {
      // Emptied first: a cgroup with processes in it cannot be removed.
      for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(path.join(V1_MEMORY, 'cgroup.procs'), pid);
        } catch {
          /* gone meanwhile */
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        /* the kernel may keep it a moment; a later run reuses it */
      }
    },
  };
}

/**
 * Empties the kernel's page cache, so the next run reads its data through the cgroup (a page cached
 * before stays charged to whoever read it first). Root only, like the cgroup.
 */
export function dropPageCache(): void {
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

function descendants(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => [child, ...descendants(child)]);
}
