import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';
import { renderedCredentials } from './support/credentials.ts';

/** Replication as each environment renders it: who gets writes, who gets reads, what a drain may take. */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const SELECTOR = { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgresql' };
const podLabels = (ordinal: number) => ({
  ...SELECTOR,
  'app.kubernetes.io/component': 'database',
  'statefulset.kubernetes.io/pod-name': `postgresql-${ordinal}`,
});
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

for (const name of renderedEnvironments()) {
  const environment = environments.find((e) => e.name === name)!;
  const objects = rendered(name);
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const pod = sts.spec.template.spec;
  const postgres = pod.containers.find((c: any) => c.name === 'postgresql');
  const replicas: number = sts.spec.replicas;
  // The labels each pod of the StatefulSet carries: its template's, plus the controller's pod-name label.
  const pods = Array.from({ length: replicas }, (_, ordinal) => ({
    ordinal,
    labels: { ...sts.spec.template.metadata.labels, ...podLabels(ordinal) },
  }));

  test(`${name}: the PodDisruptionBudget lets a drain take one pod, and never all of them unless there is one`, () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'postgresql');
    assert.is(pdb.spec.maxUnavailable, 1);
    assert.is(pdb.spec.minAvailable, undefined);
    assert.equal(pods.filter((p) => selects(pdb.spec.selector.matchLabels, p.labels)).length, replicas);
    // A drain may always proceed, and with three replicas it keeps the primary and one standby.
    assert.is(replicas - pdb.spec.maxUnavailable, replicas === 1 ? 0 : replicas - 1);
  });

  test(`${name}: zone spreading follows the setting, and never blocks scheduling`, () => {
    const constraints = pod.topologySpreadConstraints ?? [];
    assert.is(constraints.length, environment.zoneSpread ? 1 : 0);
    for (const constraint of constraints) {
      assert.equal(constraint, {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: SELECTOR },
      });
    }
  });

  if (replicas === 1) {
    test(`${name}: one replica renders no replication pieces: the official image's entrypoint, no Patroni`, () => {
      assert.is(pod.initContainers, undefined);
      assert.not.ok(
        objects.some(
          (o) =>
            o.metadata.name === 'postgresql-read' || /^postgresql-patroni/.test(o.metadata.name) || o.kind === 'Role',
        ),
      );
      assert.not.ok(JSON.stringify(postgres).includes('PATRONI'), 'the database container has no Patroni settings');
      assert.equal(postgres.args.slice(0, 1), ['postgres']);
      assert.is(pod.automountServiceAccountToken, false);
      assert.is(
        sts.spec.podManagementPolicy,
        'Parallel',
        'the same immutable policy as with replicas, so scaling up needs no re-creation',
      );
    });
    continue;
  }

  test(`${name}: every Secret key the database container reads exists, whichever source renders the Secret`, () => {
    // The pgBackRest repository's Secret is the pitr component's (test/pitr-rendered.test.ts).
    for (const entry of postgres.env.filter(
      (e: any) => e.valueFrom?.secretKeyRef && e.valueFrom.secretKeyRef.name !== 'postgresql-pgbackrest-repository',
    )) {
      const secretName = entry.valueFrom.secretKeyRef.name.replace(/-[a-z0-9]{10}$/, '');
      assert.ok(['postgresql-secret', 'postgresql-app'].includes(secretName), `${entry.name} reads ${secretName}`);
      const credentials = renderedCredentials(objects, secretName);
      assert.is(entry.valueFrom.secretKeyRef.name, credentials.secretName);
      if (credentials.keys) assert.ok(credentials.keys.includes(entry.valueFrom.secretKeyRef.key), entry.name);
    }
  });

  test(`${name}: the standbys have WAL senders, slots, a slot WAL cap and hot standby`, () => {
    const parameters = effectiveParameters(find(objects, 'ConfigMap', 'postgresql-config').data);
    assert.ok(Number(parameters.max_wal_senders) >= replicas + 1, 'one per standby plus a pg_basebackup');
    assert.ok(Number(parameters.max_replication_slots) >= replicas - 1);
    assert.match(parameters.max_slot_wal_keep_size, /^\d+[MGT]B$/);
    assert.is(parameters.hot_standby, 'on');
    assert.is(parameters.wal_log_hints, 'on');
  });

  test(`${name}: pg_hba admits replication for the replication role only, with scram-sha-256`, () => {
    const hba = find(objects, 'ConfigMap', 'postgresql-config').data['pg_hba.conf'] as string;
    const replicationLines = hba.split('\n').filter((line) => /^\w+\s+replication\s/.test(line));
    // Over TLS where the environment serves it (docs/tls.md): hostssl, like every other TCP line.
    const tcp = 'tls.conf' in find(objects, 'ConfigMap', 'postgresql-config').data ? 'hostssl' : 'host';
    assert.equal(
      replicationLines.map((line) => line.split(/\s+/)),
      [[tcp, 'replication', 'replicator', 'all', 'scram-sha-256']],
    );
  });
}

test.run();
