import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../scripts/diff.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * `npm run diff` against a temporary git repository holding a copy of the committed bundle (two of
 * its environments, to keep the renders few): the project's own checkout is never touched.
 */
const repo = mkdtempSync(path.join(tmpdir(), 'diff-repo-'));
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
for (const part of ['base', 'components', 'overlays/dev', 'overlays/prod']) {
  if (existsSync(path.join(PROJECT_ROOT, part)))
    cpSync(path.join(PROJECT_ROOT, part), path.join(repo, part), { recursive: true });
}
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'bundle');

async function diff(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { cwd: repo, out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

function edit(file: string, from: string | RegExp, to: string): void {
  const target = path.join(repo, file);
  const before = readFileSync(target, 'utf8');
  const after = before.replace(from, to);
  assert.is.not(after, before, `${file} contains ${from}`);
  writeFileSync(target, after);
}

const reset = () => {
  git('checkout', '-q', '--', '.');
  git('clean', '-q', '-fd');
};

test('the same overlays at the ref and in the working tree: exit 0, every environment unchanged', async () => {
  const result = await diff('HEAD');
  assert.is(result.code, 0, result.err);
  for (const environment of ['dev', 'prod']) assert.match(result.out, `=== ${environment}: unchanged`);
  assert.not.match(result.out, '@@');
});

test('changed overlays: exit 1, a summary and a unified diff per environment; the working tree untouched', async () => {
  edit('overlays/prod/kustomization.yaml', 'count: 3', 'count: 4');
  edit('overlays/dev/environment.conf', /max_connections = \d+/, 'max_connections = 40');
  const status = git('status', '--porcelain');
  const result = await diff('HEAD');
  assert.is(result.code, 1, result.err);
  assert.match(
    result.out,
    '=== prod: 1 changed (StatefulSet/postgresql), 0 added, 0 removed\n--- HEAD:overlays/prod\n+++ working tree:overlays/prod\n@@',
  );
  assert.match(result.out, /^- {2}replicas: 3$/m);
  assert.match(result.out, /^\+ {2}replicas: 4$/m);
  // The ConfigMap's hash-suffixed name changes with its content: still one changed object, not one added and one
  // removed.
  assert.match(
    result.out,
    '=== dev: 2 changed (ConfigMap/postgresql-config-*, StatefulSet/postgresql), 0 added, 0 removed',
  );
  assert.match(result.out, /^- {4}max_connections = 50$/m);
  assert.is(git('status', '--porcelain'), status, 'the diff wrote nothing into the repository');
  assert.is(git('worktree', 'list').split('\n').length, 1, 'no worktree left behind');
  reset();
});

test('the diff names the consequences of a change: what the build would refuse, and the runbook', async () => {
  edit('overlays/prod/kustomization.yaml', 'count: 3', 'count: 2');
  const result = await diff('HEAD');
  assert.is(result.code, 1, result.err);
  const out = result.out.replace(/\s+/g, ' ');
  assert.match(out, '=== prod: 1 changed (StatefulSet/postgresql), 0 added, 0 removed Changes that need a manual step');
  assert.match(out, 'prod: refused replicas-lowered: replicas 3 → 2: postgresql-2 stops, whichever role it has');
  assert.match(out, 'runbook: generated/runbooks/prod.md#scale-replicas');
  assert.match(result.out, '=== dev: unchanged');
  reset();
});

test('a new environment is all additions; without a ref, the base is where HEAD left main', async () => {
  git('checkout', '-q', '-b', 'feature');
  cpSync(path.join(repo, 'overlays/dev'), path.join(repo, 'overlays/qa'), { recursive: true });
  git('add', '-A');
  git('commit', '-q', '-m', 'qa');
  git('checkout', '-q', 'main');
  edit('overlays/prod/kustomization.yaml', 'count: 3', 'count: 5');
  git('commit', '-q', '-am', 'prod on main');
  git('checkout', '-q', 'feature');

  const result = await diff();
  assert.is(result.code, 1, result.err);
  assert.match(result.out, /: merge-base\(HEAD, main\) \([0-9a-f]{12}\) against the working tree/);
  assert.match(
    result.out,
    /=== qa \(new environment\): 0 changed, \d+ added \(.*StatefulSet\/postgresql.*\), 0 removed/,
  );
  assert.match(result.out, '=== prod: unchanged', "main's later commit is not this branch's change");
  assert.match((await diff('main')).out, /=== prod: 1 changed \(StatefulSet\/postgresql\)/);
  git('checkout', '-q', 'main');
});

test('an unknown ref or an overlay that does not build: exit 2 with the reason', async () => {
  const unknown = await diff('no-such-ref');
  assert.is(unknown.code, 2);
  assert.match(unknown.err, '"no-such-ref" names no commit');
  writeFileSync(path.join(repo, 'overlays/dev/kustomization.yaml'), 'resources:\n  - missing.yaml\n');
  const broken = await diff('HEAD');
  assert.is(broken.code, 2);
  assert.match(broken.err, /diff failed: working tree: kustomize .* failed to build .*overlays\/dev/);
  reset();
});

test('npm run diff: the command line exits 1 on a difference and prints the summary', () => {
  edit('overlays/prod/kustomization.yaml', /count: \d+/, 'count: 7');
  const result = spawnSync(
    path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
    [path.join(PROJECT_ROOT, 'scripts/diff.ts'), 'HEAD'],
    { cwd: repo, encoding: 'utf8' },
  );
  assert.is(result.status, 1, result.stderr);
  assert.match(result.stdout, '=== prod: 1 changed (StatefulSet/postgresql)');
  reset();
  rmSync(repo, { recursive: true, force: true });
});

test.run();
