/**
 * "Move to Patroni" on real servers: a data directory initialised without Patroni (as the official
 * image's entrypoint does), then staging's rendered Patroni started on it alone, with an empty store,
 * then a second member. And why the runbook starts that member alone: an empty member started first
 * initialises a new cluster, and the one with the data is refused. Debian's Patroni 3.0.2 and
 * PostgreSQL 15, etcd in place of the Kubernetes API (test/support/patroni-config.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replicationRoleSql } from '../scripts/runbooks/patroni.ts';
import { debianBinaries, initDataDirectory, startServer } from '../tools/postgres/server.ts';
import { REPLICATION_ROLE } from '../scripts/vocabulary/names.ts';
import { runRunbookScript, secretLines, sqlOn } from './support/patroni-commands.ts';
import { patroniCluster, type Member, type PatroniCluster } from './support/patroni-cluster.ts';
import { waitFor } from './support/processes.ts';
import pg from 'pg';

const ROWS = 1000;

/** What the official image leaves on the volume: initdb with the Secret's superuser and database, then the application's rows. */
async function dataWithoutPatroni(member: Member): Promise<string> {
  const binaries = debianBinaries(15);
  const { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: database } = member.env;
  await initDataDirectory({ dataDir: member.dataDir, superuser: user, password, database, binaries });
  const server = await startServer({ dataDir: member.dataDir, binaries });
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user, password, database });
  try {
    await client.connect();
    await client.query(
      `CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, ${ROWS}) g`,
    );
    return (await client.query('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0].id;
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}

const systemId = async (cluster: PatroniCluster, ordinal: number) =>
  (await cluster.query(ordinal, 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0].id;
const orders = async (cluster: PatroniCluster, ordinal: number) =>
  (await cluster.query(ordinal, 'SELECT count(*)::int AS n FROM orders'))[0].n;

test('Move to Patroni: alone on the old data, Patroni adopts it as the leader; the replication role as the runbook makes it; a new member clones it', async () => {
  let identity = '';
  const cluster = await patroniCluster('staging', {
    start: [0],
    prepare: async (members) => {
      identity = await dataWithoutPatroni(members[0]);
    },
  });
  try {
    assert.is(await cluster.waitForLeader(30_000), 0);
    assert.is(await systemId(cluster, 0), identity, 'the same cluster, not a new initdb');
    assert.is(await orders(cluster, 0), ROWS);

    const role = await sqlOn(cluster, 0, [...replicationRoleSql(REPLICATION_ROLE)]);
    assert.is(role.code, 0, role.output);
    const env = cluster.members[0].env;
    const secret = {
      database: env.POSTGRES_DB,
      username: env.POSTGRES_USER,
      password: env.POSTGRES_PASSWORD,
      'replication-password': env.PATRONI_REPLICATION_PASSWORD,
    };
    const rotated = await runRunbookScript(
      cluster,
      0,
      'rotate-password.sh',
      ['roles', 'replication-password'],
      secretLines(secret),
    );
    assert.is(rotated.code, 0, rotated.output);
    assert.match(rotated.output, `${REPLICATION_ROLE}: password set from the Secret's replication-password`);
    assert.is(
      (await sqlOn(cluster, 0, [...replicationRoleSql(REPLICATION_ROLE)])).code,
      0,
      'running it again changes nothing',
    );

    await cluster.start(1);
    await cluster.waitForStreaming(0, 120_000);
    assert.is(await systemId(cluster, 1), identity);
    await waitFor('the rows on the new member', 20_000, async () => (await orders(cluster, 1)) === ROWS);
  } finally {
    await cluster.remove();
  }
});

test("why the runbook starts the data's member alone: an empty member started first initialises a new, empty database, and the one with the data is refused", async () => {
  let identity = '';
  // Member 1 alone first: a new pod of a plain sync, on an empty volume.
  const cluster = await patroniCluster('staging', {
    start: [1],
    prepare: async (members) => {
      identity = await dataWithoutPatroni(members[0]);
    },
  });
  try {
    assert.is(await cluster.waitForLeader(30_000), 1);
    assert.is.not(await systemId(cluster, 1), identity, 'a new cluster');
    const tables = await cluster.query(1, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'orders'");
    assert.is(tables[0].n, 0, 'the clients would find an empty database');
    await cluster.start(0);
    // Patroni exits (the pod would crash-loop) and leaves the data alone; the Services route to postgresql-1's empty
    // database.
    await waitFor('postgresql-0 to refuse to join', 60_000, () => cluster.log(0).includes('system ID mismatch'));
  } finally {
    await cluster.remove();
  }
});

test.run();
