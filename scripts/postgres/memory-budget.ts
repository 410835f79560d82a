/**
 * Does an environment's PostgreSQL configuration fit its container memory limit?
 *
 * The budget is the worst case the configuration allows under the classic sizing rule
 * ("shared_buffers + max_connections × work_mem + autovacuum_max_workers × maintenance_work_mem
 * must fit in RAM"), plus what a container adds to it:
 *
 *   shared_buffers
 * + wal_buffers                      (-1 = shared_buffers / 32, clamped to 64kB .. 16MB, as PostgreSQL does)
 * + max_connections × work_mem       (one sort or hash per connection at once)
 * + autovacuum_max_workers × autovacuum_work_mem  (-1 = maintenance_work_mem)
 * + the /dev/shm sizeLimit           (a Memory-backed emptyDir is charged to the container's limit)
 * + max_connections × 2 MiB          (a backend's private memory and page tables)
 * + max_wal_senders × 2 MiB          (WAL senders are backends too, outside max_connections)
 * + parallel workers × (work_mem + 2 MiB)  (min(max_parallel_workers, max_worker_processes): each is
 *                                    a process of its own, outside max_connections, with its own sort)
 * must be ≤ the container memory limit, and shared_buffers alone ≤ 40% of it.
 *
 * Why these numbers:
 * - 2 MiB per backend: measured on this PostgreSQL 16 build, a backend that has run a few catalog
 *   queries holds ~1.7 MiB of private memory plus ~0.15 MiB of page tables (smaps_rollup, VmPTE).
 * - 40%: the PostgreSQL docs (runtime-config-resource) find more than 40% of RAM for shared_buffers
 *   unlikely to help, because PostgreSQL also relies on the kernel's page cache. Their 25% starting
 *   point (the figure CloudNativePG guidance repeats for the memory limit) and Zalando Spilo's
 *   limit/5 on Kubernetes are recommendations well below that ceiling, not limits.
 * - One work_mem per connection is optimistic for complex queries (several sort/hash nodes,
 *   hash_mem_multiplier, parallel workers) and pessimistic for a mostly idle pool. PGTune is stricter:
 *   it sizes work_mem as (RAM - shared_buffers) / (3 × (max_connections + max_worker_processes)).
 *   A config that fails this budget is over-committed by any of these measures.
 * Not counted: effective_cache_size (a planner hint, not an allocation), temp_buffers (only for
 * sessions that use temporary tables), hash_mem_multiplier (a hash may use work_mem × it, 2 by
 * default: counting it for every connection would refuse the seed's own sizing; the per-connection
 * work_mem is already the worst case of a pool that is rarely all busy), and the kernel page cache
 * (reclaimable).
 */
import type { ParameterValue } from '../config/environment.ts';
import { catalogEntry } from './catalog.ts';
import { parameterBaseValue, parameterBytes } from './parameters.ts';

const MiB = 1024 * 1024;
/** Private memory of one backend: see the measurement above. */
export const BACKEND_OVERHEAD_BYTES = 2 * MiB;
/** shared_buffers may take at most this share of the memory limit. */
export const SHARED_BUFFERS_MAX_SHARE = 0.4;
const WAL_BLOCK_BYTES = 8192;

export interface MemoryBudgetInput {
  /** The environment's explicit postgresql parameters; PostgreSQL's boot values fill the rest. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** The container's memory limit, in bytes. */
  readonly memoryLimit: number;
  /** The sizeLimit of the memory-backed /dev/shm emptyDir, in bytes. */
  readonly sharedMemoryLimit: number;
}

export interface BudgetItem {
  readonly name: string;
  readonly bytes: number;
  readonly why: string;
}

export interface MemoryBudget {
  readonly items: readonly BudgetItem[];
  readonly totalBytes: number;
  /** The container memory limit. */
  readonly limitBytes: number;
  /** What the items may add up to: the whole limit, since the items already describe a worst case. */
  readonly maxBytes: number;
  /** {@link SHARED_BUFFERS_MAX_SHARE} of the limit. */
  readonly sharedBuffersMaxBytes: number;
  readonly ok: boolean;
  /** Why it is not ok, one sentence each; empty when ok. */
  readonly problems: readonly string[];
}

/** Throws when a parameter the budget reads has a value parameterProblem would refuse. */
export function memoryBudget(input: MemoryBudgetInput): MemoryBudget {
  const { parameters, memoryLimit, sharedMemoryLimit } = input;
  const value = (name: string): ParameterValue => parameters[name] ?? catalogEntry(name)?.boot_val ?? '';
  const bytes = (name: string) => parameterBytes(name, value(name));
  const count = (name: string) => parameterBaseValue(name, value(name));

  const sharedBuffers = bytes('shared_buffers');
  const connections = count('max_connections');
  const walSenders = count('max_wal_senders');
  // Parallel workers come out of the background worker pool: never more than max_worker_processes.
  const parallelWorkers = Math.min(count('max_parallel_workers'), count('max_worker_processes'));
  const workMem = bytes('work_mem');
  const autovacuumWorkers = count('autovacuum_max_workers');
  const autovacuumOwn = bytes('autovacuum_work_mem');
  const autovacuumMem = autovacuumOwn >= 0 ? autovacuumOwn : bytes('maintenance_work_mem');
  const autovacuumSource = autovacuumOwn >= 0 ? 'autovacuum_work_mem' : 'maintenance_work_mem';

  const items: BudgetItem[] = [
    { name: 'shared_buffers', bytes: sharedBuffers, why: 'shared buffer cache, allocated at start' },
    walBuffers(bytes('wal_buffers'), sharedBuffers),
    {
      name: 'max_connections × work_mem',
      bytes: connections * workMem,
      why: `${connections} × ${mib(workMem)}: one sort or hash per connection`,
    },
    {
      name: `autovacuum_max_workers × ${autovacuumSource}`,
      bytes: autovacuumWorkers * autovacuumMem,
      why: `${autovacuumWorkers} × ${mib(autovacuumMem)}: every autovacuum worker busy`,
    },
    { name: '/dev/shm', bytes: sharedMemoryLimit, why: 'memory-backed emptyDir, charged to the container limit' },
    {
      name: 'max_connections × backend overhead',
      bytes: connections * BACKEND_OVERHEAD_BYTES,
      why: `${connections} × ${mib(BACKEND_OVERHEAD_BYTES)}: private memory of each backend`,
    },
    // WAL senders are backends of their own, outside max_connections: one per standby and per
    // pg_basebackup, each with the same private memory.
    {
      name: 'max_wal_senders × backend overhead',
      bytes: walSenders * BACKEND_OVERHEAD_BYTES,
      why: `${walSenders} × ${mib(BACKEND_OVERHEAD_BYTES)}: private memory of each WAL sender`,
    },
    {
      name: 'parallel workers × (work_mem + overhead)',
      bytes: parallelWorkers * (workMem + BACKEND_OVERHEAD_BYTES),
      why: `${parallelWorkers} × ${mib(workMem + BACKEND_OVERHEAD_BYTES)}: parallel query workers, processes of their own`,
    },
  ];

  const totalBytes = items.reduce((sum, item) => sum + item.bytes, 0);
  const sharedBuffersMaxBytes = Math.floor(memoryLimit * SHARED_BUFFERS_MAX_SHARE);
  const problems: string[] = [];
  if (totalBytes > memoryLimit) {
    const largest = [...items].sort((a, b) => b.bytes - a.bytes)[0];
    problems.push(
      `needs ${mib(totalBytes)} but the memory limit is ${mib(memoryLimit)}; the largest item is ${largest.name} (${mib(largest.bytes)})`,
    );
  }
  if (sharedBuffers > sharedBuffersMaxBytes) {
    problems.push(
      `shared_buffers ${mib(sharedBuffers)} is more than ${SHARED_BUFFERS_MAX_SHARE * 100}% of the memory limit (${mib(sharedBuffersMaxBytes)})`,
    );
  }
  return {
    items,
    totalBytes,
    limitBytes: memoryLimit,
    maxBytes: memoryLimit,
    sharedBuffersMaxBytes,
    ok: problems.length === 0,
    problems,
  };
}

/** One line per item, in MiB, then the total against the limit and any problems. */
export function formatBudget(budget: MemoryBudget): string {
  const width = Math.max(...budget.items.map((item) => item.name.length));
  const line = (name: string, bytes: number, note: string) =>
    `${name.padEnd(width)}  ${mib(bytes).padStart(10)}  ${note}`;
  const share = ((budget.totalBytes / budget.limitBytes) * 100).toFixed(1);
  return [
    ...budget.items.map((item) => line(item.name, item.bytes, item.why)),
    line('total', budget.totalBytes, `${share}% of the ${mib(budget.limitBytes)} memory limit`),
    ...budget.problems.map((problem) => `problem: ${problem}`),
  ].join('\n');
}

/** XLOGChooseNumBuffers: shared_buffers / 32 in WAL pages, at least 8 pages, at most one WAL segment (16MB). */
function walBuffers(configured: number, sharedBuffers: number): BudgetItem {
  if (configured >= 0) return { name: 'wal_buffers', bytes: configured, why: 'WAL buffers, as configured' };
  const pages = Math.min(Math.max(Math.floor(sharedBuffers / WAL_BLOCK_BYTES / 32), 8), (16 * MiB) / WAL_BLOCK_BYTES);
  return {
    name: 'wal_buffers',
    bytes: pages * WAL_BLOCK_BYTES,
    why: 'WAL buffers: -1 = shared_buffers/32, 64kB .. 16MB',
  };
}

function mib(bytes: number): string {
  return `${Number((bytes / MiB).toFixed(1))} MiB`;
}
