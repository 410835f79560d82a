import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseSettings } from '../scripts/config/resolve.ts';

const defaults = baseSettings();
import { loadEnvironments } from '../scripts/config/load.ts';
import { npmKustomize, type KustomizeBinary } from '../scripts/kustomize/binary.ts';
import { baseFiles } from '../scripts/assembly/base.ts';
import { overlayFiles } from '../scripts/assembly/overlay.ts';
import { renderCacheKeys } from '../scripts/kustomize/render-cache.ts';
import { mergeTrees, type FileTree } from '../scripts/output/tree.ts';
import { copyOfBundle, environmentsDir, PROJECT_ROOT, runBuild } from './support/cli.ts';
import { renderedEnvironments } from './support/rendered.ts';

// A rebuild takes unchanged overlays from a cache of earlier renders. Every way an overlay's render
// could change must change its key, and a build must never print a render its inputs no longer give.

const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const sources: FileTree = mergeTrees(
  baseFiles(defaults),
  ...environments.map((environment) => overlayFiles(environment, defaults)),
);
const kustomize: KustomizeBinary = npmKustomize()!;
const keyOf = (tree: FileTree, k = kustomize, overlay = 'overlays/prod/') => renderCacheKeys(k, tree, [overlay])[0];
const withFile = (file: string, content: string) => new Map([...sources, [file, content]]);

test('the key changes with any byte of the base, any component, or the overlay itself', () => {
  const key = keyOf(sources);
  assert.is(keyOf(new Map(sources)), key, 'same inputs, same key');
  const base = [...sources.keys()].find((file) => file.startsWith('base/'))!;
  const overlay = [...sources.keys()].find((file) => file.startsWith('overlays/prod/patches/'))!;
  assert.is.not(keyOf(withFile(base, `${sources.get(base)} `)), key, 'a base file');
  assert.is.not(keyOf(withFile(overlay, sources.get(overlay)!.replace('a', 'b'))), key, 'an overlay patch');
  assert.is.not(keyOf(withFile('components/backup/backup.sh', 'echo changed\n')), key, 'a component file');
  assert.is.not(keyOf(withFile('overlays/prod/new-file.yaml', '')), key, 'a new file in the overlay');
  const removed = new Map(sources);
  removed.delete(overlay);
  assert.is.not(keyOf(removed), key, 'a removed file');
});

test('the key changes with the kustomize: its version, command or arguments', () => {
  const key = keyOf(sources);
  assert.is.not(keyOf(sources, { ...kustomize, version: '5.5.0' }), key);
  assert.is.not(keyOf(sources, { ...kustomize, command: 'kubectl', args: ['kustomize'] }), key);
  assert.is.not(
    keyOf(sources, { ...kustomize, command: path.join(PROJECT_ROOT, 'test/support/marking-kustomize.sh') }),
    key,
  );
});

test("another environment's overlay does not change this one's key", () => {
  const other = [...sources.keys()].find((file) => file.startsWith('overlays/dev/'))!;
  assert.is(keyOf(withFile(other, `${sources.get(other)}# edited\n`)), keyOf(sources));
});

test('a rebuild reuses unchanged overlays, re-renders a changed one, and a different kustomize binary is never served the cache', () => {
  const environments = environmentsDir();
  const out = copyOfBundle();
  const first = runBuild(['--out', out, '--environments', environments]);
  assert.is(first.code, 0, first.stderr);
  const again = runBuild(['--out', out, '--environments', environments]);
  const count = renderedEnvironments().length;
  assert.match(again.stdout, `${count} of ${count} overlays reused from the render cache`);

  // The same directory: its path is in every overlay's header comment, so another directory changes them all.
  const dev = path.join(environments, 'dev.ts');
  writeFileSync(dev, readFileSync(dev, 'utf8').replace('max_connections: 50', 'max_connections: 45'));
  const rebuilt = runBuild(['--out', out, '--environments', environments]);
  assert.is(rebuilt.code, 0, rebuilt.stderr);
  assert.match(rebuilt.stdout, `${count - 1} of ${count} overlays reused from the render cache`);
  assert.match(readFileSync(path.join(out, 'generated/dev.yaml'), 'utf8'), 'max_connections = 45');

  const marked = runBuild(['--out', out, '--environments', environments], {
    ...process.env,
    KUSTOMIZE: path.join(PROJECT_ROOT, 'test/support/marking-kustomize.sh'),
  });
  assert.is(marked.code, 0, marked.stderr);
  assert.not.match(marked.stdout, 'reused from the render cache');
  for (const environment of renderedEnvironments())
    assert.match(
      readFileSync(path.join(out, `generated/${environment}.yaml`), 'utf8'),
      '# rendered by marking-kustomize.sh',
    );
});

test('--no-cache renders every overlay with kustomize', () => {
  const out = copyOfBundle();
  runBuild(['--out', out]);
  const result = runBuild(['--out', out, '--no-cache']);
  assert.is(result.code, 0, result.stderr);
  assert.not.match(result.stdout, 'reused from the render cache');
});

test.run();
