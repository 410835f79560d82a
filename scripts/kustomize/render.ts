import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { writeTree, type FileTree } from '../output/tree.ts';
import type { KustomizeBinary } from './binary.ts';
import { renderCacheKeys, type RenderCache } from './render-cache.ts';

const run = promisify(execFile);

/**
 * The Go runtime settings kustomize runs with; the bytes it prints are the same. Settings the caller
 * exported win.
 * - GOGC=200: kustomize allocates about 200 MB to build a prod-like overlay, its live heap staying
 *   near 20 MB, so at Go's default of 100 the collector runs dozens of times. At 200 it runs half as
 *   often, for 7-13% less CPU per overlay (dev, staging and prod, 8 interleaved rounds each) and a
 *   few MB more memory; 400 and up cost more in page faults than they save.
 * - GOMAXPROCS=1 when as many kustomize processes run as there are cores: each has a core of its
 *   own, and Go's parallel collector would only take CPU from the sibling (a cold 3-environment
 *   build: 1.41 s against 1.51 s wall, median of 7 alternating runs). One overlay alone keeps both.
 */
export const kustomizeEnv = (side: { parallel: boolean }, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({
  ...env,
  GOGC: env.GOGC ?? '200',
  ...(side.parallel && env.GOMAXPROCS === undefined ? { GOMAXPROCS: '1' } : {}),
});

/** `kustomize build <dir>`'s stdout, byte for byte: the rendered file is never re-serialized. */
export async function kustomizeBuild(
  kustomize: KustomizeBinary,
  dir: string,
  { parallel = false }: { parallel?: boolean } = {},
): Promise<string> {
  try {
    const { stdout } = await run(kustomize.command, [...kustomize.args, dir], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: kustomizeEnv({ parallel }),
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `kustomize ${kustomize.version} (${kustomize.origin}) failed to build ${dir}: ${stderr || (error as Error).message}`,
    );
  }
}

/**
 * `kustomize build` of every directory, each result a promise of its own so the caller can verify
 * one overlay while others render. At most one process per core runs at a time: more only queue for
 * the CPU and hold their memory meanwhile.
 */
function kustomizeBuilds(
  kustomize: KustomizeBinary,
  dirs: readonly string[],
  concurrency = availableParallelism(),
): Promise<string>[] {
  if (dirs.length === 0) return [];
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = () =>
    running < concurrency ? Promise.resolve(running++) : new Promise<void>((resolve) => waiting.push(resolve));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return dirs.map(async (dir) => {
    await slot();
    try {
      return await kustomizeBuild(kustomize, dir, { parallel: dirs.length >= concurrency });
    } finally {
      release();
    }
  });
}

/**
 * The render of each overlay (`dirs`, as in `sources`): from the cache when every input is unchanged
 * since an earlier build, else from kustomize, which then fills the cache. Only what kustomize reads
 * is written under `root`: the base, the components and the overlays it renders.
 */
export async function overlayRenders(
  kustomize: KustomizeBinary,
  sources: FileTree,
  root: string,
  dirs: readonly string[],
  cache: RenderCache,
): Promise<{ builds: Promise<string>[]; reused: number }> {
  const keys = renderCacheKeys(kustomize, sources, dirs);
  const cached = keys.map((key) => cache.get(key));
  const stale = dirs.flatMap((_dir, index) => (cached[index] === undefined ? [index] : []));
  if (stale.length) {
    const read = ['base/', 'components/', ...stale.map((index) => dirs[index])];
    await writeTree(root, new Map([...sources].filter(([file]) => read.some((prefix) => file.startsWith(prefix)))));
  }
  const fresh = kustomizeBuilds(
    kustomize,
    stale.map((index) => path.join(root, dirs[index])),
  );
  const builds = dirs.map((_, index) => {
    const hit = cached[index];
    if (hit !== undefined) return Promise.resolve(hit);
    return fresh[stale.indexOf(index)].then((rendered) => {
      cache.set(keys[index], rendered);
      return rendered;
    });
  });
  return { builds, reused: dirs.length - stale.length };
}

/** Number of YAML documents (objects) in a rendered stream. */
export function objectCount(rendered: string): number {
  return rendered.split(/^---$/m).filter((document) => document.trim()).length;
}
