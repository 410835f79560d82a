import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { renameSync } from 'node:fs';
import path from 'node:path';
import {
  asServerAccount,
  debianBinaries,
  makeServerDirectory,
  startTestServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { signal } from '../tools/postgres/server-account.ts';
import { find, rendered } from './support/rendered.ts';
import { busyboxApplets, installScript, onPath } from './support/shell.ts';
import { localTlsConf, makeTestCa, type TestCa } from './support/tls.ts';

/**
 * prod's rendered TLS on a real PostgreSQL 16 server: its tls.conf and pg_hba.conf, a certificate
 * for the names its Certificate asks for, signed by a CA made here with openssl, and Debian's psql
 * (libpq) as the client, the exporter's connection string included.
 */
const tools = debianBinaries(15).toolsDir!;
const objects = rendered('prod');
const config = find(objects, 'ConfigMap', 'postgresql-config').data as Record<string, string>;
const certificate = find(objects, 'Certificate', 'postgresql-tls');
const sts = find(objects, 'StatefulSet', 'postgresql');
const tlsMount = sts.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'tls')
  .mountPath as string;
const exporterUri: string = sts.spec.template.spec.containers
  .find((c: any) => c.name === 'exporter')
  .env.find((e: any) => e.name === 'DATA_SOURCE_URI').value;
const SUPERUSER = { superuser: 'postgres', password: 'tls-test-password', database: 'project_template' } as const;
let ca: TestCa;
let server: TestServer;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function psql(conninfo: string, sql: string): Promise<Run> {
  return new Promise((resolve) =>
    execFile(
      path.join(tools, 'psql'),
      ['-X', '-A', '-t', '-w', '-d', conninfo, '-c', sql],
      { env: { PGPASSWORD: SUPERUSER.password, PATH: process.env.PATH }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: stdout.trim(), stderr }),
    ),
  );
}
const conninfo = (sslmode: string, extra = '') =>
  `host=127.0.0.1 port=${server.port} user=${SUPERUSER.superuser} dbname=${SUPERUSER.database} sslmode=${sslmode} sslrootcert=${ca.caFile} ${extra}`;
const ok = async (sslmode: string, sql: string) => {
  const run = await psql(conninfo(sslmode), sql);
  assert.is(run.code, 0, run.stderr);
  return run.stdout;
};
/** The serial of the certificate the server presents now, read with openssl s_client's PostgreSQL STARTTLS. */
function servedSerial(protocol = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      'sh',
      [
        '-c',
        `openssl s_client -connect 127.0.0.1:${server.port} -starttls postgres ${protocol} </dev/null 2>/dev/null | openssl x509 -noout -serial`,
      ],
      { timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout: stdout.trim().replace(/^serial=/, ''), stderr }),
    );
    child.stdin?.end();
  });
}
/** Puts a certificate in place the way the kubelet updates a Secret volume: new files, then a rename. */
function install(files: { cert: string; key: string }) {
  renameSync(files.cert, path.join(dir, 'tls.crt'));
  renameSync(files.key, path.join(dir, 'tls.key'));
}

/** The rendered tls-reload sidecar's script, as the sidecar runs it: busybox sh, the server account, the shared socket. */
function startSidecar() {
  const script = installScript(
    dir,
    'tls-reload.sh',
    find(objects, 'ConfigMap', 'postgresql-tls-reload').data['tls-reload.sh'],
  );
  const sidecarEnv = Object.fromEntries(
    sts.spec.template.spec.containers.find((c: any) => c.name === 'tls-reload').env.map((e: any) => [e.name, e.value]),
  );
  assert.is(sidecarEnv.TLS_DIR, tlsMount, 'the sidecar watches the mounted Secret');
  const [command, argv] = asServerAccount(onPath('busybox'), ['sh', script]);
  // setpriv from the machine's PATH: the busybox applets on the script's PATH have a setpriv of their own.
  const child = spawn(path.isAbsolute(command) ? command : onPath(command), argv, {
    env: {
      PATH: `${tools}:${busyboxApplets()}`,
      TLS_DIR: dir,
      PGHOST: server.socketDir,
      PGPORT: String(server.port),
      POSTGRES_USER: SUPERUSER.superuser,
      POSTGRES_PASSWORD: SUPERUSER.password,
      TLS_RELOAD_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { output: () => output, stop: () => signal(child.pid ?? -1, 'SIGTERM') };
}

test.before(async () => {
  dir = makeServerDirectory('tls-');
  ca = makeTestCa(dir);
  install(ca.issue('server', [...certificate.spec.dnsNames, ...certificate.spec.ipAddresses]));
  const hba = installScript(dir, 'pg_hba.conf', config['pg_hba.conf']);
  server = await startTestServer({
    ...SUPERUSER,
    postgresqlConf: localTlsConf(config['tls.conf'], tlsMount, {
      cert: path.join(dir, 'tls.crt'),
      key: path.join(dir, 'tls.key'),
    }),
    args: [`hba_file=${hba}`],
  });
});
test.after(async () => {
  await server?.stop();
});

test("verify-full connects to 127.0.0.1 with the CA, over TLS 1.3; the exporter's own connection string does too", async () => {
  assert.is(await ok('verify-full', 'SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), 'TLSv1.3');
  const uri = exporterUri
    .replace('$(POSTGRES_DB)', SUPERUSER.database)
    .replace(`${tlsMount}/ca.crt`, ca.caFile)
    .replace(':5432/', `:${server.port}/`);
  const run = await psql(
    `postgresql://${SUPERUSER.superuser}@${uri}`,
    'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout, 't');
});

test('a plain TCP connection is refused, naming the missing encryption', async () => {
  const run = await psql(conninfo('disable'), 'SELECT 1');
  assert.is.not(run.code, 0);
  assert.match(
    run.stderr,
    /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "postgres", database "project_template", no encryption/,
  );
});

test('TLS 1.1 is refused: the minimum is the rendered ssl_min_protocol_version, TLS 1.2', async () => {
  assert.is(await ok('verify-full', 'SHOW ssl_min_protocol_version'), 'TLSv1.2');
  assert.is((await servedSerial('-tls1_2')).code, 0, 'TLS 1.2 is accepted');
  // The client allows TLS 1.1 (SECLEVEL=0): the refusal must be the server's, and its log says so.
  assert.is((await servedSerial("-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'")).code, 1, 'TLS 1.1 is refused');
  assert.match(
    server.log(),
    /could not accept SSL connection: (unsupported protocol|wrong version number|no protocols available)/,
  );
});

test('a certificate for another host is refused by verify-full; a renewed one is served once the tls-reload sidecar reloads, without a restart', async () => {
  const started = await ok('verify-full', 'SELECT pg_postmaster_start_time()');
  install(ca.issue('wrong-host', ['db.elsewhere.example']));
  await ok('verify-full', 'SELECT pg_reload_conf()');
  await new Promise((wake) => setTimeout(wake, 500));
  const wrong = await psql(conninfo('verify-full'), 'SELECT 1');
  assert.is.not(wrong.code, 0);
  assert.match(
    wrong.stderr,
    /server certificate for "db\.elsewhere\.example" .*does not match host name "127\.0\.0\.1"/,
  );

  // The renewal: same names, new key and serial, as cert-manager writes it; the rendered tls-reload
  // sidecar script notices and reloads the server.
  const sidecar = startSidecar();
  try {
    const renewed = ca.issue('renewed', [...certificate.spec.dnsNames, ...certificate.spec.ipAddresses]);
    const serial = ca.serial(renewed.cert);
    install(renewed);
    const deadline = Date.now() + 20_000;
    while ((await servedSerial()).stdout !== serial && Date.now() < deadline)
      await new Promise((wake) => setTimeout(wake, 250));
    assert.is(
      (await servedSerial()).stdout,
      serial,
      `the renewed certificate is served; sidecar said: ${sidecar.output()}`,
    );
    assert.match(sidecar.output(), 'tls-reload: the certificate changed; PostgreSQL reloaded');
  } finally {
    sidecar.stop();
  }
  assert.is(
    await ok('verify-full', 'SELECT pg_postmaster_start_time()'),
    started,
    'by the same postmaster: no restart',
  );
});

test.run();
