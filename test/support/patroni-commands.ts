/**
 * The runbooks' commands against a test Patroni cluster, run as the pod runs them: patronictl and the
 * scripts as the server account, with the member's patroni.yml and container environment.
 */
import { spawn } from 'node:child_process';
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asServerAccount } from '../../tools/postgres/server.ts';
import type { Member, PatroniCluster } from './patroni-cluster.ts';

export interface ScriptRun {
  readonly code: number;
  readonly output: string;
}

/** A program as the server account, `stdin` on its standard input, in a session of its own (no terminal for psql to prompt on); never throws. */
function run(
  program: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
  timeoutMs = 180_000,
): Promise<ScriptRun> {
  const [command, argv] = asServerAccount(program, [...args]);
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
    child.stdin.end(stdin);
  });
}

/** `busybox sh FILE` (the alpine image's shell). */
const runScript = (file: string, args: readonly string[], env: Record<string, string>) =>
  run('busybox', ['sh', file, ...args], env);
/** `busybox sh -c SCRIPT NAME ARGS`, as `kubectl exec -i ... -- sh -c "$(cat SCRIPT)"` runs it. */
const execScript = (
  script: string,
  name: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin: string,
) => run('busybox', ['sh', '-c', script, name, ...args], env, stdin);

/** `kubectl exec <member> -- patronictl -c /etc/patroni/patroni.yml ARGS`: the member's config file and environment. */
export function patronictl(member: Member, args: readonly string[]): Promise<ScriptRun> {
  return run('patronictl', ['-c', member.configFile, ...args], member.env);
}

/** A file of the member's /etc/patroni (the copies of the rendered ConfigMaps). */
export const patroniFile = (member: Member, name: string) =>
  path.join(path.dirname(member.config.bootstrap.post_bootstrap), name);

/** Writes `content` where the server account can read it, in the member's own directory. */
export function memberFile(member: Member, name: string, content: string): string {
  const file = path.join(path.dirname(member.configFile), name);
  writeFileSync(file, content, { mode: 0o600 });
  const { uid, gid } = statSync(path.dirname(member.configFile));
  chownSync(file, uid, gid);
  return file;
}

/** The config Job: apply-dcs.sh as rendered, with the member's patroni.yml and the given dcs.yml. */
export function applyDcs(member: Member, dcsFile: string): Promise<ScriptRun> {
  return runScript(patroniFile(member, 'apply-dcs.sh'), [], {
    ...member.env,
    PATRONI_CONFIG: member.configFile,
    PATRONI_DCS_FILE: dcsFile,
  });
}

/** The Secret's data as the runbooks' secret_lines prints it: "<key> <base64 value>" per key, in key order. */
export const secretLines = (values: Readonly<Record<string, string>>) =>
  Object.keys(values)
    .sort()
    .map((key) => `${key} ${Buffer.from(values[key]).toString('base64')}\n`)
    .join('');

/** The runbooks' run_script: `kubectl exec -i <member> -- sh -c "$(cat scripts/postgres/sh/SCRIPT)" SCRIPT ARGS`, the Secret on stdin. */
export function runRunbookScript(
  cluster: PatroniCluster,
  ordinal: number,
  script: string,
  args: readonly string[],
  secret: string,
): Promise<ScriptRun> {
  const member = cluster.members[ordinal];
  const env = {
    ...member.env,
    PGHOST: member.socketDir,
    PGPORT: String(member.ports.postgresql),
    PGDATA: member.dataDir,
  };
  return execScript(readFileSync(path.join('scripts/postgres/sh', script), 'utf8'), script, args, env, secret);
}

/** The runbooks' sql_on: psql as the superuser of the container's environment, the SQL on stdin. */
export function sqlOn(cluster: PatroniCluster, ordinal: number, sql: readonly string[]): Promise<ScriptRun> {
  const member = cluster.members[ordinal];
  return execScript(
    'PGPASSWORD="$POSTGRES_PASSWORD" exec psql -X -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
    'sql_on',
    [],
    { ...member.env, PGHOST: member.socketDir, PGPORT: String(member.ports.postgresql) },
    `${sql.join('\n')}\n`,
  );
}
