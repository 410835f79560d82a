/**
 * npm run build:overlays -- [--check] [--environments DIR] [--out DIR] [ENV ...]   (--help: USAGE below)
 *
 * Renders base/, overlays/<env>/ and generated/<env>.yaml into a scratch directory, verifies
 * them there, and only then moves them into place. With --check it writes nothing and exits 1
 * when a committed file is stale, missing or extra.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { burstableWarning } from './config/qos.ts';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { committedRenders, consequencesOfBuild } from './changes/build.ts';
import { formatConsequences, refusalMessage } from './changes/format.ts';
import { ConfigError } from './config/errors.ts';
import { loadEnvironments, selectEnvironments, type ModuleImporter } from './config/load.ts';
import { findKustomize } from './kustomize/binary.ts';
import { directoryRenderCache, noRenderCache } from './kustomize/render-cache.ts';
import { Timings } from './output/timings.ts';
import { ownedPaths, renderBundle, type RenderedBundle } from './pipeline.ts';
import {
  compareTrees,
  mergeTrees,
  readOwnedFiles,
  replaceOwnedPaths,
  scratchDirectory,
  writeTree,
  type FileTree,
  type TreeDifference,
} from './output/tree.ts';
import { baseSettings } from './config/resolve.ts';
import type { Environment } from './config/environment.ts';
import { configurationSection, readmeWithConfiguration } from './docs/configuration.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Rendered overlays by the hash of their inputs (scripts/kustomize/render-cache.ts). */
const RENDER_CACHE = path.join(PROJECT_ROOT, 'node_modules/.cache/postgresql-gitops-bundle/renders');

interface Options {
  check: boolean;
  /** Where to write the phase timings as JSON (npm run bench). */
  timings?: string;
  /** Render every overlay with kustomize, ignoring and not filling the render cache. */
  noCache: boolean;
  out: string;
  environmentsDir: string;
  only: string[];
}

export const USAGE = `Usage: npm run build:overlays -- [options] [ENVIRONMENT ...]

Renders base/, components/, overlays/<env>/, generated/ and docs/configuration.md's tables from
scripts/environments/*.ts, verifies them in a scratch directory, then moves them into place. Named
environments: only their overlays and generated files (and base/, components/) are written.

Options:
  --check              write nothing; exit 1 when a committed file is stale, missing or extra
  --no-cache           render every overlay with kustomize (ignore the render cache)
  --out DIR            the project to write into (default: this project)
  --environments DIR   where the environment files are (default: scripts/environments)
  --timings FILE       write the phase timings as JSON (npm run bench)
  -h, --help           this help

Exit codes:
  0  built (or, with --check, everything up to date)
  1  invalid configuration, a change refused until acknowledged, a stale bundle (--check), or a
     failed render; nothing is written`;

const OPTIONS = {
  check: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  out: { type: 'string' },
  environments: { type: 'string' },
  timings: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseArguments(argv: readonly string[]): Options & { help: boolean } {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError([
      `${(error as Error).message.split('\n')[0].split('. ')[0]}; allowed: --check, --no-cache, --out DIR, --environments DIR, --timings FILE, --help, then environment names`,
    ]);
  }
  const { values, positionals } = parsed;
  const resolve = (value: string | undefined) => (value === undefined ? undefined : path.resolve(value));
  return {
    help: values.help ?? false,
    check: values.check ?? false,
    noCache: values['no-cache'] ?? false,
    out: resolve(values.out) ?? PROJECT_ROOT,
    environmentsDir: resolve(values.environments) ?? path.join(PROJECT_ROOT, 'scripts/environments'),
    timings: resolve(values.timings),
    only: positionals,
  };
}

const README = 'docs/configuration.md';

/** docs/configuration.md with its generated section for `environments`, when the output has that file (a copy of the bundle may not). */
function readmeTree(out: string, environments: readonly Environment[]): FileTree {
  const file = path.join(out, README);
  if (!existsSync(file)) return new Map();
  return new Map([
    [
      README,
      readmeWithConfiguration(
        readFileSync(file, 'utf8'),
        configurationSection(environments, baseSettings().postgresql),
      ),
    ],
  ]);
}

function summaryLine(name: string, detail: string, difference: TreeDifference): string {
  const changed = difference.changed.length + difference.missing.length + difference.extra.length;
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const state =
    changed === 0
      ? `unchanged (${files(difference.unchanged.length)})`
      : `${files(changed)} changed, ${difference.unchanged.length} unchanged`;
  return `  ${name.padEnd(10)} ${detail.padEnd(12)} ${state}`;
}

/** One line per overlay (and the base): objects rendered, files changed or unchanged. */
function summary(bundle: RenderedBundle, difference: TreeDifference): string[] {
  const only = (files: readonly string[]): TreeDifference => {
    const pick = (list: string[]) => list.filter((file) => files.includes(file));
    return {
      changed: pick(difference.changed),
      missing: pick(difference.missing),
      extra: pick(difference.extra),
      unchanged: pick(difference.unchanged),
    };
  };
  const shared = [...bundle.tree.keys(), ...difference.extra].filter(
    (file) => file.startsWith('base/') || file.startsWith('components/'),
  );
  const lines = [summaryLine('base', '+ components', only(shared))];
  for (const environment of bundle.environments) {
    const extra = difference.extra.filter((file) => file.startsWith(`overlays/${environment.name}/`));
    lines.push(summaryLine(environment.name, `${environment.objects} objects`, only([...environment.files, ...extra])));
  }
  const orphans = difference.extra.filter(
    (file) => !shared.includes(file) && !bundle.environments.some((e) => file.startsWith(`overlays/${e.name}/`)),
  );
  if (orphans.length) lines.push(`  removed    ${orphans.join(', ')}`);
  return lines;
}

export async function main(argv: readonly string[], importModule?: ModuleImporter): Promise<number> {
  const timings = new Timings();
  const options = parseArguments(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const all = await loadEnvironments(options.environmentsDir, PROJECT_ROOT, importModule);
  const environments = selectEnvironments(all, options.only);
  timings.lap('config');
  // Read from git while the rest of the build runs; a failure is reported where it is awaited.
  const committed = committedRenders(environments, options.out);
  committed.catch(() => undefined);
  const kustomize = findKustomize();
  timings.lap('find kustomize');
  // docs/configuration.md's generated section lists every environment: written by a build of all of them.
  const readme = options.only.length === 0 ? readmeTree(options.out, environments) : new Map<string, string>();
  const owned = [...ownedPaths(environments, options.only.length === 0), ...readme.keys()];
  const staging = await scratchDirectory(options.out);
  try {
    const cache = options.noCache ? noRenderCache : directoryRenderCache(RENDER_CACHE);
    const bundle = await renderBundle(environments, kustomize, staging, { timings, cache });
    // Against the committed render, before anything replaces it (docs/day-2.md#when-a-change-needs-a-manual-step).
    const consequences = await consequencesOfBuild(environments, bundle.tree, options.out, committed);
    if (consequences.length) console.error(formatConsequences(consequences));
    const refused = refusalMessage(consequences, environments);
    if (refused && !options.check) {
      console.error(refused);
      return 1;
    }
    timings.lap('consequences');
    const tree = mergeTrees(bundle.tree, readme);
    const difference = compareTrees(tree, await readOwnedFiles(options.out, owned));
    timings.lap('compare');
    const fromCache = bundle.cachedRenders
      ? `; ${bundle.cachedRenders} of ${environments.length} overlays reused from the render cache (inputs unchanged)`
      : '';
    console.log(`Rendered with kustomize ${kustomize.version} (${kustomize.origin})${fromCache}`);
    for (const line of summary(bundle, difference)) console.log(line);
    for (const warning of environments.map(burstableWarning).filter(Boolean)) console.error(`warning: ${warning}`);
    if (readme.size)
      console.log(
        `  ${README}  configuration section ${difference.changed.includes(README) ? 'changed' : 'unchanged'}`,
      );
    if (options.check) {
      const stale = [
        ...difference.changed.map((file) => `  stale:   ${file}`),
        ...difference.missing.map((file) => `  missing: ${file}`),
        ...difference.extra.map((file) => `  extra:   ${file}`),
      ];
      if (options.timings) await writeFile(options.timings, timings.json());
      if (stale.length === 0) return 0;
      console.error(
        `The committed bundle is out of date; run \`npm run build:overlays\` and commit:\n${stale.join('\n')}`,
      );
      return 1;
    }
    // An unchanged bundle is left as it is: nothing to move, and its files keep their times.
    if (difference.changed.length + difference.missing.length + difference.extra.length > 0) {
      // kustomize's inputs are there already.
      await writeTree(staging, new Map([...tree].filter(([file]) => !existsSync(path.join(staging, file)))));
      await replaceOwnedPaths(options.out, staging, owned);
    }
    cache.prune();
    timings.lap('write');
    if (options.timings) await writeFile(options.timings, timings.json());
    return 0;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The command line: the build's exit code, with a refusal printed rather than thrown. */
export async function run(argv: readonly string[], importModule?: ModuleImporter): Promise<number> {
  try {
    return await main(argv, importModule);
  } catch (error) {
    if (error instanceof ConfigError)
      console.error(`Invalid configuration, nothing written:\n${error.problems.map((p) => `  ${p}`).join('\n')}`);
    else console.error(`Build failed, nothing written: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
