/**
 * What a pod gives the benchmark's server, as cgroups (v1, as this machine has them): a memory limit
 * that counts the server's own memory and the page cache it reads data into, as the kubelet's cgroup
 * does for a pod; and a volume's I/O limits (blkio throttling), as a cloud disk caps a PVC. Both need
 * root; without it the bench says why and runs unlimited.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
      moveIn(dir, pid);
    },
    peakBytes: () => Number(readFileSync(path.join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    remove: () => emptyAndRemove(V1_MEMORY, dir),
  };
}

/**
 * Empties the kernel's page cache, so the next run reads its data through the cgroup (a page cached
 * before stays charged to whoever read it first). Root only, like the cgroup.
 */
export function dropPageCache(): void {
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

const V1_BLKIO = '/sys/fs/cgroup/blkio';

/** A volume's limits: operations and bytes per second, each for reads and for writes. */
export interface IoLimits {
  readonly iops: number;
  readonly bytesPerSecond: number;
}

/**
 * Named volume profiles. gp3 is EBS gp3's baseline at any size (3,000 IOPS, 125 MiB/s;
 * AWS documents them for reads and writes together, blkio limits each direction: slightly generous).
 */
export const IO_PROFILES: Readonly<Record<string, IoLimits>> = {
  gp3: { iops: 3000, bytesPerSecond: 125 * 2 ** 20 },
};

export interface IoCgroup {
  readonly limits: IoLimits;
  /** major:minor of the whole disk the data directory is on. */
  readonly device: string;
  readonly path: string;
  /** Moves the process `pid` and every descendant in. */
  enter(pid: number): void;
  /** Operations and bytes the cgroup's processes submitted so far (what the throttle counted). */
  served(): { operations: number; bytes: number };
  remove(): void;
}

/**
 * The cgroup, or why there is none. v1 throttles the I/O the server's processes submit themselves:
 * reads, and writes they flush (WAL at commit, a checkpoint's fsync); the kernel's own background
 * writeback is not charged to any cgroup in v1, so a checkpoint's cost is understated, not overstated.
 */
export function ioCgroup(
  name: string,
  limits: IoLimits,
  dataDirectory: string,
): IoCgroup | { readonly unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: only root may create a blkio cgroup here' };
  if (!existsSync(path.join(V1_BLKIO, 'blkio.throttle.read_iops_device')))
    return { unavailable: `no cgroup v1 blkio throttling at ${V1_BLKIO}` };
  const device = wholeDisk(statSync(dataDirectory).dev);
  if (!device) return { unavailable: `${dataDirectory} is not on a block device (tmpfs?): nothing to throttle` };
  const dir = path.join(V1_BLKIO, name);
  mkdirSync(dir, { recursive: true });
  for (const direction of ['read', 'write']) {
    writeFileSync(path.join(dir, `blkio.throttle.${direction}_iops_device`), `${device} ${limits.iops}`);
    writeFileSync(path.join(dir, `blkio.throttle.${direction}_bps_device`), `${device} ${limits.bytesPerSecond}`);
  }
  const total = (file: string) => Number(/^Total (\d+)$/m.exec(readFileSync(path.join(dir, file), 'utf8'))?.[1] ?? 0);
  return {
    limits,
    device,
    path: dir,
    enter: (pid) => moveIn(dir, pid),
    served: () => ({
      operations: total('blkio.throttle.io_serviced'),
      bytes: total('blkio.throttle.io_service_bytes'),
    }),
    remove: () => emptyAndRemove(V1_BLKIO, dir),
  };
}

/** "major:minor" of the disk holding a file whose st_dev is `dev`: a partition's parent, as blkio wants. */
function wholeDisk(dev: number): string | undefined {
  // Linux's encoding of dev_t (glibc's gnu_dev_major/minor).
  const major = ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >>> 12) & ~0xff);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (major === 0 || !existsSync(sys)) return undefined;
  if (!existsSync(path.join(sys, 'partition'))) return `${major}:${minor}`;
  return readFileSync(path.join(path.dirname(realpathSync(sys)), 'dev'), 'utf8').trim();
}

/** Moves `pid` and every descendant into the cgroup `dir` (what they fork later is born inside). */
function moveIn(dir: string, pid: number): void {
  for (const member of [pid, ...descendants(pid)]) writeFileSync(path.join(dir, 'cgroup.procs'), String(member));
}

function emptyAndRemove(root: string, dir: string): void {
  // Emptied first: a cgroup with processes in it cannot be removed.
  for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(path.join(root, 'cgroup.procs'), pid);
    } catch {
      /* gone meanwhile */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* the kernel may keep it a moment; a later run reuses it */
  }
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
