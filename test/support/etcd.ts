/**
 * etcd 3.4 (Debian's etcd-server) as the stand-in for Kubernetes' API server: the one thing the
 * Patroni tests change in the rendered store settings. One member on 127.0.0.1, free ports, data in
 * a directory of the server account; stop() and start() keep the data, as an API-server outage would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { asServerAccount, freePort, makeServerDirectory, removeServerDirectory } from '../../tools/postgres/server.ts';
import { serverEnvironment, signal } from '../../tools/postgres/server-account.ts';
import { awaitExit, trackProcess, untrackProcess, waitFor } from './processes.ts';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface Etcd {
  /** host:port of the client URL, as Patroni's etcd3.hosts takes it. */
  readonly host: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGKILL: the store is gone at once, as when the API server becomes unreachable. */
  stop(): Promise<void>;
  log(): string;
  /** Stops it and deletes its directory. */
  remove(): Promise<void>;
}

export async function startEtcd(): Promise<Etcd> {
  if (!existsSync(ETCD_BINARY))
    throw new Error(`${ETCD_BINARY} is missing: test/setup/prerequisites.sh installs etcd-server`);
  const root = makeServerDirectory('etcd-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const logFile = path.join(root, 'etcd.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const etcd: Etcd = {
    host: `127.0.0.1:${clientPort}`,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child) return;
      const fd = openSync(logFile, 'a');
      const [command, argv] = asServerAccount(ETCD_BINARY, [
        '--name',
        'test',
        '--data-dir',
        path.join(root, 'data'),
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `test=${peerUrl}`,
        '--initial-cluster-state',
        'new',
      ]);
      child = spawn(command, argv, { stdio: ['ignore', fd, fd], env: serverEnvironment(), detached: true });
      closeSync(fd);
      child.unref();
      const started = child;
      trackProcess(started.pid!);
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      await waitFor('etcd to answer', 20_000, async () => {
        if (started.exitCode !== null) throw new Error(`etcd exited:\n${etcd.log()}`);
        const response = await fetch(`${clientUrl}/health`).catch(() => undefined);
        return response?.ok === true;
      });
    },
    async stop() {
      if (!child) return;
      signal(child.pid!, 'SIGKILL');
      await awaitExit(exited, 10_000, 'etcd');
      untrackProcess(child.pid!);
      child = undefined;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async remove() {
      await etcd.stop();
      removeServerDirectory(root);
    },
  };
  try {
    await etcd.start();
  } catch (error) {
    await etcd.remove();
    throw error;
  }
  return etcd;
}
