import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseSettings } from '../scripts/config/resolve.ts';
import { loadEnvironments } from '../scripts/config/load.ts';
import { configurationSection, SECTION_END, SECTION_START } from '../scripts/docs/configuration.ts';
import { copyOfBundle, PROJECT_ROOT, runBuild } from './support/cli.ts';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
/** Where the build writes the generated configuration section. */
const CONFIGURATION = 'docs/configuration.md';
const configuration = readFileSync(path.join(PROJECT_ROOT, CONFIGURATION), 'utf8');

test("docs/configuration.md lists every environment's effective parameters and memory budget as the code computes them (npm run build:overlays writes it)", async () => {
  const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
  const start = configuration.indexOf(SECTION_START);
  const end = configuration.indexOf(SECTION_END) + SECTION_END.length;
  assert.ok(start >= 0 && end > start, `${CONFIGURATION} has the configuration markers`);
  assert.fixture(configuration.slice(start, end), configurationSection(environments, baseSettings().postgresql));
});

test('build:overlays writes the configuration section, and --check fails while it is stale', () => {
  const out = copyOfBundle();
  const copy = path.join(out, CONFIGURATION);
  mkdirSync(path.dirname(copy), { recursive: true });
  copyFileSync(path.join(PROJECT_ROOT, CONFIGURATION), copy);
  assert.is(runBuild(['--check', '--out', out]).code, 0);
  writeFileSync(copy, configuration.replace(/^\| max_connections \|.*$/m, '| max_connections | 1 | 2 | 3 |'));
  const check = runBuild(['--check', '--out', out]);
  assert.is(check.code, 1);
  assert.match(check.stderr, `stale:   ${CONFIGURATION}`);
  const build = runBuild(['--out', out]);
  assert.is(build.code, 0, build.stderr);
  assert.match(build.stdout, `${CONFIGURATION}  configuration section changed`);
  assert.is(readFileSync(copy, 'utf8'), configuration);
});

test('the README shows the two commands and the check', () => {
  for (const command of ['npm ci', 'npm run build:overlays', 'npm test', 'npm run build:overlays -- --check'])
    assert.ok(readme.includes(command), command);
  const ci = readFileSync(path.join(PROJECT_ROOT, '.ci/run'), 'utf8');
  assert.match(ci, /^npm test$/m, ".ci/run runs the README's test command");
  assert.match(ci, /^npm run build:overlays -- --check$/m);
});

test("the README's first screen stays a first screen: under 200 lines, every docs/ file in its table", () => {
  assert.ok(readme.split('\n').length < 200, `README.md has ${readme.split('\n').length} lines`);
  const listed = new Set([...readme.matchAll(/\]\((docs\/[\w-]+\.md)\)/g)].map((m) => m[1]));
  const docs = readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  assert.equal(
    docs.filter((file) => !listed.has(file)),
    [],
    'docs/ files the README does not link',
  );
});

test("the README's machine requirements name every Debian package test/setup/prerequisites.sh installs", () => {
  const script = readFileSync(path.join(PROJECT_ROOT, 'test/setup/prerequisites.sh'), 'utf8');
  const packages = [...script.matchAll(/^need ([\w.-]+) /gm)].map((m) => m[1]).concat('python3-etcd');
  assert.ok(packages.length >= 7, packages.join(' '));
  const section = readme.slice(readme.indexOf('## What the machine needs'), readme.indexOf('## Two commands'));
  assert.equal(
    packages.filter((name) => !section.includes(`\`${name}\``)),
    [],
  );
});

test.run();
