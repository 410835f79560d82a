import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileTree } from '../output/tree.ts';
import type { KustomizeBinary } from './binary.ts';

/**
 * Rendered overlays kept by the hash of everything `kustomize build` reads, so a rebuild renders only
 * the overlays whose inputs changed: with dozens of environments, a change to one re-renders one.
 *
 * The key covers every byte kustomize can read for an overlay (each file of base/, components/ and
 * the overlay itself, by path and content: the build writes nothing else into its scratch tree, and
 * the bundle has no remote resources) and the kustomize that renders it (command, arguments,
 * version, and the binary's size and modification time, so a replaced binary is a new key).
 * test/render-cache.test.ts proves that a changed input is never answered from the cache.
 */
export interface RenderCache {
  get(key: string): string | undefined;
  set(key: string, rendered: string): void;
  /** Deletes entries beyond what is worth keeping. */
  prune(): void;
}

/** Entries kept: the oldest (by last use) beyond this are deleted after a build. */
const KEEP = 2000;

/** The digest of every file of `sources` under one of `prefixes`, by path and content. */
function filesDigest(sources: FileTree, prefixes: readonly string[]): string {
  const hash = createHash('sha256');
  const files = [...sources.keys()].filter((file) => prefixes.some((prefix) => file.startsWith(prefix))).sort();
  for (const file of files) hash.update(`\0${file}\0${sources.get(file)!.length}\0`).update(sources.get(file)!);
  return hash.digest('hex');
}

/** The cache key of each overlay in `overlayDirs`: what they share (kustomize, base/, components/) is hashed once. */
export function renderCacheKeys(
  kustomize: KustomizeBinary,
  sources: FileTree,
  overlayDirs: readonly string[],
): string[] {
  let binary = '';
  try {
    const stat = statSync(kustomize.command);
    binary = `${stat.size}:${stat.mtimeMs}`;
  } catch {
    // A command found on PATH (kubectl, kustomize): its version stands for it.
  }
  const shared = JSON.stringify([
    kustomize.command,
    kustomize.args,
    kustomize.version,
    binary,
    filesDigest(sources, ['base/', 'components/']),
  ]);
  return overlayDirs.map((dir) =>
    createHash('sha256')
      .update(shared)
      .update(filesDigest(sources, [dir.replace(/\/?$/, '/')]))
      .digest('hex'),
  );
}

/** A cache in `dir` (created on first write); when it cannot be written, the build simply renders everything. */
export function directoryRenderCache(dir: string): RenderCache {
  const file = (key: string) => path.join(dir, `${key}.yaml`);
  return {
    get(key) {
      try {
        const rendered = readFileSync(file(key), 'utf8');
        const now = new Date();
        utimesSync(file(key), now, now);
        return rendered;
      } catch {
        return undefined;
      }
    },
    set(key, rendered) {
      try {
        mkdirSync(dir, { recursive: true });
        // Written aside and renamed: a concurrent or interrupted build never reads half an entry.
        const partial = `${file(key)}.${process.pid}.partial`;
        writeFileSync(partial, rendered);
        renameSync(partial, file(key));
      } catch {
        // Not cached: the next build renders it again.
      }
    },
    prune() {
      try {
        const entries = readdirSync(dir).filter((name) => name.endsWith('.yaml'));
        if (entries.length <= KEEP) return;
        const byAge = entries
          .map((name) => ({ name, used: statSync(path.join(dir, name)).mtimeMs }))
          .sort((a, b) => b.used - a.used);
        for (const { name } of byAge.slice(KEEP)) rmSync(path.join(dir, name), { force: true });
      } catch {
        // Nothing to prune.
      }
    },
  };
}

/** No cache: `--no-cache`, and the benchmark's cold builds. */
export const noRenderCache: RenderCache = { get: () => undefined, set: () => undefined, prune: () => undefined };
