import type { ParameterValue, Settings } from './environment.ts';
import { quantityValue } from './quantity.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { normalizedSetting, parameterBaseValue, parameterBytes, parameterProblem } from '../postgres/parameters.ts';

/** max_slot_wal_keep_size may take at most this share of the data volume: the database needs the rest. */
export const SLOT_WAL_MAX_SHARE = 0.5;

/** The official image's repository: it has no Patroni, so it cannot run a replicated environment. */
const OFFICIAL_IMAGE = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?postgres$/;

/**
 * Patroni's timings, checked always (they are rendered into every Patroni configuration the
 * environment may get), and the image, checked when Patroni runs (replicas > 1). The timing rules
 * are Patroni's own: ttl may not go below 20, and a member must be able to retry a failed call
 * twice within one ttl, or a slow API server demotes a healthy primary.
 */
function patroniProblems(s: Settings): [string, string][] {
  const p = s.patroni;
  if (p === null || typeof p !== 'object')
    return [['patroni', 'must be an object such as { ttl: 30, loopWait: 10, retryTimeout: 10 }']];
  const problems: [string, string][] = [];
  const whole = (field: keyof typeof p, min: number, max: number) => {
    const value = p[field];
    const ok = Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
    if (!ok)
      problems.push([`patroni.${field}`, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`]);
    return ok;
  };
  const timings = [whole('ttl', 20, 3600), whole('loopWait', 1, 300), whole('retryTimeout', 3, 300)].every(Boolean);
  if (timings && p.loopWait + 2 * p.retryTimeout > p.ttl) {
    problems.push([
      'patroni.ttl',
      `must be at least loopWait + 2 × retryTimeout (${p.loopWait} + 2 × ${p.retryTimeout} = ${p.loopWait + 2 * p.retryTimeout}): ` +
        `a primary that cannot renew its leader lock within one ttl is demoted; got ${p.ttl}`,
    ]);
  }
  whole('maximumLagOnFailover', 0, 2 ** 40);
  if (typeof p.synchronousMode !== 'boolean')
    problems.push(['patroni.synchronousMode', `must be true or false, got ${JSON.stringify(p.synchronousMode)}`]);
  if (
    Number.isInteger(s.replicas) &&
    s.replicas > 1 &&
    typeof s.image?.name === 'string' &&
    OFFICIAL_IMAGE.test(s.image.name)
  ) {
    problems.push([
      'image.name',
      `"${s.image.name}" is the official image, which has no Patroni; with replicas > 1 Patroni manages failover: ` +
        "use the project's image, built from images/postgresql/Dockerfile (docs/replication-and-failover.md)",
    ]);
  }
  return problems;
}

/**
 * Problems with the replication settings, as [field path, message] pairs: Patroni's settings
 * always, the streaming-replication parameters only when there are standbys (replicas > 1).
 * A parameter whose value is itself invalid is left to parameterProblem's message.
 */
export function replicationProblems(s: Settings): [string, string][] {
  const problems: [string, string][] = [...patroniProblems(s)];
  if (typeof s.zoneSpread !== 'boolean')
    problems.push(['zoneSpread', `must be true or false, got ${JSON.stringify(s.zoneSpread)}`]);
  if (!Number.isInteger(s.replicas) || s.replicas < 2 || s.postgresql === null || typeof s.postgresql !== 'object')
    return problems;

  const standbys = s.replicas - 1;
  const value = (name: string): ParameterValue | undefined => {
    const configured = s.postgresql[name] ?? catalogEntry(name)?.boot_val ?? undefined;
    return configured !== undefined && parameterProblem(name, configured) === undefined ? configured : undefined;
  };
  const check = (name: string, ok: (v: ParameterValue) => boolean, message: string) => {
    const v = value(name);
    if (v !== undefined && !ok(v)) problems.push([`postgresql.${name}`, `${message}, got ${JSON.stringify(v)}`]);
  };
  const setting = (name: string) => (v: ParameterValue) => normalizedSetting(name, v);

  check(
    'hot_standby',
    (v) => setting('hot_standby')(v) === 'on',
    'must be on with replicas > 1: standbys serve postgresql-read, and pass their readiness probe only as hot standbys',
  );
  check(
    'wal_level',
    (v) => setting('wal_level')(v) !== 'minimal',
    'must be "replica" or "logical" with replicas > 1: standbys replay the WAL',
  );
  check(
    'wal_log_hints',
    (v) => setting('wal_log_hints')(v) === 'on',
    'must be on with replicas > 1: pg_rewind needs it to turn a former primary into a standby after a failover',
  );
  check(
    'max_wal_senders',
    (v) => parameterBaseValue('max_wal_senders', v) >= standbys + 2,
    `must be at least ${standbys + 2}: one per standby (${standbys}) plus two for a pg_basebackup (a new standby's clone or a backup)`,
  );
  check(
    'max_replication_slots',
    (v) => parameterBaseValue('max_replication_slots', v) >= standbys,
    `must be at least ${standbys}: one slot per standby`,
  );

  const keep = value('wal_keep_size');
  const maxWal = value('max_wal_size');
  if (
    keep !== undefined &&
    maxWal !== undefined &&
    parameterBytes('wal_keep_size', keep) < parameterBytes('max_wal_size', maxWal)
  ) {
    problems.push([
      'postgresql.wal_keep_size',
      `must be at least max_wal_size (${JSON.stringify(maxWal)}) with replicas > 1: pg_rewind needs the former primary's WAL back to the last checkpoint before a failover, and a checkpoint cycle writes up to max_wal_size; got ${JSON.stringify(keep)}`,
    ]);
  }

  const volume = quantityValue(String(s.storage?.size));
  const cap = value('max_slot_wal_keep_size');
  if (cap !== undefined && volume !== undefined) {
    const bytes = parameterBytes('max_slot_wal_keep_size', cap);
    const limit = Math.floor(volume * SLOT_WAL_MAX_SHARE);
    if (bytes <= 0) {
      problems.push([
        'postgresql.max_slot_wal_keep_size',
        `must be set with replicas > 1 (for example "2GB"): without a cap, a standby that is down keeps its slot's WAL on the primary until the primary's volume is full; got ${JSON.stringify(cap)}`,
      ]);
    } else if (bytes > limit) {
      problems.push([
        'postgresql.max_slot_wal_keep_size',
        `${JSON.stringify(cap)} is more than ${SLOT_WAL_MAX_SHARE * 100}% of the ${s.storage.size} data volume; the database needs the rest`,
      ]);
    }
  }
  return problems;
}
