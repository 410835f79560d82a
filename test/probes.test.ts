import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  debianBinaries,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
  type ServerHandle,
} from '../tools/postgres/server.ts';
import { find, rendered } from './support/rendered.ts';
import { runAsServerAccount } from './support/shell.ts';

/**
 * dev's rendered probes (the official image's entrypoint, no Patroni), run as the pod runs them:
 * `sh -c` with busybox as the server account, with PGDATA, against real PostgreSQL 16 servers in
 * each state a pod goes through.
 */
const tools = debianBinaries(15).toolsDir!;
const container = find(rendered('dev'), 'StatefulSet', 'postgresql').spec.template.spec.containers[0];
const probes = {
  startup: container.startupProbe.exec.command,
  liveness: container.livenessProbe.exec.command,
  readiness: container.readinessProbe.exec.command,
} as Record<string, string[]>;
const PASSWORD = 'probe-test-password';

async function results(dataDir: string): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, command]) => {
      const [shell, ...args] = command;
      assert.is(shell, 'sh');
      const run = await runAsServerAccount(['/bin/busybox', 'sh', ...args], { PGDATA: dataDir }, tools);
      return [name, run.code] as const;
    }),
  );
  return Object.fromEntries(entries);
}

function pgIsReady(server: ServerHandle): Promise<number> {
  return new Promise((resolve) =>
    execFile(path.join(tools, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(server.port)], (error) =>
      resolve(error ? Number((error as { code?: number }).code) : 0),
    ),
  );
}

/** A data directory, initialised; removed by the caller. */
async function cluster(): Promise<{ root: string; dataDir: string }> {
  const root = makeServerDirectory('probes-');
  const dataDir = path.join(root, 'data');
  await initDataDirectory({ dataDir, password: PASSWORD });
  return { root, dataDir };
}

test('a running primary: started, alive and ready; the probes leave no "connection received" line, pg_isready did', async () => {
  const { root, dataDir } = await cluster();
  const server = await startServer({ dataDir, args: ['log_connections=on'] });
  try {
    for (let i = 0; i < 3; i++) assert.equal(await results(dataDir), { startup: 0, liveness: 0, readiness: 0 });
    assert.not.match(server.log(), 'connection received', 'the probes open no connection');
    await pgIsReady(server);
    await new Promise((wake) => setTimeout(wake, 300));
    assert.match(server.log(), 'connection received', 'pg_isready, the old probe, logged one per call');
  } finally {
    await server.stop();
    removeServerDirectory(root);
  }
});

test('a server in recovery that rejects connections (pg_isready exit 1) is alive and started, not ready', async () => {
  // A clone whose recovery cannot reach a consistent state (a base backup without its WAL): it stays
  // in recovery, rejecting connections, as a large crash recovery or a standby catching up does.
  // Debian's PostgreSQL 15 here: its pg_basebackup; the probes read the same postmaster.pid.
  const binaries = debianBinaries(15);
  const root = makeServerDirectory('probes-');
  const primaryDir = path.join(root, 'primary');
  const cloneDir = path.join(root, 'clone');
  await initDataDirectory({ dataDir: primaryDir, password: PASSWORD, binaries });
  const primary = await startServer({ dataDir: primaryDir, binaries });
  let clone: ServerHandle | undefined;
  try {
    const backup = await runAsServerAccount(
      [
        path.join(tools, 'pg_basebackup'),
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        'postgres',
        '-X',
        'none',
        '-D',
        cloneDir,
        '--no-sync',
      ],
      { PGPASSWORD: PASSWORD },
      tools,
    );
    assert.is(backup.code, 0, backup.stderr);
    writeFileSync(path.join(cloneDir, 'standby.signal'), '');
    appendFileSync(path.join(cloneDir, 'postgresql.conf'), '\nhot_standby = on\n');
    clone = await startServer({ dataDir: cloneDir, binaries, startedStates: ['starting'] });
    await new Promise((wake) => setTimeout(wake, 1000));
    assert.is(await pgIsReady(clone), 1, 'pg_isready: rejecting connections');
    assert.equal(await results(cloneDir), { startup: 0, liveness: 0, readiness: 1 });
  } finally {
    await clone?.stop();
    await primary.stop();
    removeServerDirectory(root);
  }
});

test("the entrypoint's socket-only server for the init scripts does not end the startup probe; a stopped server is dead", async () => {
  const { root, dataDir } = await cluster();
  const server = await startServer({ dataDir, socketOnly: true });
  try {
    const during = await results(dataDir);
    assert.is(during.startup, 1, 'still initialising: the startup probe waits');
    assert.is(during.liveness, 0);
  } finally {
    await server.stop();
  }
  try {
    assert.equal(await results(dataDir), { startup: 1, liveness: 1, readiness: 1 });
  } finally {
    removeServerDirectory(root);
  }
});

test.run();
