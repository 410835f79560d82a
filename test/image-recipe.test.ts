import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadEnvironments } from '../scripts/config/load.ts';
import { catalog } from '../scripts/postgres/catalog.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * The Patroni image's recipe (images/postgresql/). No container engine or PyPI here, so it is not
 * built: what can be checked without building is, and the README says the rest was not run.
 */
const dir = path.join(PROJECT_ROOT, 'images/postgresql');
const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
const requirements = readFileSync(path.join(dir, 'requirements.txt'), 'utf8');
const workflow = parse(readFileSync(path.join(PROJECT_ROOT, '.github/workflows/postgresql-image.yml'), 'utf8'));
/** Instructions with their continuation lines joined and comments dropped, as Docker reads them. */
const instructions = dockerfile
  .replace(/\\\n(\s*#.*\n)*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const args = Object.fromEntries(
  instructions
    .filter((i) => i.startsWith('ARG '))
    .map((i) => i.slice(4).split('='))
    .filter((kv) => kv.length === 2),
);
const froms = instructions
  .filter((i) => i.startsWith('FROM '))
  .map((i) => i.split(/\s+/)[1].replace(/^\$\{(\w+)\}$/, (_, name) => args[name]));
const pins: Record<string, string> = Object.fromEntries(
  requirements
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('==')),
) as Record<string, string>;
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);

test('every stage starts from the official postgres 16 alpine image, by digest', () => {
  assert.ok(froms.length >= 1);
  for (const from of froms) assert.match(from, /^postgres:16(\.\d+)?-alpine[\d.]*@sha256:[0-9a-f]{64}$/);
  assert.is(catalog().server_version.split('.')[0], '16', 'the same major as the parameter catalog');
});

test('Python packages are pinned to exact versions and installed without pulling unpinned dependencies', () => {
  assert.ok(Object.keys(pins).length > 0);
  for (const [name, version] of Object.entries(pins)) assert.match(version, /^\d+(\.\d+)+$/, name);
  assert.match(pins.patroni, /^4\.\d+\.\d+$/, 'Patroni 4: the role label says primary, as the Services select');
  const pip = instructions.filter((i) => /\bpip install\b/.test(i));
  assert.ok(pip.length > 0);
  for (const line of pip) {
    assert.match(line, '--no-deps');
    assert.match(line, '-r /tmp/patroni-requirements.txt');
  }
  assert.not.match(dockerfile, /apk (add|upgrade)(?![^\n]*--no-cache)/, 'apk never leaves an index behind');
});

test('the final stage runs as the alpine postgres user, never root', () => {
  const users = instructions.filter((i) => i.startsWith('USER '));
  assert.equal(users.at(-1), 'USER 70:70');
  const lastRun = instructions.map((i) => i.startsWith('RUN ')).lastIndexOf(true);
  assert.ok(instructions.lastIndexOf(users.at(-1)!) > lastRun, 'nothing runs as root after it');
  assert.not.match(dockerfile, /\b(gosu|su-exec|sudo)\b/);
});

test('pgBackRest is built from a tarball whose sha256 is checked, and only its binary reaches the final stage', () => {
  assert.match(dockerfile, /sha256sum -c -/);
  assert.match(dockerfile, /ARG PGBACKREST_VERSION=\d+\.\d+(\.\d+)?\n/);
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(finalStage, 'COPY --from=pgbackrest-build /src/build/src/pgbackrest /usr/bin/pgbackrest');
  assert.not.match(finalStage, /build-base|meson|-dev\b/, 'no compiler in the final image');
});

test('replicated environments run the image this recipe and workflow make', () => {
  const job = workflow.jobs.image;
  const build = job.steps.find((step: any) => String(step.uses).startsWith('docker/build-push-action'));
  assert.is(build.with.context, 'images/postgresql');
  for (const e of environments.filter((environment) => environment.replicas > 1)) {
    assert.is(e.image.name, job.env.IMAGE, `${e.name}: image.name`);
    assert.is(e.image.tag, `16-alpine-patroni${pins.patroni}`, `${e.name}: image.tag names the recipe's Patroni`);
  }
});

test.run();
