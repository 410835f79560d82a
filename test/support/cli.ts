import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fg from 'fast-glob';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
/** `npm run build:overlays`'s own command, from package.json, so the tests run exactly what users run. */
const BUILD_COMMAND: string[] = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts[
  'build:overlays'
].split(' ');

export interface BuildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `build:overlays` command line, as `npm run build:overlays -- <args>` would. */
export function runBuild(args: readonly string[], env: NodeJS.ProcessEnv = process.env): BuildResult {
  const [command, ...commandArgs] = BUILD_COMMAND;
  const result = spawnSync(command, [...commandArgs, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', env });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A temporary directory holding a copy of the committed bundle (base/, components/, overlays/, generated/). */
export function copyOfBundle(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-'));
  for (const part of ['base', 'components', 'overlays', 'generated']) {
    if (existsSync(path.join(PROJECT_ROOT, part)))
      cpSync(path.join(PROJECT_ROOT, part), path.join(dir, part), { recursive: true });
  }
  return dir;
}

/** Environment directories made by this process: they sit inside the project, so they go at exit. */
const environmentDirs = new Set<string>();

/**
 * A temporary environments directory: the project's own files plus/minus the given ones. It sits
 * beside scripts/environments so the files' relative imports (`../config/...`) still resolve.
 */
export function environmentsDir(files: Record<string, string | null> = {}): string {
  const dir = mkdtempSync(path.join(PROJECT_ROOT, 'scripts', '.environments-'));
  if (environmentDirs.size === 0)
    process.once('exit', () => {
      for (const made of environmentDirs) rmSync(made, { recursive: true, force: true });
    });
  environmentDirs.add(dir);
  cpSync(path.join(PROJECT_ROOT, 'scripts/environments'), dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    if (content === null) rmSync(path.join(dir, file));
    else writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

/** Every file under `dir` with its content, for comparing whole trees. */
export function treeOf(dir: string): Record<string, string> {
  const files = fg.sync('**/*', { cwd: dir, dot: true, onlyFiles: true }).sort();
  return Object.fromEntries(files.map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));
}

export function emptyDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'out-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A build into a copy of the bundle that must be refused with every one of `messages`, writing nothing. */
export function assertRefused(files: Record<string, string | null>, messages: readonly (string | RegExp)[]): void {
  const out = copyOfBundle();
  const before = treeOf(out);
  const result = runBuild(['--out', out, '--environments', environmentsDir(files)]);
  assert.is(result.code, 1, result.stdout);
  assert.match(result.stderr, 'Invalid configuration, nothing written');
  for (const message of messages) assert.match(result.stderr, message);
  assert.equal(treeOf(out), before);
}
