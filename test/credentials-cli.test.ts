import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { npmKustomize, v5Kustomize } from '../scripts/kustomize/binary.ts';
import { kustomizeBuild } from '../scripts/kustomize/render.ts';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';
import { renderedCredentials } from './support/credentials.ts';
import { sealedSecretYaml } from './support/sealed-secret.ts';
import { renderedEnvironments } from './support/rendered.ts';

const APP_SEALED = { name: 'postgresql-app', keys: ['username', 'password'] } as const;

test('the four sources: generator, sealed-secrets and existing build next to each other', async () => {
  const out = emptyDir();
  const environments = environmentsDir({
    'dev.ts': `export default { name: 'dev', credentials: { source: 'existing' } };\n`,
    'staging.ts': `export default { name: 'staging', namespace: 'staging-db', database: 'staging_app', credentials: { source: 'generator', allowPlaceholder: true } };\n`,
    'prod.ts': `export default { name: 'prod', credentials: { source: 'sealed-secrets', sealedSecretFile: 'prod.sealed-secret.yaml', applicationSealedSecretFile: 'prod.app.sealed-secret.yaml' } };\n`,
    'prod.sealed-secret.yaml': sealedSecretYaml(),
    'prod.app.sealed-secret.yaml': sealedSecretYaml(APP_SEALED),
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  const tree = treeOf(out);
  const objects = (environment: string) => renderedObjects(tree[`generated/${environment}.yaml`]);
  const podsRead = (environment: string) =>
    objects(environment)
      .find((o) => o.kind === 'StatefulSet')!
      .spec.template.spec.containers[0].env.filter((variable: any) => variable.valueFrom?.secretKeyRef)
      .map((variable: any) => variable.valueFrom.secretKeyRef.name);

  // existing: nothing rendered; the pods read the Secret created out of band.
  assert.is(renderedCredentials(objects('dev')).renderedBy, 'nothing');
  assert.equal([...new Set(podsRead('dev'))], ['postgresql-secret', 'postgresql-app']);
  assert.is(renderedCredentials(objects('dev'), 'postgresql-app').renderedBy, 'nothing');

  // generator, explicitly accepted: the placeholders, in the environment's namespace, with its database.
  const staging = renderedCredentials(objects('staging'));
  assert.is(staging.renderedBy, 'Secret');
  assert.is(staging.database, 'staging_app');
  assert.match(staging.values!.password, /^dev-only-placeholder/);
  const stagingApp = renderedCredentials(objects('staging'), 'postgresql-app');
  assert.equal(stagingApp.values, { username: 'app', password: 'dev-only-placeholder-app-password' });
  assert.equal([...new Set(podsRead('staging'))], [staging.secretName, stagingApp.secretName]);
  assert.ok(objects('staging').every((o) => o.metadata.namespace === 'staging-db'));

  // sealed-secrets: the user's SealedSecret, unchanged ciphertext, with the bundle's labels.
  const sealed = objects('prod').find((o) => o.kind === 'SealedSecret' && o.metadata.name === 'postgresql-secret')!;
  const original = renderedObjects(sealedSecretYaml())[0];
  assert.equal(sealed.spec.encryptedData, original.spec.encryptedData);
  assert.is(sealed.metadata.labels['app.kubernetes.io/name'], 'postgresql');
  assert.match(tree['overlays/prod/kustomization.yaml'], /- sealed-secret\.yaml/);
  const sealedApp = objects('prod').find((o) => o.kind === 'SealedSecret' && o.metadata.name === 'postgresql-app')!;
  assert.equal(sealedApp.spec.encryptedData, renderedObjects(sealedSecretYaml(APP_SEALED))[0].spec.encryptedData);
  assert.equal([...new Set(podsRead('prod'))], ['postgresql-secret', 'postgresql-app']);

  // Every overlay renders the same bytes with kustomize 4.5.4 and v5.
  const v4 = npmKustomize()!;
  const v5 = v5Kustomize();
  for (const environment of renderedEnvironments()) {
    const overlay = path.join(out, 'overlays', environment);
    assert.fixture(await kustomizeBuild(v4, overlay), tree[`generated/${environment}.yaml`]);
    if (v5) assert.fixture(await kustomizeBuild(v5, overlay), tree[`generated/${environment}.yaml`]);
  }
});

test('refuses placeholders in an environment that did not accept them, and every bad credentials or delivery field', () => {
  assertRefused(
    {
      'staging.ts': `export default { name: 'staging', credentials: { source: 'generator' } };\n`,
      'prod.ts': `export default { name: 'prod', credentials: { source: 'vault' } };\n`,
      'dev.ts': `export default { name: 'dev', credentials: { externalSecrets: { storeRef: { kind: 'Vault' }, remoteRefs: { pasword: { key: 'x' } }, refreshInterval: 'hourly' } }, delivery: { automatic: true, flux: { timeout: '20 minutes' } } };\n`,
      'qa.ts': `export default { name: 'qa', credentials: { source: 'sealed-secrets' } };\n`,
    },
    [
      'staging: credentials.source: "generator" commits PLACEHOLDER credentials that anyone with the repository can read; set credentials.allowPlaceholder: true for this environment',
      'prod: credentials.source: must be one of generator, external-secrets, sealed-secrets, existing, got "vault"',
      'dev: credentials.externalSecrets.storeRef.kind: must be one of ClusterSecretStore, SecretStore, got "Vault"',
      'dev: credentials.externalSecrets.remoteRefs.pasword: unknown Secret key; allowed: "username", "password"',
      'dev: credentials.externalSecrets.refreshInterval: must be a duration such as "1h"',
      'dev: delivery.automatic: unknown setting; allowed: automated, prune, argocd, flux',
      'dev: delivery.flux.timeout: must be a duration such as "5m" or "1h30m", got "20 minutes"',
      'qa: credentials.sealedSecretFile: source "sealed-secrets" needs the SealedSecret\'s YAML file',
      'qa: credentials.applicationSealedSecretFile: source "sealed-secrets" needs the applications\' SealedSecret (postgresql-app: username, password)',
    ],
  );
});

test('refuses a SealedSecret with the wrong name, namespace or keys, or a readable password', () => {
  assertRefused(
    {
      'prod.ts': `export default { name: 'prod', credentials: { source: 'sealed-secrets', sealedSecretFile: 'prod.sealed-secret.yaml', applicationSealedSecretFile: 'prod.app.sealed-secret.yaml' } };\n`,
      'prod.app.sealed-secret.yaml': sealedSecretYaml(APP_SEALED),
      'prod.sealed-secret.yaml': sealedSecretYaml({
        name: 'db-credentials',
        namespace: 'other',
        keys: ['database', 'username', 'replication-password'],
        templateData: { password: 'hunter2' },
      }),
    },
    [
      /prod: credentials\.sealedSecretFile: scripts\/\.environments-\w+\/prod\.sealed-secret\.yaml: metadata\.name is "db-credentials"; the pods read "postgresql-secret"/,
      'prod.sealed-secret.yaml: sealed with strict scope for namespace "other", but prod deploys to "project-template"',
      'prod.sealed-secret.yaml: missing keys monitoring-password; the Secret needs database, username, password, replication-password, monitoring-password',
      'prod.sealed-secret.yaml: spec.template.data.password is readable by anyone with the repository; seal it',
    ],
  );
});

test.run();
