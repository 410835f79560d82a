import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asServerAccount } from '../../tools/postgres/server.ts';

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function onPath(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (existsSync(path.join(dir, program))) return path.join(dir, program);
  }
  throw new Error(`${program} is not installed (.ci/run installs busybox)`);
}

let applets: string | undefined;
/**
 * A directory holding a link for every busybox applet, like the alpine image's /bin: on a PATH of
 * only the PostgreSQL tools and this, a script gets busybox's date, sha256sum, sync... and fails
 * on anything alpine would not have.
 */
export function busyboxApplets(): string {
  if (applets) return applets;
  const busybox = onPath('busybox');
  const dir = mkdtempSync(path.join(tmpdir(), 'busybox-'));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const applet of execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    symlinkSync(busybox, path.join(dir, applet));
  }
  applets = dir;
  return dir;
}

/** Writes a script of the bundle into `dir`, owned like `dir` so the server account can read it. */
export function installScript(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode: 0o644 });
  const { uid, gid } = statSync(dir);
  chownSync(file, uid, gid);
  return file;
}

/**
 * Runs `busybox sh script args` as the server account (nobody, when the tests run as root), with
 * only `env` and a PATH of `toolsDir` then the busybox applets: as in the image, where the
 * PostgreSQL programs come first and busybox provides the rest.
 */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  toolsDir: string,
): Promise<ScriptResult> {
  return runAsServerAccount([onPath('busybox'), 'sh', script, ...args], env, toolsDir);
}

/** Runs `argv` as the server account, with only `env` and the PATH runScript gives. */
export function runAsServerAccount(
  argv: readonly string[],
  env: Record<string, string>,
  toolsDir: string,
): Promise<ScriptResult> {
  const [command, args] = asServerAccount(argv[0], argv.slice(1));
  const program = path.isAbsolute(command) ? command : onPath(command);
  const environment = {
    PATH: [toolsDir, busyboxApplets()].join(path.delimiter),
    HOME: tmpdir(),
    TMPDIR: tmpdir(),
    ...env,
  };
  return new Promise((resolve) => {
    execFile(program, args, { env: environment, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error
        ? typeof (error as { code?: unknown }).code === 'number'
          ? (error as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export { onPath };
