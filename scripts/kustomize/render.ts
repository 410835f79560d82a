import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import type { KustomizeBinary } from './binary.ts';

const run = promisify(execFile);

/** `kustomize build <dir>`'s stdout, byte for byte: the rendered file is never re-serialized. */
export async function kustomizeBuild(kustomize: KustomizeBinary, dir: string): Promise<string> {
  try {
    const { stdout } = await run(kustomize.command, [...kustomize.args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kustomize ${kustomize.version} (${kustomize.origin}) failed to build ${dir}: ${stderr || (error as Error).message}`);
  }
}

/**
 * `kustomize build` of every directory, each result a promise of its own so the caller can verify
 * one overlay while others render. At most one process per core runs at a time: more only queue for
 * the CPU and hold their memory meanwhile.
 */
export function kustomizeBuilds(kustomize: KustomizeBinary, dirs: readonly string[], concurrency = availableParallelism()): Promise<string>[] {
  if (dirs.length === 0) return [];
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = () => (running < concurrency ? Promise.resolve(running++) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return dirs.map(async (dir) => {
    await slot();
    try {
      return await kustomizeBuild(kustomize, dir);
    } finally {
      release();
    }
  });
}

/** Number of YAML documents (objects) in a rendered stream. */
export function objectCount(rendered: string): number {
  return rendered.split(/^---$/m).filter((document) => document.trim()).length;
}
