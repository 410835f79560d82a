/**
 * A rendered environment's Patroni cluster on the test machine: etcd in place of the Kubernetes API,
 * then one Patroni per replica of the StatefulSet, each as the server account on 127.0.0.1, from the
 * rendered patroni.yml and container environment (patroni-config.ts says what the test changes).
 * Debian's Patroni 3.0.2 runs PostgreSQL 15: it predates PostgreSQL 16 support.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  asServerAccount,
  debianBinaries,
  freePort,
  makeServerDirectory,
  removeServerDirectory,
} from '../../tools/postgres/server.ts';
import { startEtcd, type Etcd } from './etcd.ts';
import { makeTestCa } from './tls.ts';
import { memberConfig, readPatroniRender, type MemberConfig, type MemberPorts } from './patroni-config.ts';
import { withCredentials } from './pod-env.ts';
import { rendered } from './rendered.ts';
import {
  awaitExit,
  isAlive,
  killGroup,
  killTrees,
  postmasterPid,
  trackPostmaster,
  trackProcess,
  untrackPostmaster,
  untrackProcess,
  waitFor,
} from './processes.ts';

export const PATRONI_BINARY = '/usr/bin/patroni';

export interface Member extends MemberConfig {
  readonly ordinal: number;
  readonly ports: MemberPorts;
  readonly logFile: string;
}

/** One member as GET /cluster reports it. */
export interface ClusterMember {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly timeline?: number;
  readonly lag?: number | string;
}

export interface PatroniCluster {
  readonly environment: string;
  readonly replicas: number;
  readonly members: readonly Member[];
  readonly etcd: Etcd;
  /** The superuser and the application database, from the Secret as the pods read it. */
  readonly credentials: { readonly user: string; readonly password: string; readonly database: string };
  /** The rendered patroni.yml (the `bootstrap.dcs` part is what the cluster was initialised with). */
  readonly rendered: Record<string, any>;
  /** Starts member `ordinal`'s Patroni (the container starting); its data directory is kept across starts. */
  start(ordinal: number): Promise<void>;
  /** kill -9 of the member's Patroni and postmaster together (the node or the container dies). */
  kill(ordinal: number): Promise<void>;
  /** SIGTERM to Patroni, what the kubelet sends on a drain; SIGKILL after `graceMs` (terminationGracePeriodSeconds). */
  stop(ordinal: number, graceMs?: number): Promise<void>;
  isRunning(ordinal: number): boolean;
  /** GET /cluster from the first running member that answers. */
  cluster(): Promise<ClusterMember[]>;
  /** The member whose REST API answers 200 on /primary (it holds the leader lock and runs as primary). */
  waitForLeader(timeoutMs: number, except?: number): Promise<number>;
  /** Waits until every running member but the leader streams from it; in sync mode one of them is synchronous. */
  waitForStreaming(leader: number, timeoutMs: number): Promise<Record<string, { state: string; sync_state: string }>>;
  /** TLS options for a client of its own (hostssl pg_hba.conf): the test CA, the server's name not checked, as verify-ca. */
  readonly clientSsl: { ca: string; checkServerIdentity: () => undefined };
  /** A client on the member's PostgreSQL over TCP, as the superuser (the caller ends it). */
  connect(ordinal: number, database?: string): Promise<pg.Client>;
  query<T = Record<string, any>>(ordinal: number, sql: string, values?: unknown[], database?: string): Promise<T[]>;
  /** Patroni's output (its own log and PostgreSQL's, which goes to stderr) across every start. */
  log(ordinal: number): string;
  /** Stops every member and etcd, deletes every directory. */
  remove(): Promise<void>;
}

export interface PatroniClusterOptions {
  readonly startTimeoutMs?: number;
  /** The members started at first (the others with start()): @default every one. */
  readonly start?: readonly number[];
  /** Runs once the members' directories exist, before any starts: e.g. a data directory made without Patroni. */
  readonly prepare?: (members: readonly Member[]) => Promise<void>;
}

export async function patroniCluster(
  environment: string,
  options: PatroniClusterOptions = {},
): Promise<PatroniCluster> {
  if (!existsSync(PATRONI_BINARY))
    throw new Error(`${PATRONI_BINARY} is missing: test/setup/prerequisites.sh installs it`);
  const binaries = debianBinaries(15);
  const render = readPatroniRender(withCredentials(rendered(environment)));
  const root = makeServerDirectory(`patroni-${environment}-`);
  const processes = new Map<number, { child: ChildProcess; exited: Promise<void> }>();
  let etcd: Etcd | undefined;
  const members: Member[] = [];
  let caPem = '';

  const cluster: PatroniCluster = {
    environment,
    replicas: render.replicas,
    members,
    get etcd() {
      return etcd!;
    },
    get clientSsl() {
      return { ca: caPem, checkServerIdentity: () => undefined };
    },
    get credentials() {
      // As the pods get them: the Patroni variables (from the Secret) or else patroni.yml.
      const { env, config } = members[0];
      const auth = (key: 'username' | 'password') =>
        env[`PATRONI_SUPERUSER_${key.toUpperCase()}`] ?? config.postgresql?.authentication?.superuser?.[key];
      return {
        user: auth('username') ?? 'postgres',
        password: auth('password'),
        database: decodeSecretKey(render.objects, 'database'),
      };
    },
    get rendered() {
      return members[0].config;
    },

    async start(ordinal) {
      if (processes.has(ordinal)) throw new Error(`postgresql-${ordinal} is already running`);
      const member = members[ordinal];
      const fd = openSync(member.logFile, 'a');
      const [command, argv] = asServerAccount(PATRONI_BINARY, [member.configFile]);
      // Its own process group, as a container's processes are; only the given environment, as in the pod.
      const child = spawn(command, argv, { stdio: ['ignore', fd, fd], env: member.env, detached: true, cwd: root });
      closeSync(fd);
      child.unref();
      trackProcess(child.pid!);
      trackPostmaster(path.join(member.dataDir, 'postmaster.pid'));
      processes.set(ordinal, { child, exited: new Promise((resolve) => child.once('exit', () => resolve())) });
    },

    async kill(ordinal) {
      const running = processes.get(ordinal);
      if (!running) throw new Error(`postgresql-${ordinal} is not running`);
      const postmaster = postmasterPid(path.join(members[ordinal].dataDir, 'postmaster.pid'));
      killTrees([running.child.pid!, ...(postmaster ? [postmaster] : [])]);
      await awaitExit(running.exited, 10_000, `Patroni of postgresql-${ordinal}`);
      if (postmaster)
        await waitFor(`postmaster ${postmaster} to die`, 10_000, () => !isAlive(postmaster) || isZombie(postmaster));
      forget(ordinal);
    },

    async stop(ordinal, graceMs = 60_000) {
      const running = processes.get(ordinal);
      if (!running) return;
      try {
        process.kill(running.child.pid!, 'SIGTERM');
      } catch {
        /* gone already */
      }
      try {
        await awaitExit(running.exited, graceMs, `Patroni of postgresql-${ordinal}`);
      } catch {
        killGroup(running.child.pid!, 'SIGKILL');
        await awaitExit(running.exited, 10_000, `Patroni of postgresql-${ordinal}`);
      }
      // Patroni stops PostgreSQL before it exits; anything left is killed, as the container's end would.
      const postmaster = postmasterPid(path.join(members[ordinal].dataDir, 'postmaster.pid'));
      if (postmaster && isAlive(postmaster) && !isZombie(postmaster)) killGroup(postmaster, 'SIGKILL');
      forget(ordinal);
    },

    isRunning: (ordinal) => processes.has(ordinal),

    async cluster() {
      for (const ordinal of processes.keys()) {
        const response = await rest(members[ordinal], '/cluster').catch(() => undefined);
        if (response?.ok) return ((await response.json()) as { members: ClusterMember[] }).members;
      }
      throw new Error('no running member answers GET /cluster');
    },

    async waitForLeader(timeoutMs, except) {
      let leader = -1;
      await waitFor(
        `a leader of ${environment}${except === undefined ? '' : ` other than postgresql-${except}`}`,
        timeoutMs,
        async () => {
          for (const ordinal of processes.keys()) {
            if (ordinal === except) continue;
            const response = await rest(members[ordinal], '/primary').catch(() => undefined);
            if (response?.status === 200) {
              leader = ordinal;
              return true;
            }
          }
          return false;
        },
      );
      return leader;
    },

    async waitForStreaming(leader, timeoutMs) {
      const standbys = [...processes.keys()]
        .filter((o) => o !== leader)
        .map((o) => members[o].name)
        .sort();
      let seen: Record<string, { state: string; sync_state: string }> = {};
      await waitFor(`${standbys.join(', ')} streaming from postgresql-${leader}`, timeoutMs, async () => {
        const rows = await cluster.query(
          leader,
          'SELECT application_name, state, sync_state FROM pg_stat_replication ORDER BY application_name',
        );
        seen = Object.fromEntries(
          rows.map((row) => [row.application_name, { state: row.state, sync_state: row.sync_state }]),
        );
        const synchronous = rows.filter((row) => row.sync_state === 'sync').length;
        const wantsSync = cluster.rendered.bootstrap?.dcs?.synchronous_mode === true;
        return (
          JSON.stringify(Object.keys(seen)) === JSON.stringify(standbys) &&
          rows.every((row) => row.state === 'streaming') &&
          (!wantsSync || standbys.length === 0 || synchronous === 1)
        );
      }).catch((error) => {
        throw new Error(`${error.message}\npg_stat_replication: ${JSON.stringify(seen)}`);
      });
      return seen;
    },

    async connect(ordinal, database = cluster.credentials.database) {
      const { user, password } = cluster.credentials;
      const client = new pg.Client({
        host: '127.0.0.1',
        port: members[ordinal].ports.postgresql,
        user,
        password,
        database,
        // pg_hba.conf may refuse connections without TLS (hostnossl ... reject): verify-ca, as the pods' clients do.
        ssl: cluster.clientSsl,
        // Bounded: a commit waiting for a synchronous standby that died must not hang a test.
        connectionTimeoutMillis: 2_000,
        query_timeout: 10_000,
      });
      client.on('error', () => {
        /* a killed server: the caller sees the failed query */
      });
      await client.connect();
      return client;
    },

    async query(ordinal, sql, values = [], database) {
      const client = await cluster.connect(ordinal, database);
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    log: (ordinal) => (existsSync(members[ordinal].logFile) ? readFileSync(members[ordinal].logFile, 'utf8') : ''),

    async remove() {
      await Promise.all([...processes.keys()].map((ordinal) => cluster.stop(ordinal, 20_000)));
      await etcd?.remove();
      removeServerDirectory(root);
    },
  };

  function forget(ordinal: number): void {
    const running = processes.get(ordinal)!;
    untrackProcess(running.child.pid!);
    untrackPostmaster(path.join(members[ordinal].dataDir, 'postmaster.pid'));
    processes.delete(ordinal);
  }

  // cert-manager's TLS Secret, which the bundle requests but does not render: a test CA's certificate for 127.0.0.1.
  const ca = makeTestCa(makeMemberDirectory(root, 'ca'));
  const server = ca.issue('server', ['127.0.0.1', 'localhost']);
  const tlsFiles = new Map([
    ['tls.crt', { content: readFileSync(server.cert, 'utf8'), mode: 0o644 }],
    ['tls.key', { content: readFileSync(server.key, 'utf8'), mode: 0o600 }],
    ['ca.crt', { content: readFileSync(ca.caFile, 'utf8'), mode: 0o644 }],
  ]);
  caPem = readFileSync(ca.caFile, 'utf8');
  try {
    etcd = await startEtcd();
    for (let ordinal = 0; ordinal < render.replicas; ordinal++) {
      const ports = { postgresql: await freePort(), restapi: await freePort() };
      const memberRoot = makeMemberDirectory(root, `postgresql-${ordinal}`);
      const config = memberConfig(render, ordinal, memberRoot, ports, etcd.host, binaries.toolsDir!, () => tlsFiles);
      members.push({ ...config, ordinal, ports, logFile: path.join(root, `postgresql-${ordinal}.log`) });
    }
    await options.prepare?.(members);
    // Parallel pod management: every member starts at once; one wins the race to initialise.
    for (const ordinal of options.start ?? members.map((m) => m.ordinal)) await cluster.start(ordinal);
    const leader = await cluster.waitForLeader(options.startTimeoutMs ?? 90_000);
    await cluster.waitForStreaming(leader, options.startTimeoutMs ?? 90_000);
  } catch (error) {
    const logs = members.map((m) => `--- ${m.name} ---\n${cluster.log(m.ordinal).slice(-4000)}`).join('\n');
    await cluster.remove();
    throw new Error(`${environment}: the Patroni cluster did not come up: ${(error as Error).message}\n${logs}`);
  }
  return cluster;
}

function makeMemberDirectory(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  const { uid, gid } = statSync(root);
  chownSync(dir, uid, gid);
  return dir;
}

async function rest(member: Member, route: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${member.ports.restapi}${route}`, { signal: AbortSignal.timeout(2_000) });
}

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

function decodeSecretKey(objects: Record<string, any>[], key: string): string {
  const secret = objects.find(
    (o) => o.kind === 'Secret' && /^postgresql-secret(-[a-z0-9]{10})?$/.test(o.metadata.name),
  );
  const value = secret?.data?.[key];
  if (value === undefined) throw new Error(`the Secret postgresql-secret has no key ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}
