import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { renderedCredentials } from './support/credentials.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';

/** Replication as each environment renders it: who gets writes, who gets reads, what a drain may take. */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const SELECTOR = { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgresql' };
const podLabels = (ordinal: number) => ({ ...SELECTOR, 'app.kubernetes.io/component': 'database', 'statefulset.kubernetes.io/pod-name': `postgresql-${ordinal}` });
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

for (const name of renderedEnvironments()) {
  const environment = environments.find((e) => e.name === name)!;
  const objects = rendered(name);
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const pod = sts.spec.template.spec;
  const postgres = pod.containers.find((c: any) => c.name === 'postgresql');
  const replicas: number = sts.spec.replicas;
  const primary = environment.replication.primaryOrdinal;
  // The labels each pod of the StatefulSet carries: its template's, plus the controller's pod-name label.
  const pods = Array.from({ length: replicas }, (_, ordinal) => ({ ordinal, labels: { ...sts.spec.template.metadata.labels, ...podLabels(ordinal) } }));

  test(`${name}: the read-write Service selects exactly the declared primary, postgresql-${primary}`, () => {
    const service = find(objects, 'Service', 'postgresql');
    assert.equal(pods.filter((p) => selects(service.spec.selector, p.labels)).map((p) => p.ordinal), [primary]);
  });

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
      assert.equal(constraint, { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: SELECTOR } });
    }
  });

  if (replicas === 1) {
    test(`${name}: one replica renders no replication pieces`, () => {
      assert.is(pod.initContainers, undefined);
      assert.not.ok(objects.some((o) => o.metadata.name === 'postgresql-read' || o.metadata.name.startsWith('postgresql-replication-scripts')));
      assert.not.ok(JSON.stringify(postgres).includes('REPLICATION'), 'the database container has no replication settings');
      assert.is(sts.spec.podManagementPolicy, 'Parallel', 'the same immutable policy as with replicas, so scaling up needs no re-creation');
    });
    continue;
  }

  const init = pod.initContainers.find((c: any) => c.name === 'prepare-data');
  const scripts = find(objects, 'ConfigMap', 'postgresql-replication-scripts');

  test(`${name}: the read Service selects every instance; the headless one gives each a DNS name`, () => {
    const read = find(objects, 'Service', 'postgresql-read');
    assert.is(pods.filter((p) => selects(read.spec.selector, p.labels)).length, replicas);
    assert.equal(read.spec.ports, [{ name: 'postgresql', port: 5432, targetPort: 'postgresql', protocol: 'TCP' }]);
  });

  test(`${name}: the init container is told the same primary as the Service, and runs the versioned scripts`, () => {
    const env = Object.fromEntries(init.env.map((e: any) => [e.name, e]));
    assert.is(env.PRIMARY_ORDINAL.value, String(primary));
    assert.equal(env.POD_NAME.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.is(env.HEADLESS_SERVICE.value, sts.spec.serviceName);
    for (const file of Object.keys(scripts.data)) {
      assert.is(scripts.data[file], readFileSync(path.join(PROJECT_ROOT, 'scripts/postgres/sh', file), 'utf8'), `${file} is the file under version control`);
    }
    const volume = pod.volumes.find((v: any) => v.configMap?.name === scripts.metadata.name);
    const mount = init.volumeMounts.find((m: any) => m.name === volume.name);
    assert.equal(init.command, ['sh', `${mount.mountPath}/prepare-data.sh`]);
    assert.equal(init.args, postgres.args.slice(1), 'promotion starts PostgreSQL with the container\'s own configuration');
    assert.equal(init.resources, postgres.resources);
    // The same mounts as the database container, but for the scripts and the entrypoint's one-time init files.
    const shared = (mounts: any[]) => mounts.filter((m) => m.name !== volume.name && !m.mountPath.startsWith('/docker-entrypoint-initdb.d/'));
    assert.equal(shared(init.volumeMounts), shared(postgres.volumeMounts));
  });

  test(`${name}: the entrypoint gets the role script as one file, executable, from a key that exists`, () => {
    const volume = pod.volumes.find((v: any) => v.configMap?.name === scripts.metadata.name);
    const mounts = postgres.volumeMounts.filter((m: any) => m.name === volume.name);
    assert.equal(mounts, [{ name: volume.name, mountPath: '/docker-entrypoint-initdb.d/20-replication-role.sh', subPath: 'replication-role.sh', readOnly: true }]);
    assert.ok(scripts.data[mounts[0].subPath]);
    assert.is(volume.configMap.defaultMode, 0o555);
  });

  test(`${name}: every Secret key the containers read exists, whichever source renders the Secret`, () => {
    const credentials = renderedCredentials(objects);
    assert.ok(credentials.keys, 'the bundle renders the credentials');
    for (const container of [init, postgres]) {
      // The pgBackRest repository's Secret is the pitr component's (test/pitr-rendered.test.ts).
      for (const entry of container.env.filter((e: any) => e.valueFrom?.secretKeyRef && e.valueFrom.secretKeyRef.name !== 'postgresql-pgbackrest-repository')) {
        assert.is(entry.valueFrom.secretKeyRef.name, credentials.secretName);
        assert.ok(credentials.keys!.includes(entry.valueFrom.secretKeyRef.key), `${container.name}: ${entry.name}`);
      }
    }
  });

  test(`${name}: pg_hba admits replication for the replication role only, with scram-sha-256`, () => {
    const hba = find(objects, 'ConfigMap', 'postgresql-config').data['pg_hba.conf'] as string;
    const replicationLines = hba.split('\n').filter((line) => /^\w+\s+replication\s/.test(line));
    assert.equal(replicationLines.map((line) => line.split(/\s+/)), [['host', 'replication', 'replicator', 'all', 'scram-sha-256']]);
  });

  test(`${name}: the standbys have WAL senders, slots, a slot WAL cap and hot standby`, () => {
    const parameters = effectiveParameters(find(objects, 'ConfigMap', 'postgresql-config').data);
    assert.ok(Number(parameters.max_wal_senders) >= replicas + 1, 'one per standby plus a pg_basebackup');
    assert.ok(Number(parameters.max_replication_slots) >= replicas - 1);
    assert.match(parameters.max_slot_wal_keep_size, /^\d+[MGT]B$/);
    assert.is(parameters.hot_standby, 'on');
    assert.is(parameters.wal_log_hints, 'on');
  });
}

test.run();
