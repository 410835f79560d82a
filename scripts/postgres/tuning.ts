import type { ParameterValue, Settings } from '../config/environment.ts';
import { quantityValue } from '../config/quantity.ts';
import { catalogEntry } from './catalog.ts';
import { parameterBytes } from './parameters.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** One derived parameter: how it follows from the environment, why, and where the rule comes from. */
export interface TuningRule {
  readonly parameter: string;
  readonly rule: string;
  readonly why: string;
  readonly source: string;
  value(input: TuningInput): ParameterValue | undefined;
}

/** What the rules read: the environment's sizes, and the parameters it sets itself (else PostgreSQL's defaults). */
export interface TuningInput {
  readonly volumeBytes: number;
  readonly memoryBytes: number;
  readonly medium: 'ssd' | 'hdd';
  readonly replicas: number;
  /** A parameter's value in bytes: the environment's own, else the shared default's, else PostgreSQL's. */
  bytes(name: string): number;
}

/** A size as postgresql.conf takes it: whole GB when exact, else whole MB (rounded down). */
export function sizeValue(bytes: number): string {
  const mb = Math.floor(bytes / MB);
  return mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);
/** Down to a multiple of 64MB, so values read as round numbers and do not churn with every byte of a quantity. */
const round64 = (bytes: number) => Math.floor(bytes / (64 * MB)) * 64 * MB;

/**
 * Parameters the bundle derives from each environment's volume, memory and storage medium. An
 * environment's own `postgresql` value always wins; the shared defaults do not set these. Each rule
 * keeps to the memory budget (scripts/postgres/memory-budget.ts) and the volume (WAL may take at
 * most half of it, with the replication slots' cap: scripts/config/replication.ts).
 */
export const TUNING_RULES: readonly TuningRule[] = [
  {
    parameter: 'max_wal_size',
    rule: '8% of the data volume, 256MB to 16GB',
    why: 'checkpoints come from checkpoint_timeout rather than WAL volume: fewer checkpoints, fewer full-page images after each',
    source:
      'PostgreSQL docs, "WAL Configuration" (checkpoints requested by WAL volume are logged as a warning sign); PGTune sizes it 4–16GB',
    value: (i) => sizeValue(clamp(round64(i.volumeBytes * 0.08), 256 * MB, 16 * GB)),
  },
  {
    parameter: 'min_wal_size',
    rule: 'a quarter of max_wal_size',
    why: 'recycled WAL segments absorb a burst without creating new files',
    source: 'PGTune (min_wal_size = max_wal_size / 4)',
    value: (i) => sizeValue(Math.max(round64(i.bytes('max_wal_size') / 4), 64 * MB)),
  },
  {
    parameter: 'wal_keep_size',
    rule: 'max_wal_size when there are standbys; unset otherwise',
    why: "pg_rewind needs the former primary's WAL back to the last checkpoint before a failover (scripts/config/replication.ts checks it)",
    source: 'PostgreSQL docs, pg_rewind; Patroni docs, use_pg_rewind',
    value: (i) => (i.replicas > 1 ? sizeValue(Math.max(i.bytes('max_wal_size'), GB)) : undefined),
  },
  {
    parameter: 'checkpoint_timeout',
    rule: "15min (PostgreSQL's default: 5min)",
    why: "each page's first change after a checkpoint writes a full-page image: three times fewer checkpoints than the 5min default; crash recovery replays at most about 15 minutes of WAL",
    source: 'PostgreSQL docs, "WAL Configuration"; EDB and Crunchy Data tuning guides (15–30min)',
    value: () => '15min',
  },
  {
    parameter: 'wal_compression',
    rule: "pglz (PostgreSQL's default: off)",
    why:
      'full-page images were most of the WAL per transaction in the pgbench runs, and compress well. It costs CPU (prod, data larger ' +
      "than the pod: 0.88× the defaults' transactions per CPU-s, 0.94× with off), but off wrote 4× the WAL and forced a checkpoint " +
      'by WAL volume within 18 minutes, the cost the checkpoint settings exist to avoid. The alpine image also has lz4 ' +
      '(cheaper in CPU), but the PostgreSQL 16 build the tests boot and the benches measure has only pglz: what is deployed is what was tested',
    source: 'PostgreSQL docs, wal_compression',
    value: () => 'pglz',
  },
  {
    parameter: 'random_page_cost',
    rule: 'SSD 1.1, HDD 4 (storage.medium)',
    why: 'on SSD a random read costs about what a sequential one does: the planner should use indexes accordingly',
    source: 'PGTune; PostgreSQL docs, random_page_cost (lower for SSD)',
    value: (i) => (i.medium === 'ssd' ? 1.1 : 4),
  },
  {
    parameter: 'effective_io_concurrency',
    rule: 'SSD 200, HDD 2 (storage.medium)',
    why: 'bitmap heap scans prefetch this many pages: SSDs serve many requests in parallel',
    source: 'PGTune (pgtune.leopard.in.ua), its SSD and HDD profiles',
    value: (i) => (i.medium === 'ssd' ? 200 : 2),
  },
  {
    parameter: 'effective_cache_size',
    rule: 'the memory limit minus shared_buffers, /dev/shm and 2 MiB per connection, plus shared_buffers; at most 75% of the limit',
    why: "the pod's page cache is charged to its memory limit: what the server itself does not hold is what can cache data, not the node's RAM",
    source: 'PostgreSQL docs, effective_cache_size (shared buffers plus the OS cache); PGTune uses 75% of RAM',
    value: (i) => {
      const backends = i.bytes('max_connections') * 2 * MB;
      const pageCache = i.memoryBytes - i.bytes('shared_buffers') - i.bytes('__shm') - backends;
      return sizeValue(
        Math.max(
          round64(Math.min(i.bytes('shared_buffers') + Math.max(pageCache, 0), i.memoryBytes * 0.75)),
          i.bytes('shared_buffers'),
        ),
      );
    },
  },
  {
    parameter: 'maintenance_work_mem',
    rule: 'a sixteenth of the memory limit, 64MB to 1GB',
    why: "index builds and vacuum's dead-tuple list: the 64MB default makes a vacuum of a large table pass over its indexes many times",
    source: 'PGTune (RAM / 16)',
    value: (i) => sizeValue(clamp(round64(i.memoryBytes / 16), 64 * MB, GB)),
  },
  {
    parameter: 'autovacuum_work_mem',
    rule: 'a thirty-second of the memory limit, 32MB to 512MB',
    why: 'each of the three autovacuum workers may hold this at once (counted in the memory budget), so less than a manual VACUUM gets',
    source: 'PostgreSQL docs, autovacuum_work_mem',
    value: (i) => sizeValue(clamp(round64(i.memoryBytes / 32), 32 * MB, 512 * MB)),
  },
  {
    parameter: 'autovacuum_vacuum_scale_factor',
    rule: "0.05 on a volume of 50Gi or more, else PostgreSQL's 0.2",
    why: 'on large tables 20% dead rows is a lot of bloat before autovacuum starts',
    source: 'PostgreSQL docs, "Routine Vacuuming"; Crunchy Data and 2ndQuadrant autovacuum guidance',
    value: (i) => (i.volumeBytes >= 50 * GB ? 0.05 : undefined),
  },
  {
    parameter: 'autovacuum_analyze_scale_factor',
    rule: "0.025 on a volume of 50Gi or more, else PostgreSQL's 0.1",
    why: 'planner statistics of large tables stay current',
    source: 'PostgreSQL docs, "Routine Vacuuming" (the statistics collector and ANALYZE)',
    value: (i) => (i.volumeBytes >= 50 * GB ? 0.025 : undefined),
  },
  {
    parameter: 'autovacuum_vacuum_cost_limit',
    rule: "SSD 1000, HDD PostgreSQL's default (vacuum_cost_limit, 200)",
    why: 'the default throttles autovacuum to what a spinning disk takes; on SSD it falls behind busy tables',
    source: 'PostgreSQL docs, "Cost-based Vacuum Delay"; CloudNativePG and Crunchy Data guidance',
    value: (i) => (i.medium === 'ssd' ? 1000 : undefined),
  },
];

/** The derived parameters of settings `s`; the environment's own `explicit` parameters are inputs, never overridden. */
export function tunedParameters(
  s: Settings,
  explicit: Readonly<Record<string, ParameterValue>>,
): Record<string, ParameterValue> {
  const derived: Record<string, ParameterValue> = {};
  const input: TuningInput = {
    volumeBytes: quantityValue(String(s.storage.size)) ?? 0,
    memoryBytes: quantityValue(String(s.resources.limits.memory)) ?? 0,
    medium: s.storage.medium,
    replicas: s.replicas,
    bytes(name) {
      if (name === '__shm') return quantityValue(String(s.sharedMemorySize)) ?? 0;
      const value = explicit[name] ?? derived[name] ?? catalogEntry(name)?.boot_val;
      if (value === undefined || value === null) return 0;
      // Values are validated after this runs: a bad one derives nothing sensible, and is refused there.
      try {
        return catalogEntry(name)?.unit ? parameterBytes(name, value) : Number(value);
      } catch {
        return 0;
      }
    },
  };
  for (const rule of TUNING_RULES) {
    if (explicit[rule.parameter] !== undefined) continue;
    const value = rule.value(input);
    if (value !== undefined) derived[rule.parameter] = value;
  }
  return derived;
}

/** Settings with the derived parameters added after the explicit ones, which they never replace. */
export function withTuning(s: Settings): Settings {
  return { ...s, postgresql: { ...s.postgresql, ...tunedParameters(s, s.postgresql) } };
}
