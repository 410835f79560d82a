import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { committedFiles } from '../scripts/changes/committed.ts';

/**
 * committedFiles reads every file a build compares with in one `git cat-file --batch`: these prove
 * it answers as `git show <commit>:<file>` would, file by file, in real repositories.
 */
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
const made: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'committed-'));
  made.push(dir);
  return dir;
};
const write = (dir: string, file: string, content: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
};
// No target branch: the CI variables would move the comparison to a merge base.
const { GITHUB_BASE_REF: _g, CI_MERGE_REQUEST_TARGET_BRANCH_NAME: _c, ...env } = process.env;

test.after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('in a checkout: the committed bytes (multi-byte text too), not the edited files; undefined for an uncommitted file', async () => {
  const repo = scratch();
  // The bundle in a subdirectory of the repository: paths are relative to it, not to the top.
  const bundle = path.join(repo, 'deploy');
  write(bundle, 'generated/dev.yaml', 'a: "é → ü"\n');
  write(bundle, 'generated/prod.yaml', 'b: 1\n'.repeat(10_000));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'one');
  write(bundle, 'generated/dev.yaml', 'edited\n');
  write(bundle, 'generated/new.yaml', 'not committed\n');
  const found = await committedFiles(
    bundle,
    ['generated/dev.yaml', 'generated/new.yaml', 'generated/prod.yaml', 'generated'],
    env,
  );
  assert.is(found.label, 'HEAD');
  assert.is(found.files.get('generated/dev.yaml'), 'a: "é → ü"\n');
  assert.is(found.files.get('generated/new.yaml'), undefined);
  assert.is(found.files.get('generated/prod.yaml'), git(repo, 'show', 'HEAD:deploy/generated/prod.yaml'));
  assert.is(found.files.get('generated'), undefined, 'a directory is no file');
});

test('outside git, and in a checkout without commits: the files on disk', async () => {
  const plain = scratch();
  write(plain, 'generated/dev.yaml', 'on disk\n');
  const outside = await committedFiles(plain, ['generated/dev.yaml', 'generated/gone.yaml'], env);
  assert.is(outside.label, 'the files on disk');
  assert.equal(
    [...outside.files],
    [
      ['generated/dev.yaml', 'on disk\n'],
      ['generated/gone.yaml', undefined],
    ],
  );

  const empty = scratch();
  write(empty, 'generated/dev.yaml', 'on disk\n');
  git(empty, 'init', '-q', '-b', 'main');
  const unborn = await committedFiles(empty, ['generated/dev.yaml'], env);
  assert.is(unborn.label, 'the files on disk');
  assert.is(unborn.files.get('generated/dev.yaml'), 'on disk\n');
});

test('in a pull request: the merge base with the target branch', async () => {
  const repo = scratch();
  write(repo, 'generated/dev.yaml', 'base\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'checkout', '-q', '-b', 'change');
  write(repo, 'generated/dev.yaml', 'branch\n');
  git(repo, 'commit', '-q', '-am', 'branch');
  const found = await committedFiles(repo, ['generated/dev.yaml'], { ...env, GITHUB_BASE_REF: 'main' });
  assert.is(found.label, 'merge-base(HEAD, main)');
  assert.is(found.files.get('generated/dev.yaml'), 'base\n');
  try {
    await committedFiles(repo, ['generated/dev.yaml'], { ...env, GITHUB_BASE_REF: 'nowhere' });
    assert.unreachable('an unknown target branch must fail');
  } catch (error) {
    assert.match(
      (error as Error).message,
      'the target branch "nowhere" (from GITHUB_BASE_REF) is not in this checkout',
    );
  }
});

test.run();
