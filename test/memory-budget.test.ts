import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBudget, memoryBudget } from '../scripts/postgres/memory-budget.ts';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

// The seed's environments, as the budget sees them: explicit parameters, limits.memory, /dev/shm sizeLimit.
// Everything else is PostgreSQL's default: work_mem 4MB, maintenance_work_mem 64MB, autovacuum_max_workers 3.
const staging = {
  parameters: { max_connections: 200, shared_buffers: '512MB', effective_cache_size: '2GB' },
  memoryLimit: 2 * Gi,
  sharedMemoryLimit: 128 * Mi,
};
const prod = {
  parameters: {
    max_connections: 300,
    shared_buffers: '1GB',
    effective_cache_size: '4GB',
    max_wal_senders: 5,
    max_worker_processes: 4,
  },
  memoryLimit: 4 * Gi,
  sharedMemoryLimit: 128 * Mi,
};
const seededDev = {
  parameters: { max_connections: 50, shared_buffers: '128MB' },
  memoryLimit: 512 * Mi,
  sharedMemoryLimit: 128 * Mi,
};
// What dev needs instead: the same database with room to run (requests can stay at 256Mi).
const dev = { ...seededDev, memoryLimit: 1 * Gi };

test('prod fits, and the breakdown says where the memory goes', () => {
  const budget = memoryBudget(prod);
  assert.ok(budget.ok);
  assert.fixture(
    formatBudget(budget),
    [
      'shared_buffers                                   1024 MiB  shared buffer cache, allocated at start',
      'wal_buffers                                        16 MiB  WAL buffers: -1 = shared_buffers/32, 64kB .. 16MB',
      'max_connections × work_mem                       1200 MiB  300 × 4 MiB: one sort or hash per connection',
      'autovacuum_max_workers × maintenance_work_mem     192 MiB  3 × 64 MiB: every autovacuum worker busy',
      '/dev/shm                                          128 MiB  memory-backed emptyDir, charged to the container limit',
      'max_connections × backend overhead                600 MiB  300 × 2 MiB: private memory of each backend',
      'max_wal_senders × backend overhead                 10 MiB  5 × 2 MiB: private memory of each WAL sender',
      'parallel workers × (work_mem + overhead)           24 MiB  4 × 6 MiB: parallel query workers, processes of their own',
      'total                                            3194 MiB  78.0% of the 4096 MiB memory limit',
    ].join('\n'),
  );
});

test("staging with PostgreSQL's default work_mem (4MB) would not fit 2Gi: why the defaults set work_mem 2MB", () => {
  const budget = memoryBudget(staging);
  assert.not.ok(budget.ok);
  assert.equal(budget.problems, [
    'needs 2116 MiB but the memory limit is 2048 MiB; the largest item is max_connections × work_mem (800 MiB)',
  ]);
  assert.ok(memoryBudget({ ...staging, parameters: { ...staging.parameters, work_mem: '2MB' } }).ok);
});

test('dev fits at a 1Gi limit', () => {
  const budget = memoryBudget(dev);
  assert.ok(budget.ok);
  assert.is(budget.totalBytes, 820 * Mi);
});

test("512Mi cannot hold 50 connections with PostgreSQL's default work_mem and maintenance_work_mem", () => {
  const budget = memoryBudget(seededDev);
  assert.not.ok(budget.ok);
  assert.equal(budget.problems, [
    'needs 820 MiB but the memory limit is 512 MiB; the largest item is max_connections × work_mem (200 MiB)',
  ]);
});

test('shared_buffers 2GB at a 1Gi limit fails, on both rules', () => {
  const budget = memoryBudget({
    parameters: { shared_buffers: '2GB' },
    memoryLimit: 1 * Gi,
    sharedMemoryLimit: 128 * Mi,
  });
  assert.not.ok(budget.ok);
  assert.equal(budget.problems, [
    'needs 3052 MiB but the memory limit is 1024 MiB; the largest item is shared_buffers (2048 MiB)',
    'shared_buffers 2048 MiB is more than 40% of the memory limit (409.6 MiB)',
  ]);
});

test('shared_buffers above 40% of the limit fails even when the total fits', () => {
  const budget = memoryBudget({
    parameters: { shared_buffers: '1800MB', max_connections: 20, work_mem: '1MB', maintenance_work_mem: '16MB' },
    memoryLimit: 4 * Gi,
    sharedMemoryLimit: 64 * Mi,
  });
  assert.ok(budget.totalBytes < budget.maxBytes);
  assert.equal(budget.problems, ['shared_buffers 1800 MiB is more than 40% of the memory limit (1638.4 MiB)']);
});

test('max_connections × work_mem beyond the limit fails', () => {
  const budget = memoryBudget({ ...prod, parameters: { ...prod.parameters, work_mem: '64MB' } });
  assert.not.ok(budget.ok);
  assert.equal(budget.problems, [
    'needs 21434 MiB but the memory limit is 4096 MiB; the largest item is max_connections × work_mem (19200 MiB)',
  ]);
});

test('wal_buffers -1 follows shared_buffers / 32 within 64kB .. 16MB; an explicit value is taken as is', () => {
  const walBuffers = (parameters: Record<string, string>) =>
    memoryBudget({ parameters, memoryLimit: 4 * Gi, sharedMemoryLimit: 0 }).items.find(
      (item) => item.name === 'wal_buffers',
    )?.bytes;
  assert.is(walBuffers({ shared_buffers: '128MB' }), 4 * Mi);
  assert.is(walBuffers({ shared_buffers: '1GB' }), 16 * Mi);
  assert.is(walBuffers({ shared_buffers: '1MB' }), 64 * 1024);
  assert.is(walBuffers({ shared_buffers: '1GB', wal_buffers: '2MB' }), 2 * Mi);
});

test('autovacuum_work_mem, when set, replaces maintenance_work_mem for autovacuum workers', () => {
  const budget = memoryBudget({ ...prod, parameters: { ...prod.parameters, autovacuum_work_mem: '32MB' } });
  const item = budget.items.find((entry) => entry.name.startsWith('autovacuum_max_workers'));
  assert.equal(item, {
    name: 'autovacuum_max_workers × autovacuum_work_mem',
    bytes: 96 * Mi,
    why: '3 × 32 MiB: every autovacuum worker busy',
  });
});

test.run();
