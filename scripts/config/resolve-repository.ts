import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.ts';
import type { RepositoryConfig, RepositoryRevision } from './repository.ts';

/** The repository and revision every Application and GitRepository points at, validated. */
export interface Repository {
  readonly url: string;
  readonly revision: RepositoryRevision;
}

const CONFIG_FILE = 'scripts/config/repository.ts';
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCP_LIKE = /^([\w.-]+)@([\w.-]+):(?!\/\/)(.+)$/;
const REMOTE_URL = /^(https:\/\/[\w.-]+(:\d+)?\/|ssh:\/\/([\w.-]+@)?[\w.-]+(:\d+)?\/)\S+$/;
const REF_NAME = /^(?!-|\/|.*\.\.|.*\/\/|.*\/$|.*\.lock$)[\w./-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** The checkout's `origin` remote URL, or undefined when there is none. */
export function gitOrigin(cwd = PROJECT_ROOT): string | undefined {
  try {
    return (
      execFileSync('git', ['remote', 'get-url', 'origin'], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Flux accepts ssh only as ssh://; Argo CD accepts both, so scp-like addresses are rewritten. */
export function normalizedUrl(url: string): string {
  const scp = SCP_LIKE.exec(url);
  return scp ? `ssh://${scp[1]}@${scp[2]}/${scp[3]}` : url;
}

/**
 * The configured URL, else the `origin` remote; an error naming the file and field when neither
 * gives an address a cluster can clone. Never a made-up default.
 */
export function resolveRepository(config: RepositoryConfig, origin: () => string | undefined = gitOrigin): Repository {
  const problems: string[] = [];
  const fromOrigin = config.url === undefined ? origin() : undefined;
  const raw = config.url ?? fromOrigin;
  const where =
    config.url === undefined
      ? `not set, so the git remote "origin" was used ("${fromOrigin}")`
      : `${JSON.stringify(config.url)}`;
  if (raw === undefined) {
    problems.push(
      `${CONFIG_FILE}: url: not set, and this checkout has no git remote "origin"; set it to the repository Argo CD and Flux clone (https://… or ssh://…)`,
    );
  } else if (!REMOTE_URL.test(normalizedUrl(raw))) {
    problems.push(`${CONFIG_FILE}: url: ${where} is not an https:// or ssh:// repository address a cluster can clone`);
  }
  const revision = config.revision ?? { branch: 'main' };
  const revisionProblem = revisionProblemOf(revision);
  if (revisionProblem) problems.push(`${CONFIG_FILE}: revision: ${revisionProblem}`);
  if (problems.length) throw new ConfigError(problems);
  return { url: normalizedUrl(raw!), revision };
}

function revisionProblemOf(revision: RepositoryRevision): string | undefined {
  const entries = Object.entries(revision ?? {});
  if (entries.length !== 1 || !['branch', 'tag', 'commit'].includes(entries[0][0])) {
    return `must be exactly one of { branch }, { tag } or { commit }, got ${JSON.stringify(revision)}`;
  }
  const [kind, value] = entries[0];
  if (kind === 'commit' && !(typeof value === 'string' && COMMIT.test(value)))
    return `commit must be a full 40-character commit id, got ${JSON.stringify(value)}`;
  if (kind !== 'commit' && !(typeof value === 'string' && REF_NAME.test(value)))
    return `${kind} must be a git ${kind} name such as "main", got ${JSON.stringify(value)}`;
  return undefined;
}

/** What Argo CD's targetRevision holds: the branch, tag or commit itself. */
export function targetRevision(revision: RepositoryRevision): string {
  return Object.values(revision)[0];
}
