/**
 * Random but plausible environment files, from a seeded PRNG so a run can be repeated exactly.
 * Most fields take a value a person would write; now and then a value from the "trap" list: one
 * that was accepted before issue 12 and then failed in the cluster or at the server's start.
 */
import type { EnvironmentConfig } from '../../scripts/config/environment.ts';

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Field = readonly [good: readonly unknown[], traps: readonly unknown[]];

const FIELDS: Record<string, Field> = {
  replicas: [[1, 1, 2, 3], [0]],
  namespace: [
    ['databases', 'team-a-db', 'payments'],
    ['kube-system', 'default', 'flux-system'],
  ],
  'image.name': [
    ['postgres', 'registry.example.com/mirror/postgres', 'registry.example.com:5000/postgres'],
    ['postgres:16'],
  ],
  'image.tag': [
    ['16-alpine', '16.4-alpine', '16', '16-bookworm'],
    ['latest', 'alpine'],
  ],
  'storage.size': [
    ['5Gi', '10Gi', '20Gi', '100Gi'],
    ['1e100', '10GB', '1Gi'],
  ],
  'resources.limits.memory': [
    ['512Mi', '1Gi', '2Gi', '4Gi'],
    ['256Mi', '128Mi'],
  ],
  'resources.requests.memory': [['256Mi', '512Mi'], ['8Gi']],
  sharedMemorySize: [['32Mi', '64Mi', '128Mi'], ['2Gi']],
  database: [
    ['app', 'orders', 'project_template'],
    ['template1', 'template0', 'Orders'],
  ],
  allowedClients: [
    [
      [{ podSelector: {} }],
      [{ namespaceSelector: { matchLabels: { team: 'a' } } }],
      [{ ipBlock: { cidr: '10.0.0.0/8' } }],
    ],
    [[], [{}], [{ podSelectr: {} }]],
  ],
  'backup.enabled': [[false, true], []],
  'monitoring.enabled': [[false, true], []],
};

const PARAMETERS: Record<string, Field> = {
  max_connections: [
    [20, 50, 100, 200],
    [3, 2],
  ],
  shared_buffers: [['32MB', '128MB', '256MB', '512MB'], ['2GB']],
  work_mem: [['1MB', '2MB', '4MB', '16MB'], ['256MB']],
  maintenance_work_mem: [['16MB', '32MB', '64MB'], ['1GB']],
  effective_cache_size: [['512MB', '1GB', '3GB'], []],
  wal_level: [['replica', 'logical'], ['minimal']],
  max_wal_senders: [[3, 5, 10], [0]],
  max_replication_slots: [[3, 5, 10], [0]],
  archive_mode: [['off'], ['on', 'always']],
  ssl: [[false], [true]],
  huge_pages: [['try', 'off'], ['on']],
  password_encryption: [['scram-sha-256'], ['md5']],
  full_page_writes: [[true], [false]],
  fsync: [[true], [false]],
  max_wal_size: [['256MB', '1GB', '2GB'], ['20GB']],
  min_wal_size: [['80MB', '256MB'], ['4GB']],
  wal_keep_size: [['0', '512MB', '1GB'], ['8GB']],
  max_slot_wal_keep_size: [
    ['1GB', '2GB'],
    ['-1', '50GB'],
  ],
  autovacuum_max_workers: [[2, 3, 5], [40]],
  superuser_reserved_connections: [[3, 5], [100]],
  reserved_connections: [[0, 2], [60]],
  max_worker_processes: [[4, 8, 16], [0]],
  max_parallel_workers: [[2, 4, 8], []],
  max_parallel_workers_per_gather: [[0, 2], [16]],
  temp_buffers: [['8MB', '16MB'], ['512MB']],
  hash_mem_multiplier: [[1, 2], [100]],
  max_prepared_transactions: [[0, 10], [10000]],
  shared_preload_libraries: [
    ['', 'pg_stat_statements', 'pg_stat_statements,auto_explain'],
    ['timescaledb', 'pg_stat_statement'],
  ],
  timezone: [['UTC', 'Europe/Paris'], ['Mars/Olympus']],
  statement_timeout: [['0', '30s', '5min'], []],
  synchronous_standby_names: [[], ['*']],
  primary_conninfo: [[], ['host=elsewhere']],
  synchronous_commit: [['on', 'off', 'remote_apply'], []],
  log_min_duration_statement: [['1s', '250ms', '-1'], []],
};

/** One environment named `name`: each field set with probability `setRate`, a trap with `trapRate` of those. */
export function randomEnvironment(
  random: () => number,
  name: string,
  { setRate = 0.35, trapRate = 0.04 } = {},
): EnvironmentConfig {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const value = ([good, traps]: Field) =>
    (traps.length && random() < trapRate) || good.length === 0 ? pick(traps) : pick(good);
  const config: Record<string, any> = { name };
  const set = (path: string, v: unknown) => {
    const keys = path.split('.');
    let at = config;
    for (const key of keys.slice(0, -1)) at = at[key] ??= {};
    at[keys.at(-1)!] = v;
  };
  for (const [path, field] of Object.entries(FIELDS)) if (random() < setRate) set(path, value(field));
  for (const [parameter, field] of Object.entries(PARAMETERS)) {
    if (random() < setRate / 2 && (field[0].length || random() < trapRate))
      set(`postgresql.${parameter}`, value(field));
  }
  // A misspelt key, now and then.
  if (random() < trapRate)
    set(pick(['backup.enabeld', 'storage.szie', 'resources.limits.memroy', 'replica']), pick([true, '50Gi', 2]));
  return config as EnvironmentConfig;
}
