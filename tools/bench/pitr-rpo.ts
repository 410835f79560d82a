/**
 * Recovery point measures for the PITR bench: how long a committed write waits until the WAL that
 * holds it is in the repository (pg_stat_archiver's last_archived_wal covers its LSN). That wait is
 * what a loss of the server and its volume right after the commit would lose.
 */
import type pg from 'pg';

export const SEGMENT_BYTES = 16n * 1024n * 1024n;

/** "16/B374D848" as a byte position. */
export const lsnBytes = (lsn: string): bigint => {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** The byte position just after a WAL segment (000000010000000300000042: log 3, segment 0x42), 16 MB segments. */
export function segmentEnd(segment: string | null): bigint {
  if (!segment || !/^[0-9A-F]{24}$/.test(segment)) return 0n;
  const log = BigInt(`0x${segment.slice(8, 16)}`);
  const number = BigInt(`0x${segment.slice(16, 24)}`);
  return (log << 32n) + (number + 1n) * SEGMENT_BYTES;
}

/** The archived end, read until a real segment name shows (a .history or .partial name says nothing of position). */
async function archivedEnd(client: pg.Client, previous: bigint): Promise<bigint> {
  const { rows } = await client.query('SELECT last_archived_wal FROM pg_stat_archiver');
  const end = segmentEnd(rows[0].last_archived_wal);
  return end > previous ? end : previous;
}

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/**
 * One write on an otherwise idle server, right after its previous WAL went to the repository (the
 * worst case: archive_timeout counts from the last switch), then the seconds until it is archived.
 */
export async function idleSample(client: pg.Client, timeoutMs: number): Promise<number> {
  await client.query('INSERT INTO pitr_bench_idle VALUES (clock_timestamp())');
  const written = Date.now();
  // Once committed, the write is below the flush position (pg_current_wal_lsn is the write position,
  // which before a flush can still be at the segment's start).
  const { rows } = await client.query('SELECT pg_current_wal_flush_lsn() AS lsn');
  const lsn = lsnBytes(rows[0].lsn);
  let end = 0n;
  while (Date.now() - written < timeoutMs) {
    end = await archivedEnd(client, end);
    if (end >= lsn) return (Date.now() - written) / 1000;
    await sleep(100);
  }
  throw new Error(`a write on the idle server was not archived within ${timeoutMs / 1000} s`);
}

export interface BusySamples {
  /** Seconds each WAL position sampled during the load waited until archived, when that happened during the load. */
  readonly lagSeconds: number[];
  /** The same for the positions the load left in its last, unfilled segment: archive_timeout ships them. */
  readonly tailSeconds: number[];
  /** Bytes written but not yet archived at each sample. */
  readonly unarchivedBytes: number[];
  readonly walBytes: number;
  readonly seconds: number;
}

/**
 * Samples every `everyMs` while `load` runs: the current WAL position and the archived end. A sampled
 * position's lag is the time to the first sample whose archived end is past it.
 */
export async function sampleWhile(
  client: pg.Client,
  load: Promise<unknown>,
  everyMs = 500,
  drainMs = 120_000,
): Promise<BusySamples> {
  let running = true;
  const done = load.finally(() => {
    running = false;
  });
  const samples: { at: number; lsn: bigint; end: bigint; position: boolean }[] = [];
  let end = 0n;
  const started = Date.now();
  while (running) {
    // Every commit acknowledged so far is below the flush position.
    const { rows } = await client.query('SELECT pg_current_wal_flush_lsn() AS lsn');
    end = await archivedEnd(client, end);
    samples.push({ at: Date.now(), lsn: lsnBytes(rows[0].lsn), end, position: true });
    await sleep(everyMs);
  }
  await done;
  const seconds = (Date.now() - started) / 1000;
  // After the load, keep watching the archive until the last sampled position is in it (or drainMs).
  const last = samples.at(-1)?.lsn ?? 0n;
  const drainUntil = Date.now() + drainMs;
  while (end < last && Date.now() < drainUntil) {
    await sleep(everyMs);
    end = await archivedEnd(client, end);
    samples.push({ at: Date.now(), lsn: last, end, position: false });
  }
  const lagSeconds: number[] = [];
  const tailSeconds: number[] = [];
  for (const sample of samples.filter((s) => s.position)) {
    const covered = samples.find((later) => later.at >= sample.at && later.end >= sample.lsn);
    if (covered) (covered.position ? lagSeconds : tailSeconds).push((covered.at - sample.at) / 1000);
  }
  return {
    lagSeconds,
    tailSeconds,
    unarchivedBytes: samples.filter((s) => s.position).map((s) => Number(s.lsn > s.end ? s.lsn - s.end : 0n)),
    walBytes: samples.length ? Number(samples.at(-1)!.lsn - samples[0].lsn) : 0,
    seconds,
  };
}

/** The value below which `share` of the samples lie. */
export function percentile(samples: readonly number[], share: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? NaN;
}
