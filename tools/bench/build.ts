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
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { npmKustomize, v5Kustomize, type KustomizeBinary } from '../../scripts/kustomize/binary.ts';
import { bareKustomize, bareOverlaysInParallel } from './bare-kustomize.ts';
import { childrenCpuMs } from './cpu-accounting.ts';
import { projectWithEnvironments } from './project-copy.ts';
import { formatSpread, spreadOf, type Spread } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  runs: number;
  scale: number[];
  json: string;
}

export const USAGE = `Usage: npm run bench -- [--runs N] [--scale 3,10,30,100] [--json FILE]

Times npm run build:overlays as a user runs it (a fresh process per run, after one unmeasured run
that fills the compile cache), phase by phase, with every kustomize found; then builds of synthetic
sets of environments. Prints a table and writes the figures as JSON. Nothing is asserted.

Options:
  --runs N          measured runs per figure (default 5)
  --scale LIST      numbers of synthetic environments (default 3,10,30,100)
  --json FILE       where to write the figures (default bench/results/latest.json)
  -h, --help        this help

Exit codes:
  0  measured and written
  1  bad arguments, or a build failed`;

function parseArguments(argv: readonly string[]): Options & { help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      runs: { type: 'string', default: '5' },
      scale: { type: 'string', default: '3,10,30,100' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const options = {
    help: values.help ?? false,
    runs: Number(values.runs),
    scale: values.scale!.split(',').map(Number),
    json: path.resolve(values.json ?? path.join(ROOT, 'bench/results/latest.json')),
  };
  if (
    !(Number.isInteger(options.runs) && options.runs >= 1) ||
    options.scale.some((n) => !(Number.isInteger(n) && n >= 1))
  )
    throw new Error('--runs and --scale need whole numbers of at least 1');
  return options;
}

interface Run {
  wallMs: number;
  phases: Record<string, number>;
  peakRssMb: number;
  cpuMs?: number;
}

interface SeriesOptions {
  env?: NodeJS.ProcessEnv;
  /** Run `node scripts/compiled.mjs` directly instead of through `npm run`. */
  withoutNpm?: boolean;
  /** Extra build arguments: --no-cache for a cold render. */
  args?: readonly string[];
  /** Called before each measured run: an edit the run then rebuilds. */
  beforeEach?: (run: number) => void;
}

/** One build as `npm run build:overlays` runs it in `project`, timed from outside and phase by phase from inside. */
function timedBuild(
  project: string,
  out: string,
  { env = process.env, withoutNpm = false, args: extra = [] }: SeriesOptions,
): Run {
  const timings = path.join(out, '..', `timings-${process.pid}.json`);
  const buildArgs = ['--out', out, '--timings', timings, ...extra];
  const [command, args] = withoutNpm
    ? ['node', ['scripts/compiled.mjs', 'scripts/build.ts', ...buildArgs]]
    : ['npm', ['run', '-s', 'build:overlays', '--', ...buildArgs]];
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args as string[], {
    cwd: project,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status !== 0) throw new Error(`build in ${project} failed: ${result.stderr}`);
  const report = JSON.parse(readFileSync(timings, 'utf8')) as { phases: Record<string, number>; peakRssMb: number };
  const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  return { wallMs, phases: report.phases, peakRssMb: report.peakRssMb, cpuMs };
}

interface Series {
  wall: Spread;
  phases: Record<string, number>;
  peakRssMb: number;
  firstRunMs: number;
  cpu?: Spread;
}

/** `runs` measured builds after one unmeasured first run (which compiles, if the sources are new to the compile cache). */
function series(project: string, runs: number, options: SeriesOptions = {}): Series {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-out-'));
  try {
    const first = timedBuild(project, path.join(out, 'tree'), options);
    const measured = Array.from({ length: runs }, (_, run) => {
      options.beforeEach?.(run);
      return timedBuild(project, path.join(out, 'tree'), options);
    });
    const phaseNames = Object.keys(measured[0].phases);
    const phases = Object.fromEntries(
      phaseNames.map((name) => [name, spreadOf(measured.map((run) => run.phases[name] ?? 0)).median]),
    );
    const cpu = measured.every((run) => run.cpuMs !== undefined)
      ? spreadOf(measured.map((run) => run.cpuMs!))
      : undefined;
    return {
      wall: spreadOf(measured.map((run) => run.wallMs)),
      phases,
      peakRssMb: Math.max(...measured.map((run) => run.peakRssMb)),
      firstRunMs: Math.round(first.wallMs),
      cpu,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** How to make the build use `kustomize`: $KUSTOMIZE names the binary (or kubectl). */
const envFor = (kustomize: KustomizeBinary): NodeJS.ProcessEnv => ({ ...process.env, KUSTOMIZE: kustomize.command });

/** The figures as docs/speed.md's table: one row per environment count. */
function markdownTable(report: {
  scale: { environments: number; everyOverlayRendered: Series; oneEnvironmentEdited: Series; nothingChanged: Series }[];
}): string {
  const cell = (s: Spread) =>
    `${(s.median / 1000).toFixed(2)} s (${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)})`;
  return [
    '| environments | every overlay rendered (`--no-cache`) | one environment edited | nothing changed | peak RSS of the build |',
    '|---:|---|---|---|---:|',
    ...report.scale.map(
      (row) =>
        `| ${row.environments} | ${cell(row.everyOverlayRendered.wall)} | ${cell(row.oneEnvironmentEdited.wall)} | ${cell(row.nothingChanged.wall)} | ${Math.max(row.everyOverlayRendered.peakRssMb, row.oneEnvironmentEdited.peakRssMb)} MB |`,
    ),
  ].join('\n');
}

function main(argv: readonly string[]): void {
  const options = parseArguments(argv);
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const kustomizes = [npmKustomize(), v5Kustomize()].filter((k): k is KustomizeBinary => k !== undefined);
  // The load before the first run: other work on the machine slows every figure.
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: loadavg()[0],
  };
  console.log(
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, load average ${machine.loadAverageAtStart.toFixed(2)}; ${options.runs} measured runs each, after one unmeasured run\n`,
  );

  const nodeStart = spreadOf(
    Array.from({ length: options.runs }, () => {
      const start = process.hrtime.bigint();
      spawnSync('node', ['-e', '0'], { stdio: 'ignore' });
      return Number(process.hrtime.bigint() - start) / 1e6;
    }),
  );
  const cold = series(ROOT, options.runs, { args: ['--no-cache'] });
  const warm = series(ROOT, options.runs);
  const withoutNpm = series(ROOT, options.runs, { args: ['--no-cache'], withoutNpm: true });
  const phases = (s: Series) =>
    Object.entries(s.phases)
      .map(([name, ms]) => `${name} ${ms.toFixed(0)}`)
      .join(', ');
  console.log('The project (3 environments), kustomize as the build finds it; median (min–max):');
  console.log(
    `  npm run build:overlays -- --no-cache   ${formatSpread(cold.wall)}   peak ${cold.peakRssMb} MB${cold.cpu ? `   CPU (node, kustomize, git) ${formatSpread(cold.cpu)}` : ''}`,
  );
  console.log(`    phases (ms): ${phases(cold)}`);
  console.log(`  npm run build:overlays (render cache)  ${formatSpread(warm.wall)}`);
  console.log(`    phases (ms): ${phases(warm)}`);
  console.log(`  the same without npm run, --no-cache   ${formatSpread(withoutNpm.wall)}`);
  console.log(`  node -e 0 (node's own start)           ${formatSpread(nodeStart)}\n`);

  const byKustomize = kustomizes.map((kustomize) => {
    const build = series(ROOT, options.runs, { env: envFor(kustomize), args: ['--no-cache'] });
    const { byOverlay: bare, together } = bareKustomize(kustomize, ['dev', 'staging', 'prod'], options.runs);
    const ratio = build.wall.median / together.median;
    console.log(`kustomize ${kustomize.version} (${kustomize.origin}):`);
    console.log(
      `  npm run build:overlays -- --no-cache   ${formatSpread(build.wall)}   kustomize phase ${build.phases['kustomize build'].toFixed(0)} ms${build.cpu ? `   CPU ${formatSpread(build.cpu)}` : ''}`,
    );
    console.log(
      `  kustomize build, one overlay alone     ${Object.entries(bare)
        .map(([overlay, spread]) => `${overlay} ${formatSpread(spread)}`)
        .join(', ')}`,
    );
    console.log(`  the three bare runs, one after another ${formatSpread(together)}`);
    console.log(`  ratio: the build's median over the three bare runs' median: ${ratio.toFixed(2)}×\n`);
    return {
      version: kustomize.version,
      origin: kustomize.origin,
      build,
      bareOverlay: bare,
      bareThree: together,
      ratioToBare: Math.round(ratio * 100) / 100,
    };
  });

  console.log(
    'Scale: synthetic environment sets (dev-, staging- and prod-like in turn), kustomize as the build finds it:',
  );
  console.log(
    '  environments   every overlay rendered (--no-cache)   per env   peak RSS   one environment edited   nothing changed',
  );
  const scale = options.scale.map((count) => {
    const project = projectWithEnvironments(ROOT, count);
    const runs = Math.min(options.runs, count >= 100 ? 3 : options.runs);
    try {
      const all = series(project, runs, { args: ['--no-cache'] });
      const edited = path.join(project, 'scripts/environments/tenant-001.ts');
      const original = readFileSync(edited, 'utf8');
      const oneEdited = series(project, runs, {
        beforeEach: (run) =>
          writeFileSync(edited, original.replace('max_connections: 50', `max_connections: ${40 + (run % 2)}`)),
      });
      const unchanged = series(project, runs);
      const floor = bareOverlaysInParallel(project, kustomizes[0], runs);
      console.log(
        `  ${String(count).padStart(12)}   ${formatSpread(all.wall).padEnd(36)}  ${(all.wall.median / count).toFixed(0).padStart(4)} ms   ${String(all.peakRssMb).padStart(5)} MB   ${formatSpread(oneEdited.wall).padEnd(22)}   ${formatSpread(unchanged.wall)}`,
      );
      if (all.cpu)
        console.log(
          `  ${''.padStart(12)}   CPU of the cold build (node, kustomize): ${formatSpread(all.cpu)}, ${(all.cpu.median / count).toFixed(0)} ms per environment`,
        );
      console.log(
        `  ${''.padStart(12)}   bare kustomize of the same ${count} overlays, ${floor.parallel} at a time: ${formatSpread(floor.wall)}${floor.cpu ? `, CPU ${formatSpread(floor.cpu)}` : ''}; the cold build is ${(all.wall.median / floor.wall.median).toFixed(2)}× that`,
      );
      return {
        environments: count,
        everyOverlayRendered: all,
        oneEnvironmentEdited: oneEdited,
        nothingChanged: unchanged,
        bareKustomize: floor,
        ratioToBare: Math.round((all.wall.median / floor.wall.median) * 100) / 100,
      };
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  const report = {
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg()[0] },
    runs: options.runs,
    nodeStartMs: nodeStart,
    project: { cold, warm, withoutNpm },
    byKustomize,
    scale,
  };
  mkdirSync(path.dirname(options.json), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nFigures written to ${path.relative(ROOT, options.json)}\n\nFor docs/speed.md:\n`);
  console.log(markdownTable(report));
  console.log(`\n${failoverLine()}`);
}

/**
 * The failover figures beside the build's: the last `npm run bench:failover` (real Patroni members,
 * several kills, minutes of run time, so it keeps its own command and results file).
 */
function failoverLine(): string {
  const file = path.join(ROOT, 'bench/results/failover.json');
  // The JSON bench:failover writes (tools/bench/failover.ts): read as it was written, fields checked by use.
  // biome-ignore lint/suspicious/noExplicitAny: a results file of the bench's own making
  let result: any;
  try {
    result = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return 'Failover: no bench/results/failover.json yet: run npm run bench:failover';
  }
  const { kill, gracefulStop } = result;
  return (
    `Failover of ${result.environment}'s primary (npm run bench:failover, ${result.date.slice(0, 10)}, ${result.machine.patroni}): ` +
    `kill -9 → writes back in ${kill.writesBackSeconds.median} s median (${kill.writesBackSeconds.min}–${kill.writesBackSeconds.max}, ${kill.trials} kills, ${kill.rowsLost} acknowledged rows lost); ` +
    `graceful stop → ${gracefulStop.writesBackSeconds.median} s median (${gracefulStop.trials} stops, ${gracefulStop.rowsLost} lost)`
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`bench failed: ${(error as Error).message.split('. ')[0]}\n${USAGE}`);
  process.exitCode = 1;
}
