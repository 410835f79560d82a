/**
 * npm run diff -- [git-ref]
 *
 * Renders every overlay as it is at `git-ref` (default: where HEAD left the main branch) and as it
 * is in the working tree, with the same kustomize, and prints per environment a one-line summary
 * and a unified diff. Exit 0 when every environment renders the same, 1 when one differs, 2 on
 * error, like `flux diff`. The ref's files come from git's object store into a temporary
 * directory: the working tree and the index are never written.
 */
import { createTwoFilesPatch } from 'diff';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findKustomize, type KustomizeBinary } from './kustomize/binary.ts';
import { kustomizeBuild } from './kustomize/render.ts';
import { consequencesOfChange } from './changes/consequences.ts';
import { formatConsequences } from './changes/format.ts';
import { changesLine, objectChanges } from './review/objects.ts';
import { commitOf, defaultBase, extractPaths, repositoryRoot } from './review/git.ts';
import { OVERLAYS_DIR, RENDERED_DIRS } from './vocabulary/layout.ts';

export interface DiffIo {
  readonly cwd: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Environments with an overlay under `root`: overlays/<name>/kustomization.yaml. */
function overlaysIn(root: string): string[] {
  const dir = path.join(root, OVERLAYS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, 'kustomization.yaml')))
    .sort();
}

async function renderAll(
  kustomize: KustomizeBinary,
  root: string,
  environments: readonly string[],
  side: string,
): Promise<Map<string, string>> {
  const available = environments.filter((environment) => overlaysIn(root).includes(environment));
  const build = (environment: string) =>
    kustomizeBuild(kustomize, path.join(root, OVERLAYS_DIR, environment)).catch((error: Error) => {
      throw new Error(`${side}: ${error.message}`);
    });
  const rendered = await Promise.all(available.map(build));
  return new Map(available.map((environment, index) => [environment, rendered[index]]));
}

export const USAGE = `Usage: npm run diff -- [GIT-REF]

Renders every overlay as it is at GIT-REF and as it is in the working tree, with the same
kustomize, and prints per environment a summary line, the change consequences and a unified diff.
GIT-REF defaults to where HEAD left the main branch (merge-base of HEAD with main or origin/main).

Options:
  -h, --help   this help

Exit codes:
  0  every environment renders the same
  1  an environment differs
  2  error (bad arguments, an unknown ref, a failed render)`;

export async function main(argv: readonly string[], io: DiffIo): Promise<number> {
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    positionals = parsed.positionals;
    if (positionals.length > 1) throw new Error(`one git ref at most, got ${positionals.length}`);
  } catch (error) {
    io.err(`${(error as Error).message.split('. ')[0]}\n${USAGE}\n`);
    return 2;
  }
  argv = positionals;
  const scratch = mkdtempSync(path.join(tmpdir(), 'bundle-diff-'));
  try {
    const root = repositoryRoot(io.cwd);
    const base = argv[0] === undefined ? defaultBase(root) : { ref: argv[0], commit: commitOf(root, argv[0]) };
    const kustomize = findKustomize(io.env);
    extractPaths(root, base.commit, RENDERED_DIRS, scratch);
    const environments = [...new Set([...overlaysIn(scratch), ...overlaysIn(root)])].sort();
    const [before, after] = await Promise.all([
      renderAll(kustomize, scratch, environments, `${base.ref} (${base.commit.slice(0, 12)})`),
      renderAll(kustomize, root, environments, 'working tree'),
    ]);

    io.out(
      `Rendered with kustomize ${kustomize.version} (${kustomize.origin}): ${base.ref} (${base.commit.slice(0, 12)}) against the working tree\n`,
    );
    let differs = false;
    for (const environment of environments) {
      const [old, now] = [before.get(environment) ?? '', after.get(environment) ?? ''];
      if (old === now) {
        io.out(`\n=== ${environment}: unchanged\n`);
        continue;
      }
      differs = true;
      const state = !before.has(environment)
        ? ' (new environment)'
        : !after.has(environment)
          ? ' (environment removed)'
          : '';
      io.out(`\n=== ${environment}${state}: ${changesLine(objectChanges(old, now))}\n`);
      const consequences = state ? [] : consequencesOfChange(environment, old, now);
      if (consequences.length) io.out(`${formatConsequences(consequences)}\n`);
      const patch = createTwoFilesPatch(
        `${base.ref}:overlays/${environment}`,
        `working tree:overlays/${environment}`,
        old,
        now,
        undefined,
        undefined,
        { context: 3 },
      );
      io.out(patch.replace(/^=+\n/, ''));
    }
    return differs ? 1 : 0;
  } catch (error) {
    io.err(`diff failed: ${(error as Error).message}\n`);
    return 2;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const io: DiffIo = {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  // exitCode, not exit(): a long diff written to a pipe is never cut short.
  main(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}
