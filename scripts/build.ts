/**
 * npm run build:overlays -- [--check] [--environments DIR] [--out DIR] [ENV ...]
 *
 * Renders base/, overlays/<env>/ and generated/<env>.yaml into a scratch directory, verifies
 * them there, and only then moves them into place. With --check it writes nothing and exits 1
 * when a committed file is stale, missing or extra.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { burstableWarning } from './config/qos.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { consequencesOfBuild } from './changes/build.ts';
import { formatConsequences, refusalMessage } from './changes/format.ts';
import { ConfigError } from './config/errors.ts';
import { loadEnvironments, selectEnvironments, type ModuleImporter } from './config/load.ts';
import { findKustomize } from './kustomize/binary.ts';
import { directoryRenderCache, noRenderCache } from './kustomize/render-cache.ts';
import { Timings } from './output/timings.ts';
import { ownedPaths, renderBundle, type RenderedBundle } from './pipeline.ts';
import { compareTrees, readOwnedFiles, replaceOwnedPaths, scratchDirectory, writeTree, type TreeDifference } from './output/tree.ts';

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

export function parseArguments(argv: readonly string[]): Options {
  const options: Options = { check: false, noCache: false, out: PROJECT_ROOT, environmentsDir: path.join(PROJECT_ROOT, 'scripts/environments'), only: [] };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new ConfigError([`${argument}: needs a directory`]);
      return path.resolve(next);
    };
    if (argument === '--check') options.check = true;
    else if (argument === '--out') options.out = value();
    else if (argument === '--environments') options.environmentsDir = value();
    else if (argument === '--timings') options.timings = value();
    else if (argument === '--no-cache') options.noCache = true;
    else if (argument.startsWith('-')) throw new ConfigError([`${argument}: unknown option; allowed: --check, --no-cache, --out DIR, --environments DIR, --timings FILE, then environment names`]);
    else options.only.push(argument);
  }
  return options;
}

function summaryLine(name: string, detail: string, difference: TreeDifference): string {
  const changed = difference.changed.length + difference.missing.length + difference.extra.length;
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const state = changed === 0 ? `unchanged (${files(difference.unchanged.length)})` : `${files(changed)} changed, ${difference.unchanged.length} unchanged`;
  return `  ${name.padEnd(10)} ${detail.padEnd(12)} ${state}`;
}

/** One line per overlay (and the base): objects rendered, files changed or unchanged. */
function summary(bundle: RenderedBundle, difference: TreeDifference): string[] {
  const only = (files: readonly string[]): TreeDifference => {
    const pick = (list: string[]) => list.filter((file) => files.includes(file));
    return { changed: pick(difference.changed), missing: pick(difference.missing), extra: pick(difference.extra), unchanged: pick(difference.unchanged) };
  };
  const shared = [...bundle.tree.keys(), ...difference.extra].filter((file) => file.startsWith('base/') || file.startsWith('components/'));
  const lines = [summaryLine('base', '+ components', only(shared))];
  for (const environment of bundle.environments) {
    const extra = difference.extra.filter((file) => file.startsWith(`overlays/${environment.name}/`));
    lines.push(summaryLine(environment.name, `${environment.objects} objects`, only([...environment.files, ...extra])));
  }
  const orphans = difference.extra.filter((file) => !shared.includes(file) && !bundle.environments.some((e) => file.startsWith(`overlays/${e.name}/`)));
  if (orphans.length) lines.push(`  removed    ${orphans.join(', ')}`);
  return lines;
}

export async function main(argv: readonly string[], importModule?: ModuleImporter): Promise<number> {
  const timings = new Timings();
  const options = parseArguments(argv);
  const all = await loadEnvironments(options.environmentsDir, PROJECT_ROOT, importModule);
  const environments = selectEnvironments(all, options.only);
  timings.lap('config');
  const kustomize = findKustomize();
  timings.lap('find kustomize');
  const owned = ownedPaths(environments, options.only.length === 0);
  const staging = await scratchDirectory(options.out);
  try {
    const cache = options.noCache ? noRenderCache : directoryRenderCache(RENDER_CACHE);
    const bundle = await renderBundle(environments, kustomize, staging, { timings, cache });
    // Against the committed render, before anything replaces it (README, "When a change needs a manual step").
    const consequences = await consequencesOfBuild(environments, bundle.tree, options.out);
    if (consequences.length) console.error(formatConsequences(consequences));
    const refused = refusalMessage(consequences, environments);
    if (refused && !options.check) {
      console.error(refused);
      return 1;
    }
    timings.lap('consequences');
    const difference = compareTrees(bundle.tree, await readOwnedFiles(options.out, owned));
    timings.lap('compare');
    const fromCache = bundle.cachedRenders ? `; ${bundle.cachedRenders} of ${environments.length} overlays reused from the render cache (inputs unchanged)` : '';
    console.log(`Rendered with kustomize ${kustomize.version} (${kustomize.origin})${fromCache}`);
    summary(bundle, difference).forEach((line) => console.log(line));
    for (const warning of environments.map(burstableWarning).filter(Boolean)) console.error(`warning: ${warning}`);
    if (options.check) {
      const stale = [
        ...difference.changed.map((file) => `  stale:   ${file}`),
        ...difference.missing.map((file) => `  missing: ${file}`),
        ...difference.extra.map((file) => `  extra:   ${file}`),
      ];
      if (options.timings) await writeFile(options.timings, timings.json());
      if (stale.length === 0) return 0;
      console.error(`The committed bundle is out of date; run \`npm run build:overlays\` and commit:\n${stale.join('\n')}`);
      return 1;
    }
    // An unchanged bundle is left as it is: nothing to move, and its files keep their times.
    if (difference.changed.length + difference.missing.length + difference.extra.length > 0) {
      // kustomize's inputs are there already.
      await writeTree(staging, new Map([...bundle.tree].filter(([file]) => !existsSync(path.join(staging, file)))));
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
    if (error instanceof ConfigError) console.error(`Invalid configuration, nothing written:\n${error.problems.map((p) => `  ${p}`).join('\n')}`);
    else console.error(`Build failed, nothing written: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
