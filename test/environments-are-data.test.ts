import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import fg from 'fast-glob';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * "Adding an environment" as the README shows it keeps the suite green: a copy of the project
 * gets the README's own example file, `npm run build:overlays` (and its --check) runs there, and
 * then the environment-wide test files run in the copy, where they find the new environment.
 */
const ENVIRONMENT_WIDE = [
  'kustomize-versions',
  'rendered-schema',
  'rendered-invariants',
  'backup-monitoring-rendered',
  'replication-rendered',
  'delivery-manifests',
  'overlay-equivalence',
  'runbooks',
  'readme',
];

/** The README's example: the first TypeScript block of "Adding an environment". */
function readmeExample(): { file: string; content: string } {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Adding an environment'));
  const block = /```ts\n\/\/ (scripts\/environments\/[\w-]+\.ts)\n([\s\S]*?)```/.exec(section);
  if (!block)
    throw new Error(
      'README.md#adding-an-environment has no ```ts block starting with // scripts/environments/<name>.ts',
    );
  return { file: block[1], content: block[2] };
}

/** The project's own files (what git tracks, or what fast-glob sees outside git), node_modules shared. */
function copyOfProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'project-'));
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  const files =
    listed.status === 0
      ? listed.stdout.split('\0').filter(Boolean)
      : fg.sync('**/*', { cwd: PROJECT_ROOT, dot: true, ignore: ['node_modules/**', '.git/**'] });
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test("the README's new environment builds, and the environment-wide tests pass with it", () => {
  const example = readmeExample();
  const dir = copyOfProject();
  try {
    writeFileSync(path.join(dir, example.file), example.content);
    const name = path.basename(example.file, '.ts');
    const npm = (...args: string[]) => spawnSync('npm', ['run', '-s', ...args], { cwd: dir, encoding: 'utf8' });
    const build = npm('build:overlays');
    assert.is(build.status, 0, build.stderr);
    assert.match(build.stdout, new RegExp(`^  ${name}\\s+\\d+ objects`, 'm'));
    assert.is(
      npm('build:overlays', '--', '--check').status,
      0,
      "the build wrote everything, docs/configuration.md's tables included",
    );
    assert.match(
      readFileSync(path.join(dir, 'docs/configuration.md'), 'utf8'),
      new RegExp(`\\| parameter \\|.*\\| ${name} \\|`),
    );

    const tests = spawnSync('npx', ['tsx', 'test/run.ts', `^(${ENVIRONMENT_WIDE.join('|')})\\.test\\.ts$`], {
      cwd: dir,
      encoding: 'utf8',
    });
    const output = stripVTControlCharacters(tests.stdout);
    assert.is(
      tests.status,
      0,
      `${output
        .split('\n')
        .filter((line) => /FAIL|✘|Error/.test(line))
        .join('\n')}\n${tests.stderr}`,
    );
    // What the environment-wide tests iterate over (test/support/rendered.ts) holds the new environment.
    assert.ok(readdirSync(path.join(dir, 'generated')).includes(`${name}.yaml`), 'the tests saw the new environment');
    console.log(`  ${name}: ${/Total:\s+(\d+)/.exec(output)?.[1]} environment-wide tests passed in the copy`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
