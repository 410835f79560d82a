import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the "before" of a build's changes comes from, as the build reports it. */
export interface CommittedSource {
  /** "HEAD", "merge-base(HEAD, origin/main)", or "the files on disk" outside git. */
  readonly label: string;
  /** The file as committed there; undefined when it is not (a new environment). */
  read(file: string): string | undefined;
}

const git = (cwd: string, args: readonly string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/**
 * What a build's changes are compared with: the committed render, not the working tree (a
 * hand-edited generated/<env>.yaml must neither invent nor hide a refusal). In a pull or merge
 * request (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME) that is where the branch left its
 * target; otherwise HEAD. Outside a git checkout, or in one without commits, the files on disk.
 */
export function committedSource(dir: string, env: NodeJS.ProcessEnv = process.env): CommittedSource {
  const onDisk: CommittedSource = {
    label: 'the files on disk',
    read: (file) => (existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), 'utf8') : undefined),
  };
  if (!existsSync(dir)) return onDisk;
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  if (top.status !== 0 || git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).status !== 0) return onDisk;
  const root = top.stdout.trim();

  let label = 'HEAD';
  let commit = git(root, ['rev-parse', 'HEAD']).stdout.trim();
  const target = env.GITHUB_BASE_REF || env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
  if (target) {
    const ref = [`origin/${target}`, target].find((candidate) => git(root, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]).status === 0);
    if (!ref) throw new Error(`the target branch "${target}" (from ${env.GITHUB_BASE_REF ? 'GITHUB_BASE_REF' : 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'}) is not in this checkout; fetch it (git fetch origin ${target}) so changes are compared with it`);
    const base = git(root, ['merge-base', 'HEAD', ref]);
    if (base.status !== 0) throw new Error(`no merge base of HEAD and ${ref}: fetch the full history (fetch-depth: 0) so changes are compared with it`);
    label = `merge-base(HEAD, ${ref})`;
    commit = base.stdout.trim();
  }
  // Paths inside the commit are relative to the repository and always use "/".
  const prefix = path.relative(root, path.resolve(dir)).split(path.sep).join('/');
  return {
    label,
    read(file) {
      const shown = git(root, ['show', `${commit}:${prefix ? `${prefix}/` : ''}${file}`]);
      return shown.status === 0 ? shown.stdout : undefined;
    },
  };
}
