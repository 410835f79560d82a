import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { latencyPercentileMs, parsePgbenchOutput } from '../tools/bench/pgbench-output.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * The fixtures are what Debian's pgbench 15.18 printed against the npm PostgreSQL 16.14 server,
 * captured with the client arguments tools/bench/pgbench.ts uses (-c 8 -j 2 -T 12 -P 5, scale 5).
 */
const fixture = (name: string) => readFileSync(path.join(PROJECT_ROOT, 'test/fixtures', name), 'utf8');

test('read-write: the summary on stdout and the progress lines on stderr', () => {
  const result = parsePgbenchOutput(
    fixture('pgbench-15-read-write.stdout.txt'),
    fixture('pgbench-15-read-write.stderr.txt'),
  );
  assert.equal(result, {
    transactionType: 'TPC-B (sort of)',
    scale: 5,
    clients: 8,
    threads: 2,
    durationSeconds: 12,
    transactions: 9414,
    failedTransactions: 0,
    tps: 783.437202,
    latencyAverageMs: 10.106,
    latencyStddevMs: 8.173,
    initialConnectionMs: 106.228,
    progress: [
      { atSeconds: 5, tps: 789, latencyMs: 9.882, latencyStddevMs: 8.61 },
      { atSeconds: 10, tps: 803.4, latencyMs: 9.912, latencyStddevMs: 6.409 },
    ],
  });
});

test('read-only (-S): the select-only script', () => {
  const result = parsePgbenchOutput(
    fixture('pgbench-15-read-only.stdout.txt'),
    fixture('pgbench-15-read-only.stderr.txt'),
  );
  assert.is(result.transactionType, 'select only');
  assert.is(result.tps, 7354.878184);
  assert.is(result.latencyAverageMs, 1.043);
  assert.is(result.latencyStddevMs, 2.216);
  assert.is(result.transactions, 86885);
  assert.equal(
    result.progress.map((p) => p.tps),
    [6850.4, 7512.3],
  );
});

test('without --progress there is no stddev line, and no stddev in the result', () => {
  const result = parsePgbenchOutput(fixture('pgbench-15-no-progress.stdout.txt'));
  assert.is(result.tps, 364.696193);
  assert.is(result.latencyAverageMs, 5.484);
  assert.not.ok('latencyStddevMs' in result);
  assert.equal(result.progress, []);
});

test('a summary without its tps line is refused, naming the line', () => {
  const cut = fixture('pgbench-15-read-write.stdout.txt').replace(/^tps = .*$/m, '');
  assert.throws(() => parsePgbenchOutput(cut), /no "tps" line/);
});

test('the 99th percentile of per-transaction log lines, failed and skipped ones left out, across thread files', () => {
  // pgbench 15 --log: client transaction latency_us script epoch epoch_us
  const thread0 = Array.from({ length: 99 }, (_, i) => `0 ${i} ${(i + 1) * 100} 0 1700000000 ${i}`).join('\n');
  const thread1 = ['1 0 50000 0 1700000000 5', '1 1 failed 0 1700000000 6', '1 2 skipped 0 1700000000 7'].join('\n');
  // 100 latencies: 0.1 ms to 9.9 ms, and one of 50 ms; the 99th of 100 sorted is 9.9 ms.
  assert.is(latencyPercentileMs([thread0, thread1], 0.99), 9.9);
  assert.is(latencyPercentileMs([thread0, thread1], 1), 50);
  assert.throws(() => latencyPercentileMs(['0 0 failed 0 1 1'], 0.99), /no transactions/);
});

test.run();
