import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { defaults } from '../scripts/config/defaults.ts';
import type { Settings } from '../scripts/config/environment.ts';
import { loadEnvironments } from '../scripts/config/load.ts';
import { quantityValue } from '../scripts/config/quantity.ts';
import { mergedSettings } from '../scripts/config/resolve.ts';
import { memoryBudget } from '../scripts/postgres/memory-budget.ts';
import { parameterBytes } from '../scripts/postgres/parameters.ts';
import { sizeValue, TUNING_RULES, tunedParameters } from '../scripts/postgres/tuning.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/** The rules of scripts/postgres/tuning.ts on sizes worked out by hand, and what they must never break. */
const GB = 1024 ** 3;
const MB = 1024 ** 2;
const settings = (storage: string, memory: string, extra: Partial<Settings> = {}): Settings => ({
  ...defaults,
  storage: { ...defaults.storage, size: storage },
  resources: { ...defaults.resources, limits: { cpu: '1', memory } },
  ...extra,
});

test("a 4Gi pod on a 100Gi SSD volume with three replicas (prod's sizes)", () => {
  const s = settings('100Gi', '4Gi', {
    replicas: 3,
    postgresql: { ...defaults.postgresql, max_connections: 300, shared_buffers: '1GB' },
  });
  const tuned = tunedParameters(s, s.postgresql);
  // 8% of 100Gi is 8Gi; a quarter of it; the same again kept for pg_rewind with standbys.
  assert.is(tuned.max_wal_size, '8GB');
  assert.is(tuned.min_wal_size, '2GB');
  assert.is(tuned.wal_keep_size, '8GB');
  // 4096 - 1024 shared_buffers - 64 /dev/shm - 300 × 2 = 2408 MiB of page cache, + 1024 = 3432 MiB, above 75% of 4096
  // (3072).
  assert.is(tuned.effective_cache_size, '3GB');
  assert.is(tuned.maintenance_work_mem, '256MB');
  assert.is(tuned.autovacuum_work_mem, '128MB');
  assert.is(tuned.autovacuum_vacuum_scale_factor, 0.05);
  assert.is(tuned.random_page_cost, 1.1);
  assert.is(tuned.effective_io_concurrency, 200);
});

test("a small volume gets less WAL than PostgreSQL's 1GB, no standby keeps no WAL for one, HDD gets spinning-disk costs", () => {
  const s = settings('5Gi', '512Mi', { storage: { ...defaults.storage, size: '5Gi', medium: 'hdd' } });
  const tuned = tunedParameters(s, s.postgresql);
  // 8% of 5Gi is 409.6 MiB, down to a multiple of 64MB.
  assert.is(tuned.max_wal_size, '384MB');
  assert.is(tuned.wal_keep_size, undefined);
  assert.is(tuned.random_page_cost, 4);
  assert.is(tuned.effective_io_concurrency, 2);
  assert.is(tuned.autovacuum_vacuum_cost_limit, undefined, "PostgreSQL's throttle suits a spinning disk");
  assert.is(tuned.autovacuum_vacuum_scale_factor, undefined, "small data: PostgreSQL's default");
});

test("an environment's own value wins, and the rules that read it follow it", () => {
  const s = settings('100Gi', '4Gi', {
    replicas: 2,
    postgresql: { ...defaults.postgresql, max_wal_size: '4GB', effective_cache_size: '2GB' },
  });
  const tuned = tunedParameters(s, s.postgresql);
  assert.is(tuned.max_wal_size, undefined);
  assert.is(tuned.effective_cache_size, undefined);
  assert.is(tuned.min_wal_size, '1GB');
  assert.is(tuned.wal_keep_size, '4GB');
  assert.is(
    mergedSettings({ name: 'x', storage: { size: '100Gi' }, postgresql: { max_wal_size: '4GB' } }).postgresql
      .max_wal_size,
    '4GB',
  );
});

test('sizes are written in whole GB when exact, else whole MB', () => {
  assert.is(sizeValue(8 * GB), '8GB');
  assert.is(sizeValue(1600 * MB), '1600MB');
  assert.is(sizeValue(1600 * MB + 5), '1600MB');
});

test('every rule says what, why and where it comes from, once per parameter', () => {
  assert.is(new Set(TUNING_RULES.map((rule) => rule.parameter)).size, TUNING_RULES.length);
  for (const rule of TUNING_RULES)
    for (const field of ['rule', 'why', 'source'] as const)
      assert.ok(rule[field].length > 10, `${rule.parameter}.${field}`);
});

const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
for (const e of environments) {
  test(`${e.name}: the derived WAL fits the volume and the derived memory fits the budget`, () => {
    const p = e.postgresql;
    const volume = quantityValue(e.storage.size)!;
    const bytes = (name: string) => (p[name] === undefined ? 0 : parameterBytes(name, p[name]));
    // PostgreSQL keeps WAL back to the older of wal_keep_size and a slot (capped), plus up to max_wal_size since the
    // last checkpoint.
    const wal = bytes('max_wal_size') + Math.max(bytes('wal_keep_size'), bytes('max_slot_wal_keep_size'));
    assert.ok(wal <= volume / 2, `${wal / GB} GB of WAL on a ${e.storage.size} volume`);
    const budget = memoryBudget({
      parameters: p,
      memoryLimit: quantityValue(e.resources.limits.memory)!,
      sharedMemoryLimit: quantityValue(e.sharedMemorySize)!,
    });
    assert.ok(budget.ok, budget.problems.join('; '));
    assert.ok(
      parameterBytes('effective_cache_size', p.effective_cache_size) <= quantityValue(e.resources.limits.memory)!,
    );
  });
}

test.run();
