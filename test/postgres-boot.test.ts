import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { bundleParameters } from '../scripts/postgres/conf.ts';
import { tlsParameters } from '../scripts/k8s/tls.ts';
import { localTlsConf, makeTestCa } from './support/tls.ts';
import { normalizedSetting } from '../scripts/postgres/parameters.ts';
import {
  connect,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
  TEST_MACHINE_OVERRIDES,
} from '../tools/postgres/server.ts';
import { PLACEHOLDER_CREDENTIALS } from '../scripts/assembly/generators.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { renderedCredentials } from './support/credentials.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';
import { TLS_DIR } from '../scripts/vocabulary/paths.ts';

/**
 * Each environment's PostgreSQL configuration, taken from the rendered generated/<env>.yaml (not
 * from the TypeScript), boots a real PostgreSQL 16 server started the way the pod starts it:
 * `-c config_file=… -c hba_file=…`, with only TEST_MACHINE_OVERRIDES changed.
 */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
console.log(`  overridden on the test machine only: ${Object.keys(TEST_MACHINE_OVERRIDES).join(', ')}`);

for (const name of renderedEnvironments()) {
  test(`${name}: the rendered configuration boots PostgreSQL 16 with every parameter applied and password auth over TCP`, async () => {
    const environment = environments.find((e) => e.name === name)!;
    const objects = rendered(name);
    const configMap = find(objects, 'ConfigMap', 'postgresql-config');
    // The committed values where git has them (dev's placeholders); otherwise the keys the
    // ExternalSecret or SealedSecret provides, with the placeholder user and a password made here.
    const credentials = renderedCredentials(objects);
    for (const key of credentials.keys ? ['database', 'username', 'password'] : [])
      assert.ok(credentials.keys!.includes(key), `the credentials provide ${key}`);
    const database = credentials.database ?? environment.database;
    const user = credentials.values?.username ?? PLACEHOLDER_CREDENTIALS.username;
    const password = credentials.values?.password ?? randomBytes(18).toString('base64url');

    const root = makeServerDirectory(`pg-boot-${name}-`);
    const { uid, gid } = statSync(root);
    const configDir = path.join(root, 'config');
    makeDir(configDir, uid, gid);
    // Where the environment serves TLS, a certificate made here stands in for the mounted Secret's.
    const certificate = objects.find((o) => o.kind === 'Certificate' && o.spec?.secretName === 'postgresql-tls');
    const tlsFiles = certificate
      ? makeTestCa(root).issue('server', [...certificate.spec.dnsNames, ...certificate.spec.ipAddresses])
      : undefined;
    for (const [file, content] of Object.entries(configMap.data as Record<string, string>)) {
      writeFileSync(
        path.join(configDir, file),
        file === 'tls.conf' && tlsFiles ? localTlsConf(content, TLS_DIR, tlsFiles) : content,
      );
      chownSync(path.join(configDir, file), uid, gid);
    }
    const dataDir = path.join(root, 'pgdata');
    await initDataDirectory({ dataDir, superuser: user, password, database });
    const server = await startServer({
      dataDir,
      // No pgBackRest repository here: archiving is off on this machine (test/pitr-*.test.ts test it).
      args: [
        `config_file=${configDir}/postgresql.conf`,
        `hba_file=${configDir}/pg_hba.conf`,
        ...(environment.pitr.enabled ? ['archive_mode=off'] : []),
      ],
    });
    try {
      const client = await connect({
        port: server.port,
        user,
        password,
        database,
        ...(tlsFiles ? { ssl: { ca: readFileSync(path.join(root, 'ca.crt'), 'utf8') } } : {}),
      });
      try {
        assert.is((await client.query('SELECT current_user, current_database()')).rows[0].current_database, database);
        const version = (await client.query('SHOW server_version_num')).rows[0].server_version_num;
        assert.ok(Number(version) >= 160000 && Number(version) < 170000, `PostgreSQL 16, got ${version}`);

        const owned = Object.keys(TEST_MACHINE_OVERRIDES);
        // The certificate files are the test machine's (the pod's Secret mount does not exist here).
        const tls: Record<string, string | number | boolean> = environment.tls.enabled
          ? { ...tlsParameters(environment), ssl_cert_file: tlsFiles!.cert, ssl_key_file: tlsFiles!.key }
          : {};
        const expected = { ...bundleParameters, ...tls, ...environment.postgresql };
        const names = Object.keys(expected).filter((parameter) => !owned.includes(parameter));
        // pg_settings spells one of them "TimeZone"; postgresql.conf names are case-insensitive.
        const { rows } = await client.query(
          'SELECT lower(name) AS name, setting, source, sourcefile FROM pg_settings WHERE lower(name) = ANY($1)',
          [names],
        );
        const settings = new Map(rows.map((row) => [row.name, row]));
        for (const parameter of names) {
          const row = settings.get(parameter);
          assert.ok(row, `${parameter} is a parameter the server knows`);
          assert.is(row.setting, normalizedSetting(parameter, expected[parameter]), parameter);
          assert.is(row.source, 'configuration file', `${parameter} comes from the rendered files`);
        }
        const fromEnvironmentFile = rows
          .filter((row) => row.sourcefile?.endsWith('/environment.conf'))
          .map((row) => row.name)
          .sort();
        const changed = Object.keys(environment.postgresql).filter((p) =>
          new RegExp(`^${p} = `, 'm').test(configMap.data['environment.conf'] ?? ''),
        );
        assert.equal(fromEnvironmentFile, changed.sort(), 'environment.conf wins for the parameters it changes');
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
      removeServerDirectory(root);
    }
    const problems = server
      .log()
      .split('\n')
      .filter((line) => /\b(WARNING|FATAL|PANIC|ERROR):/.test(line));
    assert.equal(problems, [], 'the server log has no warnings or errors');
  });
}

/** A directory owned like the harness's own, so the server account (nobody, under root) can read it. */
function makeDir(dir: string, uid: number, gid: number): void {
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, uid, gid);
}

test.run();
