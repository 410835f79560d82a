import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, copyOfBundle, environmentsDir, runBuild } from './support/cli.ts';

/**
 * Change consequences compare with the committed render (git show HEAD:generated/<env>.yaml, or the
 * merge base with the target branch in CI), not with the working tree: a hand edit of
 * generated/prod.yaml neither invents a refusal nor hides one.
 */
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });

/** A copy of the bundle as a git checkout with one commit on main. */
function checkout(): string {
  const dir = copyOfBundle();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'bundle');
  return dir;
}

const prodWith = (from: string, to: string) => {
  const text = readFileSync(path.join(PROJECT_ROOT, 'scripts/environments/prod.ts'), 'utf8');
  assert.ok(text.includes(from));
  return environmentsDir({ 'prod.ts': text.replace(from, to) });
};
const editRendered = (dir: string, from: string, to: string) => {
  const file = path.join(dir, 'generated/prod.yaml');
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from));
  writeFileSync(file, text.replace(from, to));
};
const env = (extra: Record<string, string> = {}) => {
  const { GITHUB_BASE_REF: _g, CI_MERGE_REQUEST_TARGET_BRANCH_NAME: _c, ...rest } = process.env;
  return { ...rest, ...extra };
};

test('a hand-edited generated/prod.yaml invents no refusal: the build compares with HEAD', () => {
  const dir = checkout();
  editRendered(dir, '  replicas: 3\n', '  replicas: 5\n');
  const result = runBuild(['--out', dir, 'prod'], env());
  assert.is(result.code, 0, result.stderr);
  assert.not.match(result.stderr, 'replicas-lowered');
  assert.is(git(dir, 'status', '--porcelain'), '', 'the build restored the committed render');
});

test('a hand edit does not hide a refusal either', () => {
  const dir = checkout();
  editRendered(dir, 'storage: 100Gi', 'storage: 200Gi');
  const result = runBuild(
    ['--out', dir, '--environments', prodWith("storage: { size: '100Gi' }", "storage: { size: '200Gi' }"), 'prod'],
    env(),
  );
  assert.is(result.code, 1, result.stdout);
  assert.match(
    result.stderr.replace(/\s+/g, ' '),
    'prod: refused storage-resize: data volume postgresql-data 100Gi → 200Gi',
  );
});

test('in a pull request (GITHUB_BASE_REF) the build compares with the merge base, not with HEAD', () => {
  const dir = checkout();
  const environments = prodWith(
    "storage: { size: '100Gi' }",
    "storage: { size: '200Gi' }, acknowledge: ['storage-resize']",
  );
  git(dir, 'checkout', '-q', '-b', 'grow');
  assert.is(runBuild(['--out', dir, '--environments', environments, 'prod'], env()).code, 0);
  git(dir, 'commit', '-q', '-am', 'grow the volume');
  // HEAD has the 200Gi render: compared with HEAD, the acknowledgement matches nothing.
  assert.match(runBuild(['--out', dir, '--environments', environments, 'prod'], env()).stderr, 'stale-acknowledgement');
  // Compared with where the branch left main, the resize is the change it is.
  for (const variable of ['GITHUB_BASE_REF', 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME']) {
    const result = runBuild(['--out', dir, '--environments', environments, 'prod'], env({ [variable]: 'main' }));
    assert.is(result.code, 0, result.stderr);
    assert.match(
      result.stderr.replace(/\s+/g, ' '),
      'prod: acknowledged storage-resize: data volume postgresql-data 100Gi → 200Gi',
      variable,
    );
  }
  const missing = runBuild(['--out', dir, 'prod'], env({ GITHUB_BASE_REF: 'release' }));
  assert.is(missing.code, 1);
  assert.match(missing.stderr, 'the target branch "release" (from GITHUB_BASE_REF) is not in this checkout');
});

test.run();
