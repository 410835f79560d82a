import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../scripts/config/environment.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { credentialParts } from '../scripts/assembly/credentials.ts';
import { readSealedSecret, sealedSecretProblems, withSealedSecrets } from '../scripts/config/sealed-secret.ts';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { renderedCredentials } from './support/credentials.ts';
import { find, rendered } from './support/rendered.ts';
import { sealedSecretYaml } from './support/sealed-secret.ts';
import { CREDENTIAL_KEYS } from '../scripts/vocabulary/secret-keys.ts';

/** An environment whose file sits in a temporary project, next to the files given. */
function environmentWith(config: Omit<EnvironmentConfig, 'name'>, files: Record<string, string> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'credentials-'));
  mkdirSync(path.join(root, 'environments'));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, 'environments', file), content);
  return {
    root,
    environment: withSealedSecrets(resolveEnvironment({ name: 'prod', ...config }, 'environments/prod.ts'), root),
  };
}

/** The checksum the overlay puts on the pod template. */
function podChecksum(config: Omit<EnvironmentConfig, 'name'>, files: Record<string, string> = {}): string {
  const { environment } = environmentWith(config, files);
  const [operation] = credentialParts(environment).patches[0].body as any[];
  assert.is(operation.path, '/spec/template/metadata/annotations/checksum~1credentials');
  return operation.value;
}

const external = (externalSecrets: object, revision = 1) => ({
  credentials: { source: 'external-secrets' as const, revision, externalSecrets },
});
const sealed = (seed: string, revision = 1) =>
  [
    {
      credentials: {
        source: 'sealed-secrets' as const,
        sealedSecretFile: 'prod.sealed-secret.yaml',
        applicationSealedSecretFile: 'prod.app.sealed-secret.yaml',
        revision,
      },
    },
    {
      'prod.sealed-secret.yaml': sealedSecretYaml({ seed }),
      'prod.app.sealed-secret.yaml': sealedSecretYaml({ name: 'postgresql-app', keys: ['username', 'password'], seed }),
    },
  ] as const;

test('the pods restart when the store key, the sealed ciphertext or credentials.revision change', () => {
  const before = podChecksum(external({ remoteKey: 'postgresql/prod' }));
  assert.is.not(podChecksum(external({ remoteKey: 'postgresql/prod-2' })), before);
  assert.is.not(podChecksum(external({ remoteKey: 'postgresql/prod' }, 2)), before);
  assert.is.not(
    podChecksum(external({ remoteKey: 'postgresql/prod', storeRef: { kind: 'SecretStore', name: 'vault' } })),
    before,
  );
  assert.is.not(podChecksum(...sealed('resealed')), podChecksum(...sealed('first')));
  assert.is.not(podChecksum(...sealed('first', 2)), podChecksum(...sealed('first')));
  assert.is.not(
    podChecksum({ credentials: { source: 'existing', revision: 2 } }),
    podChecksum({ credentials: { source: 'existing' } }),
  );
});

test('how often the store is read is no reason to restart a database', () => {
  assert.is(
    podChecksum(external({ remoteKey: 'postgresql/prod', refreshInterval: '5m' })),
    podChecksum(external({ remoteKey: 'postgresql/prod' })),
  );
});

test('a revision bump also changes the ExternalSecret, so the operator re-reads the store before the pods restart', () => {
  const annotations = (revision: number) => {
    const { environment } = environmentWith(external({ remoteKey: 'postgresql/prod' }, revision));
    return renderedObjects(credentialParts(environment).files.get('external-secret.yaml')!)[0].metadata.annotations;
  };
  assert.is.not(annotations(2)['checksum/credentials'], annotations(1)['checksum/credentials']);
  assert.is(annotations(1)['argocd.argoproj.io/sync-wave'], '-1');
});

test('an ExternalSecret yields every credentials key: database from the settings, the rest from the store', () => {
  const { environment } = environmentWith({
    database: 'orders',
    ...external({ remoteKey: 'db/prod', remoteRefs: { password: { key: 'db/admin', property: 'pw' } } }),
  });
  const objects = renderedObjects(credentialParts(environment).files.get('external-secret.yaml')!);
  const credentials = renderedCredentials(objects);
  assert.equal([...credentials.keys!].sort(), [...CREDENTIAL_KEYS].sort());
  assert.is(credentials.database, 'orders');
  const refs = Object.fromEntries(objects[0].spec.data.map((entry: any) => [entry.secretKey, entry.remoteRef]));
  const defaulted = { conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' };
  assert.equal(refs.password, { key: 'db/admin', property: 'pw', ...defaulted });
  assert.equal(refs.username, { key: 'db/prod', property: 'username', ...defaulted });
  // The applications' Secret: its username from the setting, its password from the store's app-password.
  const application = renderedCredentials(objects, 'postgresql-app');
  assert.equal([...application.keys!].sort(), ['password', 'username']);
  assert.equal(objects[1].spec.target.template.data, { username: 'app' });
  assert.equal(objects[1].spec.data, [
    { secretKey: 'password', remoteRef: { key: 'db/prod', property: 'app-password', ...defaulted } },
  ]);
});

test('the committed staging and prod read their own store keys through a ClusterSecretStore', () => {
  for (const environment of ['staging', 'prod']) {
    const secret = find(rendered(environment), 'ExternalSecret', 'postgresql-secret');
    assert.is(secret.spec.secretStoreRef.kind, 'ClusterSecretStore');
    assert.ok(
      secret.spec.data.every((entry: any) => entry.remoteRef.key === `postgresql/${environment}`),
      environment,
    );
    assert.is(secret.spec.target.deletionPolicy, 'Retain');
  }
});

test('sealing scope: namespace-wide must match the namespace, cluster-wide may come from anywhere', () => {
  const { environment } = environmentWith({});
  const problems = (fixture: Parameters<typeof sealedSecretYaml>[0]) =>
    sealedSecretProblems(renderedObjects(sealedSecretYaml(fixture))[0], environment);
  assert.equal(problems({}), []);
  assert.equal(
    problems({ namespace: 'elsewhere', annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } }),
    [],
  );
  assert.match(
    problems({ namespace: 'elsewhere', annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' } })[0],
    'sealed with namespace-wide scope for namespace "elsewhere"',
  );
  assert.equal(
    problems({
      templateData: { database: 'project_template' },
      keys: ['username', 'password', 'replication-password', 'monitoring-password'],
    }),
    [],
  );
  assert.match(
    problems({
      templateData: { database: 'other' },
      keys: ['username', 'password', 'replication-password', 'monitoring-password'],
    })[0],
    'spec.template.data.database is "other"',
  );
});

test('a value that is not kubeseal ciphertext is refused: it would be a readable secret in git', () => {
  const { environment } = environmentWith({});
  const object = renderedObjects(sealedSecretYaml())[0];
  object.spec.encryptedData.password = Buffer.from('hunter2').toString('base64');
  assert.equal(sealedSecretProblems(object, environment), [
    'spec.encryptedData.password is not kubeseal ciphertext (long base64); never put a plain or base64-encoded value there',
  ]);
});

test('missing SealedSecret files are named, relative to the project, both at once, when the environment is read', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'credentials-'));
  const environment = resolveEnvironment(
    {
      name: 'prod',
      credentials: {
        source: 'sealed-secrets',
        sealedSecretFile: 'prod.sealed-secret.yaml',
        applicationSealedSecretFile: 'prod.app.sealed-secret.yaml',
      },
    },
    'environments/prod.ts',
  );
  try {
    withSealedSecrets(environment, root);
    assert.unreachable('accepted missing files');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.equal(
      (error as ConfigError).problems.map((problem) => problem.split(' (')[0]),
      [
        'prod: credentials.sealedSecretFile: environments/prod.sealed-secret.yaml: cannot be read',
        'prod: credentials.applicationSealedSecretFile: environments/prod.app.sealed-secret.yaml: cannot be read',
      ],
    );
  }
  assert.throws(() => readSealedSecret(environment, root), /ENOENT/);
});

test('rendering reads no file: a sealed-secrets environment not loaded through config/ is a programming error, not a ConfigError', () => {
  const environment = resolveEnvironment(
    {
      name: 'prod',
      credentials: {
        source: 'sealed-secrets',
        sealedSecretFile: 'prod.sealed-secret.yaml',
        applicationSealedSecretFile: 'prod.app.sealed-secret.yaml',
      },
    },
    'environments/prod.ts',
  );
  try {
    credentialParts(environment);
    assert.unreachable('rendered without the files');
  } catch (error) {
    assert.not.instance(error, ConfigError);
    assert.match((error as Error).message, 'its SealedSecret files were not read');
  }
});

test.run();
