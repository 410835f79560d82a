/**
 * The pgbench client: Debian's, from postgresql-15 (the npm package ships server programs only).
 * A 15 client drives a 16 server; its built-in scripts use nothing newer.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { debianBinaries } from '../postgres/server.ts';
import { serverEnvironment } from '../postgres/server-account.ts';

export const PGBENCH_MAJOR = 15;

/** Where a server listens and who pgbench logs in as. */
export interface Target {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Path of pgbench; throws, naming the package to install, when it is missing. */
export function pgbenchBinary(): string {
  let toolsDir: string | undefined;
  try {
    toolsDir = debianBinaries(PGBENCH_MAJOR).toolsDir;
  } catch {
    // debianBinaries looks for the server; the message below is about the client we need.
  }
  const binary = join(toolsDir ?? `/usr/lib/postgresql/${PGBENCH_MAJOR}/bin`, 'pgbench');
  if (!existsSync(binary))
    throw new Error(`pgbench not found at ${binary}: apt-get install postgresql-${PGBENCH_MAJOR}`);
  return binary;
}

/** "pgbench (PostgreSQL) 15.18 (Debian …)". */
export function pgbenchVersion(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}

/** What pgbench printed: the summary on stdout, progress and errors on stderr. */
export interface PgbenchOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs pgbench against `target` over TCP (so the configuration's pg_hba.conf and SCRAM apply, as
 * for a client of the pod) and resolves with its output; rejects with stderr when it fails.
 */
export function runPgbench(binary: string, target: Target, args: readonly string[]): Promise<PgbenchOutput> {
  const argv = ['-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, ...args, target.database];
  const child = spawn(binary, argv, {
    // The caller's PG* variables must not redirect pgbench; the password is the only one it gets.
    env: { ...serverEnvironment(), PGPASSWORD: target.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`pgbench ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr}${stdout}`));
    });
  });
}
