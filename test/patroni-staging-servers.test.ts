import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { patroniCluster, type PatroniCluster } from './support/patroni-cluster.ts';
import { commonTimeline, failPrimary, rejoin, waitForRoles } from './support/failover.ts';
import { parameterDifferences } from './support/patroni-parameters.ts';
import { startWriter } from './support/writer.ts';

/**
 * staging's Patroni cluster on real servers (two members, from generated/staging.yaml; etcd for the
 * Kubernetes API; PostgreSQL 15, see patroni-prod-servers.test.ts): bootstrap and one kill -9
 * failover. prod's suite covers the graceful stop, the store outage and the standby failures.
 */
const test = suite<{ cluster: PatroniCluster }>('staging: Patroni on real servers');

test.before(async (context) => {
  // uvu reports a failing hook as nothing but missing tests: the reason (with the members' logs) is printed here.
  context.cluster = await patroniCluster('staging').catch((error) => {
    console.error(error);
    throw error;
  });
});

test.after(async (context) => {
  await context.cluster?.remove();
});

test('bootstrap: one leader, the standby streaming, the application database', async ({ cluster }) => {
  assert.is(cluster.replicas, 2);
  await waitForRoles(cluster, [
    'leader',
    cluster.rendered.bootstrap.dcs.synchronous_mode === true ? 'sync_standby' : 'replica',
  ]);
  const leader = await cluster.waitForLeader(10_000);
  const streaming = await cluster.waitForStreaming(leader, 30_000);
  const synchronous = cluster.rendered.bootstrap.dcs.synchronous_mode === true;
  assert.equal(
    Object.values(streaming).map((s) => `${s.state} ${s.sync_state}`),
    [`streaming ${synchronous ? 'sync' : 'async'}`],
  );
  const databases = await cluster.query(
    leader,
    'SELECT datname FROM pg_database WHERE datname = $1',
    [cluster.credentials.database],
    'postgres',
  );
  assert.is(databases.length, 1, `post_bootstrap created ${cluster.credentials.database}`);
  // post_bootstrap runs the init scripts the official image's entrypoint would (the monitoring role).
  const exporter = await cluster.query(
    leader,
    `SELECT rolcanlogin, pg_has_role(oid, 'pg_monitor', 'MEMBER') AS monitor FROM pg_roles WHERE rolname = 'postgres_exporter'`,
  );
  assert.equal(exporter, [{ rolcanlogin: true, monitor: true }], 'the monitoring role exists after bootstrap');
  for (const member of cluster.members) {
    assert.equal(
      await parameterDifferences(cluster, member.ordinal),
      [],
      `${member.name} runs every parameter of the rendered postgresql.conf and environment.conf`,
    );
  }
});

test('kill -9 of the primary while a writer commits: writes back within 45 s on the standby, the old primary rejoins', async ({
  cluster,
}) => {
  const synchronous = cluster.rendered.bootstrap.dcs.synchronous_mode === true;
  const writer = await startWriter(cluster);
  const failover = await failPrimary(cluster, writer, 'kill').finally(() => writer.stop());
  console.log(
    `  staging kill -9: writes back after ${failover.writesBackSeconds} s, ${failover.lost.length} of ${failover.acknowledged} acknowledged rows lost (${failover.acknowledgedBefore} before the kill) (synchronous_mode ${synchronous})`,
  );
  assert.ok(failover.writesBackSeconds <= 45, `writes back after ${failover.writesBackSeconds} s`);
  if (synchronous) assert.equal(failover.lost, [], 'synchronous_mode: every acknowledged row is on the new primary');

  const back = await rejoin(cluster, failover.oldPrimary, failover.newPrimary);
  console.log(`  staging rejoin: ${back.seconds} s, pg_rewind ${back.rewound ? 'ran' : 'was not needed'}`);
  assert.ok((await commonTimeline(cluster)) >= 2, 'both members on the timeline the promotion started');
  assert.not.match(back.log, /Failed to rewind|removing data directory/i, 'no failed rewind, no re-clone');
});

test.run();
