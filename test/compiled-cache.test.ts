import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './support/cli.ts';

// `npm run build:overlays` runs a compiled copy of the TypeScript (scripts/compiled.mjs). These tests
// edit the sources of a copy of the project and prove that no edit is ever answered from the cache.

const CACHE = path.join(PROJECT_ROOT, 'node_modules/.cache/postgresql-gitops-bundle');

/** A copy of the project's sources, sharing node_modules (and so the compile cache) with the project. */
function projectCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'compiled-'));
  for (const part of ['scripts', 'package.json', 'package-lock.json', 'tsconfig.json'])
    cpSync(path.join(PROJECT_ROOT, part), path.join(root, part), { recursive: true });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

/** The build as npm runs it, in `root`, writing into a fresh directory: that directory's kustomization of `environment`. */
function built(root: string, environment = 'dev'): { kustomization: string; stderr: string } {
  const out = mkdtempSync(path.join(tmpdir(), 'compiled-out-'));
  const [command, ...args] = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts[
    'build:overlays'
  ].split(' ');
  const result = spawnSync(command, [...args, '--out', out, environment], { cwd: root, encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  const kustomization = readFileSync(path.join(out, 'overlays', environment, 'kustomization.yaml'), 'utf8');
  rmSync(out, { recursive: true, force: true });
  return { kustomization, stderr: result.stderr };
}

/** The compiled files the cache holds for the copy at `root` (index files name their entry's path). */
function compiledFor(root: string): string[] {
  if (!existsSync(CACHE)) return [];
  return readdirSync(CACHE)
    .filter((file) => file.startsWith('index-'))
    .map((file) => JSON.parse(readFileSync(path.join(CACHE, file), 'utf8')) as { output: string; inputs: string[] })
    .filter((index) => index.inputs.some((input) => input.startsWith(`${root}/`)))
    .map((index) => index.output)
    .sort();
}

function removeCopy(root: string): void {
  for (const file of readdirSync(CACHE).filter((name) => name.startsWith('index-'))) {
    const index = JSON.parse(readFileSync(path.join(CACHE, file), 'utf8')) as { output: string; inputs: string[] };
    if (index.inputs.some((input) => input.startsWith(`${root}/`))) {
      rmSync(path.dirname(index.output), { recursive: true, force: true });
      rmSync(path.join(CACHE, file));
    }
  }
  rmSync(root, { recursive: true, force: true });
}

const edit = (file: string, from: string, to: string) => {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(file, text.replace(from, to));
};

test('an unchanged project runs the same compiled files; each edit of a source compiles anew and shows in the output', () => {
  const root = projectCopy();
  try {
    const first = built(root);
    const compiled = compiledFor(root);
    assert.ok(compiled.length >= 2, 'the build and the dev environment are compiled');
    assert.equal(built(root).kustomization, first.kustomization);
    assert.equal(compiledFor(root), compiled, 'a second run reuses the compiled files');

    // A module deep in the pipeline, not the entry point.
    edit(
      path.join(root, 'scripts/assembly/overlay.ts'),
      'only what differs from the base.',
      'only what differs from the base (edited).',
    );
    assert.match(built(root).kustomization, 'only what differs from the base (edited).');

    // An environment file: compiled on its own when the build imports it.
    edit(path.join(root, 'scripts/environments/dev.ts'), "storage: { size: '5Gi' }", "storage: { size: '6Gi' }");
    assert.ok(readFileSync(path.join(root, 'scripts/environments/dev.ts'), 'utf8').includes('6Gi'));
    const resized = built(root);
    assert.match(resized.kustomization, 'patches/storage.yaml');

    // Back to the original bytes: the original output, whatever the cache held meanwhile.
    edit(
      path.join(root, 'scripts/assembly/overlay.ts'),
      'only what differs from the base (edited).',
      'only what differs from the base.',
    );
    assert.not.match(built(root).kustomization, '(edited)');
  } finally {
    removeCopy(root);
  }
});

test('a changed lockfile (another dependency version) compiles anew', () => {
  const root = projectCopy();
  try {
    built(root);
    const before = compiledFor(root);
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    lock.packages[''].version = '0.0.0-edited';
    writeFileSync(path.join(root, 'package-lock.json'), JSON.stringify(lock, null, 2));
    built(root);
    const after = compiledFor(root);
    assert.is(after.length, before.length);
    assert.ok(
      after.every((file) => !before.includes(file)),
      'every compiled file is new',
    );
  } finally {
    removeCopy(root);
  }
});

test('the compiled build refuses bad input like the TypeScript one: a message naming the field, exit 1', () => {
  const root = projectCopy();
  try {
    edit(path.join(root, 'scripts/environments/dev.ts'), 'replicas: 1,', "replicas: 'one' as unknown as number,");
    const out = mkdtempSync(path.join(tmpdir(), 'compiled-out-'));
    const [command, ...args] = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts[
      'build:overlays'
    ].split(' ');
    const result = spawnSync(command, [...args, '--out', out], { cwd: root, encoding: 'utf8' });
    assert.is(result.status, 1);
    assert.match(result.stderr, 'Invalid configuration, nothing written');
    assert.match(result.stderr, 'replicas');
    assert.equal(readdirSync(out), []);
    rmSync(out, { recursive: true, force: true });
  } finally {
    removeCopy(root);
  }
});

test.run();
