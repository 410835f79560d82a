/**
 * Who the test servers run as, and what cleans up after them. PostgreSQL refuses to run as root,
 * and CI runs as root: there every server program runs as `nobody` through setpriv, in directories
 * that account owns. Whatever a test does, no server or temporary directory outlives the process.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PostgreSQL refuses to run as root; as root (CI) every server program runs as this account. */
export const SERVER_ACCOUNT = { user: 'nobody', group: 'nogroup' } as const;

export const runsAsRoot = process.getuid?.() === 0;

/** A directory under os.tmpdir() that only the server account can use (0700, chowned when root). */
export function makeServerDirectory(prefix: string): string {
  installSafetyNet();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  if (runsAsRoot) chownSync(dir, ...serverIds());
  temporaryDirectories.add(dir);
  return dir;
}

export function removeServerDirectory(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  temporaryDirectories.delete(dir);
}

/** The command line that runs `binary` as the server account: itself, or through setpriv under root. */
export function asServerAccount(binary: string, args: readonly string[]): [string, string[]] {
  if (!runsAsRoot) return [binary, [...args]];
  return [
    'setpriv',
    [`--reuid=${SERVER_ACCOUNT.user}`, `--regid=${SERVER_ACCOUNT.group}`, '--clear-groups', binary, ...args],
  ];
}

let ids: [number, number] | undefined;
/** uid and gid of the server account. */
export function serverIds(): [number, number] {
  ids ??= [
    Number(execFileSync('id', ['-u', SERVER_ACCOUNT.user], { encoding: 'utf8' }).trim()),
    Number(execFileSync('getent', ['group', SERVER_ACCOUNT.group], { encoding: 'utf8' }).split(':')[2]),
  ];
  return ids;
}

/** libpq-style PG* variables of the caller (PGDATA, PGPORT...) must not leak into the server. */
export function serverEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
  // Under root, HOME is /root, which the server account cannot enter: a WAL receiver's libpq then
  // fails on ~/.postgresql/postgresql.crt ("Permission denied") and gives up TLS. A HOME it may read.
  return runsAsRoot ? { ...env, HOME: tmpdir() } : env;
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

// Safety net: whatever a test does, no server or temporary directory outlives this process.
export interface RunningServer {
  readonly pid: number;
  readonly dataDir: string;
  readonly socketDir: string;
}
/** Servers started and not yet stopped; launch() adds, stop() removes. */
export const runningServers = new Set<RunningServer>();
const temporaryDirectories = new Set<string>();

function stopEverythingNow(): void {
  for (const server of runningServers) signal(server.pid, 'SIGINT');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 10_000;
  // No event loop in an exit hook: the postmaster removes postmaster.pid as its last act.
  for (const server of runningServers) {
    const pidFile = join(server.dataDir, 'postmaster.pid');
    while (existsSync(pidFile) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 20);
    if (existsSync(pidFile)) signal(server.pid, 'SIGKILL');
  }
  runningServers.clear();
  for (const dir of temporaryDirectories) rmSync(dir, { recursive: true, force: true });
  temporaryDirectories.clear();
}

let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', stopEverythingNow);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(name, () => {
      stopEverythingNow();
      // Listener gone: the re-raised signal ends the process the way it would have without us.
      process.kill(process.pid, name);
    });
  }
}
