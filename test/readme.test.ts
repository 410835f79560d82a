import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseSettings } from '../scripts/config/resolve.ts';
import { loadEnvironments } from '../scripts/config/load.ts';
import { configurationSection, SECTION_END, SECTION_START } from '../scripts/docs/configuration.ts';
import { copyOfBundle, PROJECT_ROOT, runBuild } from './support/cli.ts';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

test('the README lists every environment\'s effective parameters and memory budget as the code computes them (npm run build:overlays writes it)', async () => {
  const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
  const start = readme.indexOf(SECTION_START);
  const end = readme.indexOf(SECTION_END) + SECTION_END.length;
  assert.ok(start >= 0 && end > start, 'README has the configuration markers');
  assert.fixture(readme.slice(start, end), configurationSection(environments, baseSettings().postgresql));
});

test('build:overlays writes the configuration section, and --check fails while it is stale', () => {
  const out = copyOfBundle();
  const copy = path.join(out, 'README.md');
  copyFileSync(path.join(PROJECT_ROOT, 'README.md'), copy);
  assert.is(runBuild(['--check', '--out', out]).code, 0);
  writeFileSync(copy, readme.replace(/^\| max_connections \|.*$/m, '| max_connections | 1 | 2 | 3 |'));
  const check = runBuild(['--check', '--out', out]);
  assert.is(check.code, 1);
  assert.match(check.stderr, 'stale:   README.md');
  const build = runBuild(['--out', out]);
  assert.is(build.code, 0, build.stderr);
  assert.match(build.stdout, 'README.md  configuration section changed');
  assert.is(readFileSync(copy, 'utf8'), readme);
});

test('the README shows the two commands and the check', () => {
  for (const command of ['npm ci', 'npm run build:overlays', 'npm test', 'npm run build:overlays -- --check']) assert.ok(readme.includes(command), command);
  const ci = readFileSync(path.join(PROJECT_ROOT, '.ci/run'), 'utf8');
  assert.match(ci, /^npm test$/m, '.ci/run runs the README\'s test command');
  assert.match(ci, /^npm run build:overlays -- --check$/m);
});

test.run();
