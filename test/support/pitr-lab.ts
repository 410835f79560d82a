/**
 * A pgBackRest bench on loopback: s3rver with TLS and a CA made by the test, and pgBackRest run as
 * the server account with the configuration, variables and commands of generated/<env>.yaml. Only
 * what names this machine (paths, ports, the endpoint, the CA) is overridden; every override
 * names a key the rendered file has, so a renamed key fails the test instead of being ignored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  asServerAccount,
  makeServerDirectory,
  runsAsRoot,
  serverEnvironment,
  serverIds,
  signal,
} from '../../tools/postgres/server-account.ts';
import { find, rendered } from './rendered.ts';
import { makeTestCa, type CertificateFiles, type TestCa } from './test-ca.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PGBACKREST = '/usr/bin/pgbackrest';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Where one PostgreSQL server's files are, for the pg1-* keys. */
export interface ServerPaths {
  readonly pgdata: string;
  readonly socketDir: string;
  readonly port: number;
}

/** Runs a command as the server account; never throws on a non-zero exit. Bounded in time. */
export function run(
  binary: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 120_000,
): Promise<CommandResult> {
  const started = Date.now();
  const [command, argv] = asServerAccount(binary, args);
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env: { ...serverEnvironment(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => signal(child.pid!, 'SIGKILL'), timeoutMs);
    // 'exit', not 'close': processes pgBackRest starts may hold its output open a little longer.
    child.on('exit', (code) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }), 50);
    });
  });
}

/** The rendered file with `overrides` applied to keys it has, and `extra` lines after [global]. */
export function overridden(
  text: string,
  overrides: Readonly<Record<string, string>>,
  extra: readonly string[] = [],
  drop?: RegExp,
): string {
  const seen = new Set<string>();
  const lines = text
    .split('\n')
    .filter((line) => !drop?.test(line))
    .map((line) => {
      const key = /^([a-z0-9-]+)=/.exec(line)?.[1];
      if (key === undefined || !Object.hasOwn(overrides, key)) return line;
      seen.add(key);
      return `${key}=${overrides[key]}`;
    });
  const missing = Object.keys(overrides).filter((key) => !seen.has(key));
  if (missing.length)
    throw new Error(
      `the rendered pgBackRest configuration has no ${missing.join(', ')}: the test overrides a key that is gone`,
    );
  const global = lines.indexOf('[global]');
  lines.splice(global + 1, 0, ...extra);
  return lines.join('\n');
}

/** A container's variables from the rendered pod spec, Secret references resolved from `secrets`. */
export function containerEnv(
  container: Record<string, any>,
  secrets: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  // The database container's other variables are the image entrypoint's, played by the harness.
  const relevant = (container.env ?? []).filter(
    (variable: any) => container.name !== 'postgresql' || variable.name.startsWith('PGBACKREST_'),
  );
  for (const variable of relevant) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secrets[`${ref.name}/${ref.key}`];
      if (value === undefined) throw new Error(`no test value for Secret ${ref.name} key ${ref.key}`);
      env[variable.name] = value;
    } else {
      env[variable.name] = variable.value;
    }
  }
  return env;
}

export interface S3Server {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** s3rver over TLS on 127.0.0.1, its files in `dir`; stop() and start() keep the port and the objects. */
export async function startS3(dir: string, certificate: CertificateFiles, bucket: string): Promise<S3Server> {
  let child: ChildProcess | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn(
        process.execPath,
        [path.join(HERE, 's3rver-main.mjs'), dir, String(port), certificate.key, certificate.cert, bucket],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
      child.stdout!.once('data', (chunk) => {
        port = Number(String(chunk).trim());
        resolve();
      });
    });
  await start();
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  process.on('exit', () => child?.kill('SIGKILL'));
  return {
    get port() {
      return port;
    },
    stop,
    start,
  };
}

export interface PitrLab {
  readonly ca: TestCa;
  readonly s3: S3Server;
  readonly dir: string;
  readonly bucket: string;
  /** s3rver's files: what the bucket really holds. */
  readonly s3Dir: string;
  /** Values of the Secrets' keys the rendered pods read, by "secret/key". */
  readonly secrets: Record<string, string>;
  /** The database pods' pgbackrest.conf for a server, written to a file of its own. */
  podConfig(name: string, server: ServerPaths, tlsPort?: number): string;
  /**
   * The backup job's backup.conf with pg1 at `server`'s TLS server. The other members are left out:
   * one test server plays the cluster until the Patroni harness lands.
   */
  jobConfig(name: string, server: ServerPaths, tlsPort: number, client: CertificateFiles): string;
  /** The rendered container's variables with the test's Secret values and a config file of the test. */
  env(container: Record<string, any>, configFile: string): Record<string, string>;
  stop(): Promise<void>;
}

/** A lab for `environment`'s rendered pgBackRest files (the repository its ConfigMap names). */
export async function startLab(environment: string, credentials: { user: string; password: string }): Promise<PitrLab> {
  const dir = makeServerDirectory('pitr-lab-');
  const objects = rendered(environment);
  const files = find(objects, 'ConfigMap', 'postgresql-pgbackrest-config').data as Record<string, string>;
  const bucket = /^repo1-s3-bucket=(.+)$/m.exec(files['pgbackrest.conf'])![1];
  const caDir = path.join(dir, 'ca');
  mkdirSync(caDir);
  if (runsAsRoot) chownSync(caDir, ...serverIds());
  const ca = makeTestCa(caDir);
  const s3dir = makeServerDirectory('s3rver-');
  const s3 = await startS3(s3dir, ca.server, bucket);
  const repositoryOverrides = () => ({
    'repo1-s3-endpoint': 'localhost',
    // s3rver serves path-style URLs only; the environment's own style is for its real endpoint.
    'repo1-s3-uri-style': 'path',
    'lock-path': path.join(dir, 'work', 'lock'),
    'spool-path': path.join(dir, 'work', 'spool'),
    'log-path': path.join(dir, 'work', 'log'),
  });
  const repositoryExtra = () => [`repo1-storage-port=${s3.port}`, `repo1-storage-ca-file=${ca.caFile}`];
  const local = (server: ServerPaths) => ({
    'pg1-path': server.pgdata,
    'pg1-port': String(server.port),
    'pg1-socket-path': server.socketDir,
  });
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    if (runsAsRoot) chownSync(file, ...serverIds());
    return file;
  };
  const secrets: Record<string, string> = {
    'postgresql-pgbackrest-repository/s3-key': 'S3RVER',
    'postgresql-pgbackrest-repository/s3-key-secret': 'S3RVER',
    'postgresql-pgbackrest-repository/cipher-pass': randomBytes(24).toString('base64'),
    'postgresql-secret/username': credentials.user,
    'postgresql-secret/password': credentials.password,
  };
  return {
    ca,
    s3,
    dir,
    bucket,
    secrets,
    s3Dir: s3dir,
    podConfig: (name, server, tlsPort = 0) =>
      write(
        name,
        overridden(
          files['pgbackrest.conf'],
          {
            ...repositoryOverrides(),
            ...local(server),
            'tls-server-address': '127.0.0.1',
            'tls-server-port': String(tlsPort),
            'tls-server-cert-file': ca.server.cert,
            'tls-server-key-file': ca.server.key,
            'tls-server-ca-file': ca.caFile,
          },
          repositoryExtra(),
        ),
      ),
    jobConfig: (name, server, tlsPort, client) =>
      write(
        name,
        overridden(
          files['backup.conf'],
          {
            ...repositoryOverrides(),
            ...local(server),
            'pg1-host': 'localhost',
            'pg1-host-port': String(tlsPort),
            'pg1-host-cert-file': client.cert,
            'pg1-host-key-file': client.key,
            'pg1-host-ca-file': ca.caFile,
          },
          repositoryExtra(),
          /^pg[2-9]-/,
        ),
      ),
    env: (container, configFile) => ({ ...containerEnv(container, secrets), PGBACKREST_CONFIG: configFile }),
    stop: () => s3.stop(),
  };
}

/** The rendered containers the lab plays: the database, the sidecar, the backup job. */
export function renderedContainers(environment: string) {
  const objects = rendered(environment);
  const pod = find(objects, 'StatefulSet', 'postgresql').spec.template.spec;
  const job = find(objects, 'CronJob', 'postgresql-pgbackrest-full').spec.jobTemplate.spec.template.spec.containers[0];
  const differential = find(objects, 'CronJob', 'postgresql-pgbackrest-diff').spec.jobTemplate.spec.template.spec
    .containers[0];
  const archiving = find(objects, 'ConfigMap', 'postgresql-config').data['archiving.conf'] as string;
  return {
    database: pod.containers.find((c: any) => c.name === 'postgresql'),
    sidecar: pod.containers.find((c: any) => c.name === 'pgbackrest'),
    job,
    differential,
    /** archiving.conf's parameters as `-c` arguments. */
    archivingArgs: archiving
      .split('\n')
      .filter((line) => /^\w+ = /.test(line))
      .map((line) => line.replace(/^(\w+) = '(.*)'$/, '$1=$2')),
  };
}
