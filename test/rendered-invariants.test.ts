import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';
import { renderedCredentials } from './support/credentials.ts';
import { restrictedViolations } from './support/pod-security.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { quantityValue } from '../scripts/config/quantity.ts';
import { parameterBytes } from '../scripts/postgres/parameters.ts';

/**
 * The seed document's numbers (values.yaml and values-<env>.yaml), the specification of each environment.
 * Not its effective_cache_size (1GB, 2GB, 4GB: the memory limit or more): the pod's page cache is
 * charged to its limit, so the bundle derives it from what the limit leaves (scripts/postgres/tuning.ts).
 */
const SEED = {
  dev: {
    replicas: 1,
    storage: '5Gi',
    requests: ['100m', '256Mi'],
    limits: ['250m', '512Mi'],
    postgresql: { max_connections: '50', shared_buffers: '128MB' },
    antiAffinity: false,
  },
  staging: {
    replicas: 2,
    storage: '20Gi',
    requests: ['500m', '1Gi'],
    limits: ['1000m', '2Gi'],
    postgresql: { max_connections: '200', shared_buffers: '512MB' },
    antiAffinity: false,
  },
  prod: {
    replicas: 3,
    storage: '100Gi',
    requests: ['1000m', '2Gi'],
    limits: ['2000m', '4Gi'],
    postgresql: { max_connections: '300', shared_buffers: '1GB', max_wal_senders: '5', max_worker_processes: '4' },
    antiAffinity: true,
  },
} as const;

const SELECTOR = { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgresql' };

/** Every environment file, so a new one is checked against its own settings. */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
/** How postgresql.conf spells a value, as effectiveParameters reads it back. */
const confText = (value: string | number | boolean) =>
  typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);

for (const [environment, seed] of Object.entries(SEED)) {
  const settings = environments.find((e) => e.name === environment);
  if (!settings) continue;
  test(`${environment}: the environment file carries the seed's numbers`, () => {
    assert.is(settings.replicas, seed.replicas);
    assert.is(settings.storage.size, seed.storage);
    assert.equal([settings.resources.requests.cpu, settings.resources.requests.memory], seed.requests);
    assert.equal([settings.resources.limits.cpu, settings.resources.limits.memory], seed.limits);
    for (const [name, value] of Object.entries(seed.postgresql))
      assert.is(confText(settings.postgresql[name]), value, name);
    assert.is(settings.podAntiAffinity !== 'none', seed.antiAffinity);
  });
}

for (const environment of renderedEnvironments()) {
  const settings = environments.find((e) => e.name === environment)!;
  const objects = rendered(environment);
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const pod = sts.spec.template.spec;
  const container = pod.containers.find((c: any) => c.name === 'postgresql');
  const config = find(objects, 'ConfigMap', 'postgresql-config');
  // With standbys, Patroni runs PostgreSQL (test/patroni-rendered.test.ts): its own image, command, probes and token.
  const patroni = sts.spec.replicas > 1;

  test(`${environment}: replicas, storage, resources and image are the environment's`, () => {
    assert.is(sts.spec.replicas, settings.replicas);
    const claim = sts.spec.volumeClaimTemplates[0];
    assert.is(claim.spec.resources.requests.storage, settings.storage.size);
    assert.is(claim.spec.storageClassName, settings.storage.storageClassName);
    // resources.guaranteed: the guaranteed component copies every container's limits to its requests.
    const requests = settings.resources.guaranteed ? settings.resources.limits : settings.resources.requests;
    assert.equal(container.resources, { requests, limits: settings.resources.limits });
    assert.is(container.image, `${settings.image.name}:${settings.image.tag}`);
    if (patroni)
      assert.match(
        container.image,
        /^[a-z0-9.-]+\/[a-z0-9./-]*postgresql-patroni:16-alpine-patroni[0-9.]+$/,
        "Patroni's image",
      );
  });

  test(`${environment}: postgresql.conf carries the environment's parameters, audit logging, and listens everywhere`, () => {
    const parameters = effectiveParameters(config.data);
    for (const [name, value] of Object.entries(settings.postgresql)) assert.is(parameters[name], confText(value), name);
    assert.ok(['replica', 'logical'].includes(parameters.wal_level), 'WAL a standby or pg_basebackup can use');
    assert.ok(
      parameterBytes('effective_cache_size', parameters.effective_cache_size) <=
        0.75 * quantityValue(settings.resources.limits.memory)!,
      'effective_cache_size counts only the page cache the memory limit leaves',
    );
    assert.is(parameters.listen_addresses, '*');
    assert.is(parameters.log_connections, 'on');
    assert.is(parameters.log_disconnections, 'on');
    assert.match(parameters.log_line_prefix, /%u.*%d.*%h/);
    assert.ok(parameters.log_min_duration_statement, 'slow statements are logged');
    // TCP from anywhere with scram-sha-256; over TLS only where the environment serves it (all but dev).
    assert.match(
      config.data['pg_hba.conf'],
      environment === 'dev'
        ? /^host\s+all\s+all\s+0\.0\.0\.0\/0\s+scram-sha-256$/m
        : /^hostssl\s+all\s+all\s+0\.0\.0\.0\/0\s+scram-sha-256$/m,
    );
    if (environment !== 'dev') assert.match(config.data['pg_hba.conf'], /^hostnossl\s+all\s+all\s+all\s+reject$/m);
    assert.not.match(config.data['pg_hba.conf'], /\b(trust|md5|password)\b/);
  });

  test(`${environment}: every pod meets Pod Security "restricted" as the alpine postgres user (uid 70)`, () => {
    assert.equal(restrictedViolations(pod), []);
    assert.is(pod.securityContext.runAsUser, 70);
    assert.is(pod.securityContext.fsGroup, 70);
    assert.is(pod.securityContext.fsGroupChangePolicy, 'OnRootMismatch');
    assert.is(pod.automountServiceAccountToken, patroni, 'only Patroni talks to the Kubernetes API');
    assert.is(find(objects, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken, false);
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    for (const writable of ['/var/run/postgresql', '/tmp', '/dev/shm']) {
      assert.ok(pod.volumes.find((v: any) => v.name === mounts[writable])?.emptyDir, `${writable} is an emptyDir`);
    }
    assert.is(pod.volumes.find((v: any) => v.name === mounts['/dev/shm']).emptyDir.medium, 'Memory');
  });

  test(`${environment}: the StatefulSet keeps its data: stable DNS, PGDATA in a subdirectory, claims retained`, () => {
    assert.is(sts.spec.serviceName, 'postgresql-headless');
    assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    assert.is(env.PGDATA.value, '/var/lib/postgresql/data/pgdata');
    const credentials = renderedCredentials(objects);
    for (const [name, key] of [
      ['POSTGRES_DB', 'database'],
      ['POSTGRES_USER', 'username'],
      ['POSTGRES_PASSWORD', 'password'],
    ]) {
      const ref = env[name].valueFrom.secretKeyRef;
      assert.is(ref.key, key);
      assert.is(ref.name, credentials.secretName);
      if (credentials.keys) assert.ok(credentials.keys.includes(key), `the ${credentials.renderedBy} provides ${key}`);
    }
    // A Secret in git rolls the pods through its hash suffix; any other source through a checksum annotation.
    if (credentials.renderedBy === 'Secret') assert.match(credentials.secretName, /^postgresql-secret-[a-z0-9]{10}$/);
    else assert.match(sts.spec.template.metadata.annotations['checksum/credentials'], /^[0-9a-f]{16}$/);
    if (!patroni) {
      assert.ok(container.args.includes('config_file=/etc/postgresql/postgresql.conf'));
      assert.ok(container.args.includes('hba_file=/etc/postgresql/pg_hba.conf'));
    }
    const configMount = container.volumeMounts.find((m: any) => m.mountPath === '/etc/postgresql');
    assert.is(configMount.readOnly, true);
    assert.is(pod.volumes.find((v: any) => v.name === configMount.name).configMap.name, config.metadata.name);
    assert.ok(pod.terminationGracePeriodSeconds >= 30);
  });

  test(`${environment}: probes read postmaster.pid (no connection, no log line; Patroni's REST API with standbys) at the seed's periods`, () => {
    for (const probe of patroni ? [] : ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      assert.equal(container[probe].exec.command.slice(0, 2), ['sh', '-c'], probe);
      assert.match(container[probe].exec.command[2], '$PGDATA/postmaster.pid', probe);
      assert.not.match(container[probe].exec.command[2], 'pg_isready', probe);
    }
    if (!patroni) assert.is(container.livenessProbe.initialDelaySeconds, 30);
    if (!patroni) assert.is(container.readinessProbe.initialDelaySeconds, 10);
    assert.is(container.livenessProbe.periodSeconds, 10);
    assert.is(container.readinessProbe.periodSeconds, 5);
  });

  test(`${environment}: the read-write Service routes to one pod (ordinal 0, or Patroni's primary); the headless one to every pod`, () => {
    const service = find(objects, 'Service', 'postgresql');
    assert.equal(service.spec.selector, {
      ...SELECTOR,
      ...(patroni ? { role: 'primary' } : { 'statefulset.kubernetes.io/pod-name': 'postgresql-0' }),
    });
    const headless = find(objects, 'Service', 'postgresql-headless');
    assert.is(headless.spec.clusterIP, 'None');
    assert.is(headless.spec.publishNotReadyAddresses, true);
    assert.equal(headless.spec.selector, SELECTOR);
  });

  test(`${environment}: selectors are name + instance only; environment labels stay on metadata`, () => {
    assert.equal(sts.spec.selector.matchLabels, SELECTOR);
    assert.is(pod.affinity !== undefined, settings.podAntiAffinity !== 'none');
    for (const object of objects) {
      assert.is(object.metadata.namespace, settings.namespace, `${object.kind}/${object.metadata.name}`);
      assert.is(object.metadata.labels['app.kubernetes.io/environment'], environment);
      for (const key of ['name', 'instance', 'component', 'part-of', 'managed-by']) {
        assert.ok(object.metadata.labels[`app.kubernetes.io/${key}`], `${object.kind}: app.kubernetes.io/${key}`);
      }
    }
    assert.not.ok('app.kubernetes.io/environment' in sts.spec.template.metadata.labels);
  });

  test(`${environment}: applications get DB_* from a stable ConfigMap; the NetworkPolicy admits 5432`, () => {
    const connection = find(objects, 'ConfigMap', 'postgresql-connection');
    assert.is(connection.metadata.name, 'postgresql-connection');
    // DB_USER is the application role: an ordinary role, never the superuser of the server's Secret.
    const ssl = settings.tls.enabled
      ? { DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: '/etc/postgresql-ca/ca.crt' }
      : { DB_SSLMODE: 'disable', DB_SSLROOTCERT: '' };
    assert.equal(connection.data, {
      DB_HOST: `postgresql.${settings.namespace}.svc.cluster.local`,
      DB_NAME: settings.database,
      DB_PORT: '5432',
      DB_TYPE: 'postgres',
      DB_USER: settings.applicationRole,
      ...ssl,
    });
    const application = renderedCredentials(objects, 'postgresql-app');
    if (application.keys) assert.equal([...application.keys].sort(), ['password', 'username']);
    if (application.values) assert.is(application.values.username, settings.applicationRole);
    const policy = find(objects, 'NetworkPolicy', 'postgresql');
    assert.equal(policy.spec.podSelector.matchLabels, SELECTOR);
    assert.equal(policy.spec.policyTypes, ['Ingress']);
    assert.equal(policy.spec.ingress[0], { from: settings.allowedClients, ports: [{ port: 5432, protocol: 'TCP' }] });
  });
}

test('prod prefers to spread its pods across nodes', () => {
  const pod = find(rendered('prod'), 'StatefulSet', 'postgresql').spec.template.spec;
  const term = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
  assert.is(term.topologyKey, 'kubernetes.io/hostname');
  assert.equal(term.labelSelector.matchLabels, SELECTOR);
});

test('selector labels are identical in every environment', () => {
  const selectors = renderedEnvironments().map((environment) => {
    const objects = rendered(environment);
    return JSON.stringify([
      find(objects, 'StatefulSet', 'postgresql').spec.selector,
      find(objects, 'Service', 'postgresql-headless').spec.selector,
    ]);
  });
  assert.is(new Set(selectors).size, 1);
});

test.run();
