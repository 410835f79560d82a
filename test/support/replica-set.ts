import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {
  asServerAccount, connect, freePort, initDataDirectory, makeServerDirectory, removeServerDirectory, startServer,
  type ServerBinaries, type ServerHandle,
} from '../../scripts/postgres/server.ts';
import { find, rendered } from './rendered.ts';
import { randomBytes } from 'node:crypto';
import { PLACEHOLDER_CREDENTIALS } from '../../scripts/kustomize/generators.ts';
import { renderedCredentials } from './credentials.ts';

/**
 * The rendered objects, plus the credentials Secret when the bundle does not render it: in a cluster
 * an ExternalSecret or SealedSecret fills it; here the test does, key for key, with values made here.
 */
function withCredentials(objects: Record<string, any>[]): Record<string, any>[] {
  const credentials = renderedCredentials(objects);
  if (credentials.renderedBy === 'Secret') return objects;
  if (!credentials.keys) throw new Error('the environment renders no credentials (source "existing"): nothing says which keys its Secret has');
  const value = (key: string) => (key === 'database' ? credentials.database : key === 'username' ? PLACEHOLDER_CREDENTIALS.username : undefined) ?? randomBytes(12).toString('base64url');
  const data = Object.fromEntries(credentials.keys.map((key) => [key, Buffer.from(value(key)).toString('base64')]));
  // The pgBackRest repository's Secret, when the environment archives: values made here (no repository
  // is reached: archiving is off on this machine, test/pitr-*.test.ts test it).
  const repository = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'postgresql-pgbackrest-repository');
  const repositorySecret = repository
    ? [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: repository.metadata.name }, data: Object.fromEntries(repository.spec.data.map((entry: any) => [entry.secretKey, Buffer.from(randomBytes(12).toString('base64url')).toString('base64')])) }]
    : [];
  return [...objects, { apiVersion: 'v1', kind: 'Secret', metadata: { name: credentials.secretName }, data }, ...repositorySecret];
}

/**
 * A rendered environment's StatefulSet on the test machine: one data directory per pod, every
 * instance on 127.0.0.1 with its own port, and the rendered ConfigMaps' files, scripts included,
 * run as the pod runs them: `busybox sh` (the alpine image's shell) as the server account, with the
 * pod's environment resolved from the rendered Secret and the downward API. What the test machine
 * changes: the paths of the mounts, PEER_ADDRESSES (instead of the per-pod DNS names), PATH (the
 * server's client tools), WAIT_SECONDS, and a socket directory for the promotion's server.
 */
export interface ReplicaSet {
  readonly replicas: number;
  /** The superuser, as the Secret gives it to a pod starting now. */
  readonly credentials: { readonly user: string; readonly password: string; readonly database: string };
  /** The image entrypoint's part for an empty data directory: initdb, the role script, then the server. */
  initialise(ordinal: number): Promise<void>;
  /** The init container: prepare-data.sh with `primaryOrdinal` declared. */
  prepareData(ordinal: number, primaryOrdinal: number): Promise<ScriptRun>;
  /** The database container on a prepared data directory. */
  start(ordinal: number): Promise<void>;
  stop(ordinal: number): Promise<void>;
  /** A connection to the instance, as the superuser unless `as` says otherwise (the caller ends it). */
  connect(ordinal: number, as?: { readonly user: string; readonly password: string; readonly database?: string }): Promise<pg.Client>;
  /**
   * The credentials Secret changes (as a rotation changes it in the cluster): containers started from
   * now on resolve their environment from `values`; running ones keep the environment they started with.
   */
  updateSecret(values: Readonly<Record<string, string>>): void;
  /** The Secret's data, one "<key> <base64 value>" line per key in key order: what the runbooks' `kubectl get secret -o go-template` prints. */
  secretLines(): string;
  /**
   * `kubectl exec -i` into a running database container: `sh -c script name args` with busybox sh,
   * as the server account, in the environment the container started with, `stdin` on standard input.
   */
  exec(ordinal: number, script: string, args: readonly string[], stdin: string): Promise<ScriptRun>;
  /** The instance's server log since its last start. */
  log(ordinal: number): string;
  dataDir(ordinal: number): string;
  /** The TCP port the instance listens on, at 127.0.0.1. */
  port(ordinal: number): number;
  /** Stops every instance and deletes every directory. */
  remove(): Promise<void>;
}

export interface ScriptRun {
  readonly code: number;
  readonly output: string;
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** A rendered container's environment for pod `podName`, resolved as the kubelet resolves it. */
export function resolvedEnv(container: Record<string, any>, objects: Record<string, any>[], podName: string): Record<string, string> {
  const named = (kind: string, name: string) => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) throw new Error(`${container.name}: no ${kind} ${name} in the rendered output`);
    return object;
  };
  return Object.fromEntries((container.env ?? []).map((entry: Record<string, any>) => {
    const from = entry.valueFrom;
    let value: string | undefined;
    if (!from) value = entry.value;
    else if (from.secretKeyRef) value = decode(named('Secret', from.secretKeyRef.name).data[from.secretKeyRef.key] ?? '');
    else if (from.configMapKeyRef) value = named('ConfigMap', from.configMapKeyRef.name).data[from.configMapKeyRef.key];
    else if (from.fieldRef?.fieldPath === 'metadata.name') value = podName;
    if (value === undefined) throw new Error(`${container.name}: cannot resolve env ${entry.name}`);
    return [entry.name, value];
  }));
}

/** Runs a shell script with busybox sh as the server account; never throws, the caller asserts. */
export function runScript(script: string, args: readonly string[], env: Record<string, string>): Promise<ScriptRun> {
  const [command, argv] = asServerAccount('busybox', ['sh', script, ...args]);
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** Runs `busybox sh -c script name args` as the server account with `stdin`, in a session of its own: no terminal for psql to prompt on. */
function execScript(script: string, name: string, args: readonly string[], env: Record<string, string>, stdin: string): Promise<ScriptRun> {
  const [command, argv] = asServerAccount('busybox', ['sh', '-c', script, name, ...args]);
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(stdin);
  });
}

export async function replicaSet(environment: string, binaries: ServerBinaries, overrides: Record<string, string> = {}): Promise<ReplicaSet> {
  const objects = withCredentials(rendered(environment));
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const podSpec = sts.spec.template.spec;
  const init = podSpec.initContainers.find((c: any) => c.name === 'prepare-data');
  const postgres = podSpec.containers.find((c: any) => c.name === 'postgresql');
  const replicas: number = sts.spec.replicas;

  const root = makeServerDirectory(`pg-${environment}-set-`);
  const { uid, gid } = statSync(root);
  const mkdir = (dir: string) => {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, uid, gid);
    return dir;
  };
  // Each volume the containers mount, by volume name: a directory holding its files.
  const volumeDirs = new Map<string, string>();
  for (const volume of podSpec.volumes) {
    if (!volume.configMap) continue;
    const dir = mkdir(path.join(root, volume.name));
    for (const [file, content] of Object.entries(find(objects, 'ConfigMap', volume.configMap.name).data as Record<string, string>)) {
      writeFileSync(path.join(dir, file), content, { mode: 0o600 });
      chownSync(path.join(dir, file), uid, gid);
    }
    volumeDirs.set(volume.name, dir);
  }
  /** A path inside a container → the same file on the test machine. */
  const local = (container: Record<string, any>, containerPath: string) => {
    const mount = container.volumeMounts.find((m: any) => volumeDirs.has(m.name) && (containerPath === m.mountPath || containerPath.startsWith(`${m.mountPath}/`)));
    if (!mount) throw new Error(`${container.name}: ${containerPath} is on no ConfigMap volume`);
    const relative = mount.subPath ?? containerPath.slice(mount.mountPath.length + 1);
    return path.join(volumeDirs.get(mount.name)!, relative);
  };
  const serverOptions = (container: Record<string, any>, args: string[]) =>
    args.map((arg) => arg.replace(/^(config_file|hba_file)=(.*)$/, (_, name, file) => `${name}=${local(container, file)}`));

  /** The database container's server options, as startServer takes them ("name=value"). */
  const archiving = objects.some((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'postgresql-pgbackrest-repository');
  const serverArgs = () => [...serverOptions(postgres, postgres.args.slice(1)).filter((arg) => arg !== '-c'), ...(archiving ? ['archive_mode=off'] : [])];

  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const pods = ports.map((port, ordinal) => ({ port, name: `postgresql-${ordinal}`, dataDir: path.join(mkdir(path.join(root, `pod-${ordinal}`)), 'pgdata') }));
  const servers = new Map<number, ServerHandle>();
  /** Each running database container's environment, resolved when it started. */
  const started = new Map<number, Record<string, string>>();
  const secretRef = postgres.env.find((entry: any) => entry.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef.name;
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === secretRef)!;
  const socketDir = mkdir(path.join(root, 'promotion-socket'));
  const superuser = () => resolvedEnv(postgres, objects, pods[0].name);
  const testMachine = {
    PATH: `${binaries.toolsDir}:${process.env.PATH}`,
    PEER_ADDRESSES: ports.map((port) => `127.0.0.1:${port}`).join(' '),
    WAIT_SECONDS: '20',
  };

  const set: ReplicaSet = {
    replicas,
    get credentials() {
      const env = superuser();
      return { user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: env.POSTGRES_DB };
    },
    dataDir: (ordinal) => pods[ordinal].dataDir,
    port: (ordinal) => pods[ordinal].port,

    async initialise(ordinal) {
      const pod = pods[ordinal];
      const env = { ...resolvedEnv(postgres, objects, pod.name), ...overrides };
      await initDataDirectory({ dataDir: pod.dataDir, superuser: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: env.POSTGRES_DB, binaries });
      // As the entrypoint does: init scripts run against a socket-only server, so no peer connects
      // before they are done; they reach it through libpq's defaults, with PGPASSWORD exported.
      const temporary = await startServer({ dataDir: pod.dataDir, port: pod.port, args: serverArgs(), binaries, socketOnly: true });
      // Every init file, in the order of their paths, as docker-entrypoint.sh runs /docker-entrypoint-initdb.d/*.
      const initFiles = postgres.volumeMounts.map((m: any) => m.mountPath as string).filter((p: string) => p.startsWith('/docker-entrypoint-initdb.d/')).sort();
      try {
        for (const file of initFiles) {
          const run = await runScript(local(postgres, file), [], {
            ...env, ...testMachine, PGHOST: temporary.socketDir, PGPORT: String(pod.port), PGPASSWORD: env.POSTGRES_PASSWORD,
          });
          if (run.code !== 0) throw new Error(`${file} failed:\n${run.output}`);
        }
      } finally {
        await temporary.stop();
      }
      await set.start(ordinal);
    },

    prepareData(ordinal, primaryOrdinal) {
      const pod = pods[ordinal];
      const env = { ...resolvedEnv(init, objects, pod.name), ...overrides, ...testMachine, PGDATA: pod.dataDir, PRIMARY_ORDINAL: String(primaryOrdinal) };
      const [shell, script] = init.command;
      if (shell !== 'sh') throw new Error(`prepare-data runs with ${shell}, not sh`);
      return runScript(local(init, script), [...serverOptions(init, init.args), '-c', `unix_socket_directories=${socketDir}`], env);
    },

    async start(ordinal) {
      servers.set(ordinal, await startServer({ dataDir: pods[ordinal].dataDir, port: pods[ordinal].port, args: serverArgs(), binaries }));
      started.set(ordinal, { ...resolvedEnv(postgres, objects, pods[ordinal].name), ...overrides });
    },

    async stop(ordinal) {
      await servers.get(ordinal)?.stop();
      servers.delete(ordinal);
      started.delete(ordinal);
    },

    connect(ordinal, as) {
      const { user, password, database } = { ...set.credentials, ...as };
      return connect({ port: pods[ordinal].port, user, password, database });
    },

    updateSecret(values) {
      secret.data = { ...secret.data, ...Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) };
    },

    secretLines() {
      return Object.keys(secret.data).sort().map((key) => `${key} ${secret.data[key]}\n`).join('');
    },

    exec(ordinal, script, args, stdin) {
      const server = servers.get(ordinal);
      if (!server) throw new Error(`postgresql-${ordinal} is not running`);
      const env = { ...started.get(ordinal)!, ...testMachine, PGDATA: pods[ordinal].dataDir, PGHOST: server.socketDir, PGPORT: String(server.port) };
      return execScript(script, 'sh', args, env, stdin);
    },

    log(ordinal) {
      const server = servers.get(ordinal);
      if (!server) throw new Error(`postgresql-${ordinal} is not running`);
      return server.log();
    },

    async remove() {
      await Promise.all([...servers.keys()].map((ordinal) => set.stop(ordinal)));
      removeServerDirectory(root);
    },
  };
  return set;
}
