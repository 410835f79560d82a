import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CATALOG_FILE } from '../scripts/postgres/catalog.ts';
import { catalogText, readCatalog } from '../tools/postgres/generate-catalog.ts';
import { connect, startTestServer, TEST_MACHINE_OVERRIDES, type TestServer } from '../tools/postgres/server.ts';

let server: TestServer;

test.before(async () => {
  server = await startTestServer();
});

test.after(async () => {
  await server?.stop();
});

test('catalog.json is exactly what the PostgreSQL 16 server reports (regenerate: npx tsx tools/postgres/generate-catalog.ts)', async () => {
  const client = await server.connect();
  try {
    const reported = await readCatalog(client);
    assert.match(reported.server_version, /^16\./);
    assert.fixture(readFileSync(CATALOG_FILE, 'utf8'), catalogText(reported));
  } finally {
    await client.end();
  }
});

test('the test server overrides only what cannot work on a test machine', async () => {
  assert.equal(Object.keys(TEST_MACHINE_OVERRIDES), [
    'data_directory',
    'port',
    'unix_socket_directories',
    'listen_addresses',
  ]);
  const client = await server.connect();
  try {
    const setting = async (name: string) =>
      (await client.query<{ setting: string }>('SELECT setting FROM pg_settings WHERE name = $1', [name])).rows[0]
        .setting;
    const { rows } = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE source = 'command line' ORDER BY name",
    );
    assert.equal(Object.fromEntries(rows.map((row) => [row.name, row.setting])), {
      listen_addresses: '127.0.0.1',
      port: String(server.port),
      unix_socket_directories: server.socketDir,
    });
    // The fourth is postgres -D, which is how the image starts the server too.
    assert.is(await setting('data_directory'), server.dataDir);
    assert.equal(server.overrides, {
      data_directory: server.dataDir,
      port: String(server.port),
      unix_socket_directories: server.socketDir,
      listen_addresses: '127.0.0.1',
    });
  } finally {
    await client.end();
  }
});

test('a connection over TCP is authenticated with SCRAM', async () => {
  const client = await server.connect();
  try {
    const { rows } = await client.query(
      "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = current_user",
    );
    assert.is(rows[0].scram, true);
  } finally {
    await client.end();
  }
  try {
    await connect({ port: server.port, user: server.superuser, password: 'wrong' });
    assert.unreachable('a wrong password must be refused');
  } catch (error) {
    assert.match((error as Error).message, /password authentication failed/);
  }
});

test.run();
