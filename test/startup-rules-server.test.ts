import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { OFFICIAL_IMAGE_LIBRARIES } from '../scripts/postgres/image-contents.ts';
import { pgHbaConf } from '../scripts/postgres/hba.ts';
import { formatParameterValue } from '../scripts/postgres/parameters.ts';
import {
  connect,
  EMBEDDED_16,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
} from '../tools/postgres/server.ts';

/**
 * The startup rules (scripts/config/startup.ts) are PostgreSQL's own: each configuration the build
 * refuses as "PostgreSQL refuses to start" is started on a real PostgreSQL 16 here, and the server
 * indeed exits with the FATAL named; the value the refusal suggests starts.
 */
const CASES: [string, Record<string, string | number | boolean>, RegExp, Record<string, string | number | boolean>][] =
  [
    [
      'max_connections',
      { max_connections: 3 },
      /superuser_reserved_connections \(3\) plus reserved_connections \(0\) must be less than max_connections \(3\)/,
      { max_connections: 4 },
    ],
    [
      'wal_level',
      { wal_level: 'minimal' },
      /WAL streaming \(max_wal_senders > 0\) requires wal_level "replica" or "logical"/,
      { wal_level: 'minimal', max_wal_senders: 0 },
    ],
    [
      'wal_level',
      { wal_level: 'minimal', max_wal_senders: 0, archive_mode: 'on', archive_command: 'true %p' },
      /WAL archival cannot be enabled when wal_level is "minimal"/,
      { wal_level: 'replica', archive_mode: 'on', archive_command: 'true %p' },
    ],
    ['ssl', { ssl: true }, /could not load server certificate file/, { ssl: false }],
    ['huge_pages', { huge_pages: 'on' }, /could not map anonymous shared memory|huge pages/i, { huge_pages: 'try' }],
    [
      'shared_preload_libraries',
      { shared_preload_libraries: 'timescaledb' },
      /could not access file "timescaledb"/,
      { shared_preload_libraries: 'pg_stat_statements' },
    ],
    ['timezone', { timezone: 'Mars/Olympus' }, /invalid value for parameter "TimeZone"/, { timezone: 'Europe/Paris' }],
  ];

let root = '';
let dataDir = '';
const password = 'rules-test-password';

test.before(async () => {
  root = makeServerDirectory('pg-rules-');
  dataDir = path.join(root, 'pgdata');
  await initDataDirectory({ dataDir, password });
});
test.after(() => removeServerDirectory(root));

/** Starts the server with `parameters` on the command line; the FATAL lines of its log when it does not start. */
async function start(parameters: Record<string, string | number | boolean>): Promise<string | undefined> {
  const args = Object.entries(parameters).map(
    ([name, value]) => `${name}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : value}`,
  );
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    server = await startServer({ dataDir, args, startTimeoutMs: 20000 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await server?.stop();
  }
}

// Without the tls component: with it, the ssl parameters are its own (refused in scripts/config/tls.ts).
const QA = { name: 'qa', tls: { enabled: false } } as const;

for (const [field, refused, fatal, fix] of CASES) {
  test(`${JSON.stringify(refused)}: the build refuses it at ${field}, PostgreSQL 16 does not start, and the suggested value starts`, async () => {
    assert.throws(
      () => resolveEnvironment({ ...QA, postgresql: refused }, 'qa.ts'),
      (error: Error) =>
        error instanceof ConfigError && error.message.includes(`qa: postgresql.${field}: PostgreSQL refuses to start`),
    );
    const failure = await start(refused);
    assert.ok(failure, 'the server does not start');
    assert.match(failure!, fatal);
    resolveEnvironment({ ...QA, postgresql: fix }, 'qa.ts');
    assert.is(await start(fix), undefined, `${JSON.stringify(fix)} starts`);
  });
}

test("md5 password_encryption under the bundle's pg_hba.conf: a new role cannot log in (refused), scram-sha-256 can", async () => {
  assert.throws(
    () => resolveEnvironment({ name: 'qa', postgresql: { password_encryption: 'md5' } }, 'qa.ts'),
    /qa: postgresql\.password_encryption: /,
  );
  const hba = path.join(root, 'pg_hba.bundle.conf');
  writeFileSync(hba, pgHbaConf());
  const { uid, gid } = statSync(root);
  chownSync(hba, uid, gid);
  const server = await startServer({ dataDir, args: [`hba_file=${hba}`] });
  try {
    const admin = await connect({ port: server.port, user: 'postgres', password });
    try {
      const loginWith = async (encryption: string) => {
        await admin.query(`SET password_encryption = ${formatParameterValue(encryption)}`);
        await admin.query(`DROP ROLE IF EXISTS rules_app; CREATE ROLE rules_app LOGIN PASSWORD 'app-password'`);
        try {
          await (await connect({ port: server.port, user: 'rules_app', password: 'app-password' })).end();
          return 'logged in';
        } catch (error) {
          return (error as Error).message;
        }
      };
      assert.match(await loginWith('md5'), /password authentication failed/);
      assert.is(await loginWith('scram-sha-256'), 'logged in');
    } finally {
      await admin.end();
    }
  } finally {
    await server.stop();
  }
});

test('OFFICIAL_IMAGE_LIBRARIES are the contrib libraries of the PostgreSQL 16 build the tests run', () => {
  const libraries = readdirSync(path.join(path.dirname(EMBEDDED_16.postgres), '../lib/postgresql'))
    .filter((file) => file.endsWith('.so'))
    .map((file) => file.replace(/\.so$/, ''));
  // Encoding conversions, procedural languages and the replication/output plugins are not named in a configuration.
  const named = libraries.filter(
    (library) =>
      !/_and_|^(utf8|euc|latin|cyrillic|ascii)|^pl(?!pgsql)|plperl|plpython|libpqwalreceiver|pgoutput|dict_snowball|llvmjit/.test(
        library,
      ),
  );
  assert.equal([...OFFICIAL_IMAGE_LIBRARIES].sort(), named.sort());
});

test.run();
