import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Environment, EnvironmentConfig } from '../scripts/config/environment.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { findKustomize } from '../scripts/kustomize/binary.ts';
import { renderBundle } from '../scripts/pipeline.ts';
import { generatedFile } from '../scripts/vocabulary/layout.ts';
import { assertRefused } from './support/cli.ts';
import { prng, randomEnvironment } from './support/random-environment.ts';
import { bootProblem } from './support/boot-rendered.ts';

/**
 * "An environment the build accepts boots", tried on many random but plausible environments: each
 * is either refused, every problem naming the environment and a field, with nothing written; or
 * it renders, passes schema validation (inside renderBundle) and its rendered configuration boots
 * a real PostgreSQL 16 on which a new role logs in with a password. The seed is fixed so a run can
 * be repeated; GENERATED_SEED and GENERATED_COUNT try others (a failure prints the environment).
 */
const SEED = Number(process.env.GENERATED_SEED ?? 20261130);
const COUNT = Number(process.env.GENERATED_COUNT ?? 48);
/** Share of the set fields that take a trap value (test/support/random-environment.ts). */
const TRAP_RATE = Number(process.env.GENERATED_TRAP_RATE ?? 0.04);
/** Servers at once: the machine has 2 cores, shared with other work. */
const CONCURRENT_BOOTS = 2;

const random = prng(SEED);
const configs = Array.from({ length: COUNT }, (_, index) =>
  randomEnvironment(random, `gen-${index}`, { trapRate: TRAP_RATE }),
);
const accepted: Environment[] = [];
const refused: { config: EnvironmentConfig; problems: readonly string[] }[] = [];
for (const config of configs) {
  try {
    accepted.push(resolveEnvironment(config, `scripts/environments/${config.name}.ts`));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    refused.push({ config, problems: error.problems });
  }
}
const fields = refused.flatMap(({ problems }) => problems.map((problem) => problem.split(': ')[1]));
console.log(
  `  seed ${SEED} (GENERATED_SEED), ${COUNT} environments, trap rate ${TRAP_RATE}: ${accepted.length} accepted, ${refused.length} refused`,
);
console.log(`  refused fields: ${[...new Set(fields)].sort().join(', ')}`);

test('every refusal names its environment and a field, with a message', () => {
  for (const { config, problems } of refused) {
    for (const problem of problems) {
      assert.match(
        problem,
        new RegExp(`^${config.name}: [A-Za-z_][\\w.\\[\\]]*: \\S`),
        `${problem}\n${JSON.stringify(config)}`,
      );
    }
  }
});

test('the build refuses the refused environments and writes nothing', () => {
  if (refused.length === 0) return;
  const files = Object.fromEntries(
    refused.map(({ config }) => [`${config.name}.ts`, `export default ${JSON.stringify(config)};\n`]),
  );
  assertRefused(
    files,
    refused.map(({ config }) => `  ${config.name}: `),
  );
});

test('every accepted environment renders, passes its schemas and boots PostgreSQL 16 with password logins', async () => {
  const start = Date.now();
  const staging = mkdtempSync(path.join(tmpdir(), 'generated-'));
  let tree: Awaited<ReturnType<typeof renderBundle>>['tree'];
  try {
    tree = (await renderBundle(accepted, findKustomize(), staging)).tree;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const rendered = Date.now();
  const failures: string[] = [];
  const queue = [...accepted];
  const worker = async () => {
    for (let environment = queue.shift(); environment; environment = queue.shift()) {
      const problem = await bootProblem(environment, tree.get(generatedFile(environment.name))!);
      if (problem)
        failures.push(
          `${environment.name}: ${problem}\n    ${JSON.stringify(configs.find((c) => c.name === environment!.name))}`,
        );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_BOOTS }, worker));
  console.log(
    `  rendered ${accepted.length} in ${((rendered - start) / 1000).toFixed(1)} s, booted them in ${((Date.now() - rendered) / 1000).toFixed(1)} s`,
  );
  assert.equal(failures, []);
});

test.run();
