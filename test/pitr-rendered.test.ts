import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { find, rendered } from './support/rendered.ts';

/** What staging and prod render for point-in-time recovery, read back from generated/<env>.yaml. */
const EXPECTED = {
  staging: { days: 7, path: '/staging', members: 2 },
  prod: { days: 30, path: '/prod', members: 3 },
} as const;

for (const [environment, expected] of Object.entries(EXPECTED)) {
  const objects = rendered(environment);
  const pod = find(objects, 'StatefulSet', 'postgresql').spec.template.spec;
  const files = find(objects, 'ConfigMap', 'postgresql-pgbackrest-config').data as Record<string, string>;
  const value = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

  test(`${environment}: every pgBackRest variable reads a key the repository's ExternalSecret writes`, () => {
    const external = find(objects, 'ExternalSecret', 'postgresql-pgbackrest-repository');
    const keys = external.spec.data.map((entry: any) => entry.secretKey);
    assert.equal(keys, ['s3-key', 's3-key-secret', 'cipher-pass']);
    const jobs = ['postgresql-pgbackrest-full', 'postgresql-pgbackrest-diff'].map(
      (name) => find(objects, 'CronJob', name).spec.jobTemplate.spec.template.spec.containers[0],
    );
    for (const container of [...pod.containers, ...(pod.initContainers ?? []), ...jobs]) {
      for (const entry of (container.env ?? []).filter(
        (e: any) => e.valueFrom?.secretKeyRef?.name === 'postgresql-pgbackrest-repository',
      )) {
        assert.ok(keys.includes(entry.valueFrom.secretKeyRef.key), `${container.name}: ${entry.name}`);
      }
    }
    const database = pod.containers.find((c: any) => c.name === 'postgresql');
    assert.equal(
      database.env.filter((e: any) => e.name.startsWith('PGBACKREST_')).map((e: any) => e.name),
      [
        'PGBACKREST_STANZA',
        'PGBACKREST_REPO1_S3_KEY',
        'PGBACKREST_REPO1_S3_KEY_SECRET',
        'PGBACKREST_REPO1_CIPHER_PASS',
      ],
    );
  });

  test(`${environment}: retention keeps ${expected.days} days, the repository is encrypted, the job reaches all ${expected.members} members over TLS`, () => {
    for (const file of ['pgbackrest.conf', 'backup.conf']) {
      assert.equal(value(files[file], 'repo1-retention-full-type'), ['time']);
      assert.equal(value(files[file], 'repo1-retention-full'), [String(expected.days)]);
      assert.equal(value(files[file], 'repo1-cipher-type'), ['aes-256-cbc']);
      assert.equal(value(files[file], 'repo1-path'), [expected.path]);
    }
    assert.equal(
      value(files['backup.conf'], 'pg\\d-host'),
      Array.from({ length: expected.members }, (_, i) => `postgresql-${i}.postgresql-headless`),
    );
    assert.equal(value(files['backup.conf'], 'pg\\d-host-type'), Array(expected.members).fill('tls'));
  });

  test(`${environment}: only the backup job's certificate and pods reach the TLS server`, () => {
    const [auth] = value(files['pgbackrest.conf'], 'tls-server-auth');
    const client = find(objects, 'Certificate', 'postgresql-pgbackrest-client-tls');
    assert.is(auth, `${client.spec.commonName}=postgresql`);
    const server = find(objects, 'Certificate', 'postgresql-pgbackrest-server-tls');
    assert.ok(server.spec.dnsNames.includes('*.postgresql-headless'), 'covers postgresql-N.postgresql-headless');
    const policy = find(objects, 'NetworkPolicy', 'postgresql-pgbackrest-server');
    assert.equal(policy.spec.ingress, [
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql-pgbackrest-backup' } } }],
        ports: [{ protocol: 'TCP', port: 8432 }],
      },
    ]);
    for (const name of ['postgresql-pgbackrest-full', 'postgresql-pgbackrest-diff']) {
      const job = find(objects, 'CronJob', name).spec;
      assert.is(
        job.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/name'],
        'postgresql-pgbackrest-backup',
      );
      assert.is(job.jobTemplate.spec.template.spec.automountServiceAccountToken, false);
      assert.is(job.timeZone, 'Etc/UTC');
    }
    assert.is(find(objects, 'CronJob', 'postgresql-pgbackrest-full').spec.schedule, '0 2 * * 0');
    assert.is(find(objects, 'CronJob', 'postgresql-pgbackrest-diff').spec.schedule, '0 2 * * 1-6');
    const sidecar = pod.containers.find((c: any) => c.name === 'pgbackrest');
    assert.equal(sidecar.command, ['pgbackrest', 'server']);
    assert.ok(
      sidecar.volumeMounts.find((m: any) => m.name === 'postgresql-data').readOnly,
      'the sidecar reads PGDATA, never writes it',
    );
  });
}

test('dev archives nothing: no pgBackRest object, no archive_command', () => {
  const objects = rendered('dev');
  assert.equal(
    objects.filter((o) => /pgbackrest/.test(o.metadata.name)).map((o) => o.metadata.name),
    [],
  );
  assert.not.ok('archiving.conf' in find(objects, 'ConfigMap', 'postgresql-config').data);
});

test('bad pitr settings: every problem as env: field: what is allowed', () => {
  const config = {
    name: 'broken',
    postgresql: { archive_command: '/bin/true' },
    pitr: {
      enabled: true,
      repository: { endpoint: 'https://s3.example.com', bucket: 'B', uriStyle: 'virtual' },
      schedule: { full: '0 25 * * 0' },
      retentionDays: 0,
      credentials: { source: 'generator' },
    },
  };
  const error = (() => {
    try {
      resolveEnvironment(config as never, 'broken.ts');
    } catch (e) {
      return e;
    }
  })();
  assert.instance(error, ConfigError);
  const problems = (error as ConfigError).problems.map((line) => line.split(': ').slice(0, 2).join(': '));
  assert.equal(problems.sort(), [
    'broken: pitr.credentials.source',
    'broken: pitr.repository.bucket',
    'broken: pitr.repository.endpoint',
    'broken: pitr.repository.uriStyle',
    'broken: pitr.retentionDays',
    'broken: pitr.schedule.full',
    'broken: postgresql.archive_command',
  ]);
  assert.match((error as ConfigError).message, 'never a committed key');
});

test.run();
