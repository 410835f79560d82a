import { execFileSync, spawnSync } from 'node:child_process';

/** A git command failed: the diff exits 2 with this message. */
export class GitError extends Error {}

function git(cwd: string, args: readonly string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0)
    throw new GitError(`git ${args.join(' ')}: ${(result.stderr || result.error?.message || 'failed').trim()}`);
  return result.stdout.trim();
}

/** The top directory of the git checkout holding `cwd`. */
export function repositoryRoot(cwd: string): string {
  return git(cwd, ['rev-parse', '--show-toplevel']);
}

/** The commit a ref names, in full. */
export function commitOf(root: string, ref: string): string {
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new GitError(`"${ref}" names no commit in ${root}`);
  }
}

/**
 * What a pull request is compared with: where HEAD left the main branch (local `main`, else
 * `origin/main`), so commits that landed on main since are not shown as this branch's changes.
 */
export function defaultBase(root: string): { ref: string; commit: string } {
  for (const main of ['main', 'origin/main']) {
    try {
      commitOf(root, main);
    } catch {
      continue;
    }
    return { ref: `merge-base(HEAD, ${main})`, commit: git(root, ['merge-base', 'HEAD', main]) };
  }
  throw new GitError('no "main" or "origin/main" branch to compare with; name a ref: npm run diff -- <ref>');
}

/**
 * Writes the files under `paths` as they are at `commit` into `target`, from git's object store:
 * the working tree and the index are never read or written. Paths missing at that commit are skipped.
 */
export function extractPaths(root: string, commit: string, paths: readonly string[], target: string): void {
  const present = git(root, ['ls-tree', '--name-only', commit, '--', ...paths])
    .split('\n')
    .filter(Boolean);
  if (present.length === 0) return;
  const archive = execFileSync('git', ['archive', '--format=tar', commit, '--', ...present], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', target], { input: archive });
}
