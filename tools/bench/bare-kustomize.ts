/**
 * The floor under any build: `kustomize build` of the overlays and nothing else, timed from outside.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KustomizeBinary } from '../../scripts/kustomize/binary.ts';
import { childrenCpuMs } from './cpu-accounting.ts';
import { spreadOf, type Spread } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `kustomize build` of each committed overlay alone, one after the other, as a user would type them
 * (Go's default GOGC): the floor under any build. Per overlay, and the three together per round.
 */
export function bareKustomize(
  kustomize: KustomizeBinary,
  overlays: readonly string[],
  runs: number,
): { byOverlay: Record<string, Spread>; together: Spread } {
  const rounds = Array.from({ length: runs }, () =>
    overlays.map((overlay) => {
      const start = process.hrtime.bigint();
      spawnSync(kustomize.command, [...kustomize.args, `overlays/${overlay}`], { cwd: ROOT, stdio: 'ignore' });
      return Number(process.hrtime.bigint() - start) / 1e6;
    }),
  );
  return {
    byOverlay: Object.fromEntries(
      overlays.map((overlay, index) => [overlay, spreadOf(rounds.map((round) => round[index]))]),
    ),
    together: spreadOf(rounds.map((round) => round.reduce((sum, ms) => sum + ms, 0))),
  };
}

/**
 * `kustomize build` of every overlay of `project` (written by one build first), as many at once as
 * the machine has cores, as a script would run them (Go's defaults): what any build of these
 * environments costs at least, in wall time and in CPU.
 */
export function bareOverlaysInParallel(
  project: string,
  kustomize: KustomizeBinary,
  runs: number,
): { parallel: number; wall: Spread; cpu?: Spread } {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-bare-'));
  try {
    const tree = path.join(out, 'tree');
    const built = spawnSync('node', ['scripts/compiled.mjs', 'scripts/build.ts', '--out', tree], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`build in ${project} failed: ${built.stderr}`);
    const overlays = readdirSync(path.join(tree, 'overlays')).map((name) => path.join(tree, 'overlays', name));
    const parallel = availableParallelism();
    const measured = Array.from({ length: runs }, () => {
      const cpuBefore = childrenCpuMs();
      const start = process.hrtime.bigint();
      // xargs -P keeps `parallel` kustomize processes going; every one's output is discarded.
      const result = spawnSync(
        'xargs',
        ['-0', '-n', '1', '-P', String(parallel), kustomize.command, ...kustomize.args],
        {
          input: overlays.join('\0'),
          stdio: ['pipe', 'ignore', 'pipe'],
          encoding: 'utf8',
        },
      );
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const cpuAfter = childrenCpuMs();
      if (result.status !== 0) throw new Error(`kustomize build failed: ${result.stderr}`);
      return { wallMs, cpuMs: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined };
    });
    const cpu = measured.every((run) => run.cpuMs !== undefined)
      ? spreadOf(measured.map((run) => run.cpuMs!))
      : undefined;
    return { parallel, wall: spreadOf(measured.map((run) => run.wallMs)), ...(cpu ? { cpu } : {}) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
