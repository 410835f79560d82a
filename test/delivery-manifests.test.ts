import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { repository } from '../scripts/config/repository.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { deliveryFiles } from '../scripts/delivery/manifests.ts';
import { gitOrigin, resolveRepository } from '../scripts/config/resolve-repository.ts';
import { manifestProblems } from '../scripts/delivery/verify.ts';
import { renderedObjects, schemaProblems } from '../scripts/verify/schema.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';

const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const committed = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const manifests = (environment: string) => ({
  argocd: renderedObjects(committed(`generated/argocd/postgresql-${environment}.yaml`)),
  flux: renderedObjects(committed(`generated/flux/postgresql-${environment}.yaml`)),
});
const seconds = (duration: string) =>
  [...duration.matchAll(/(\d+)(h|m|s)/g)].reduce(
    (total, [, n, unit]) => total + Number(n) * { h: 3600, m: 60, s: 1 }[unit]!,
    0,
  );

for (const environment of renderedEnvironments()) {
  const { argocd, flux } = manifests(environment);
  const app = find(argocd, 'Application', `postgresql-${environment}`);
  const gitRepository = find(flux, 'GitRepository', `postgresql-${environment}`);
  const kustomization = find(flux, 'Kustomization', `postgresql-${environment}`);
  const objects = rendered(environment);

  test(`${environment}: the Argo CD and Flux manifests pass their schemas`, async () => {
    assert.equal(await schemaProblems(committed(`generated/argocd/postgresql-${environment}.yaml`)), []);
    assert.equal(await schemaProblems(committed(`generated/flux/postgresql-${environment}.yaml`)), []);
  });

  test(`${environment}: both point at overlays/${environment} of the configured repository, into the overlay's namespace`, () => {
    assert.is(app.spec.source.path, `overlays/${environment}`);
    assert.is(kustomization.spec.path, `./overlays/${environment}`);
    assert.is(app.spec.source.repoURL, repository.url);
    assert.is(gitRepository.spec.url, repository.url);
    assert.is(app.spec.source.targetRevision, 'main');
    assert.equal(gitRepository.spec.ref, { branch: 'main' });
    assert.equal(kustomization.spec.sourceRef, { kind: 'GitRepository', name: gitRepository.metadata.name });
    const namespaces = new Set(objects.map((object) => object.metadata.namespace));
    assert.equal([...namespaces], [app.spec.destination.namespace]);
    assert.is(find(flux, 'Namespace', app.spec.destination.namespace).metadata.name, app.spec.destination.namespace);
  });

  test(`${environment}: the sync creates the namespace, audited and warned against Pod Security "restricted" (not enforced: it is shared), and never deletes it or the database`, () => {
    assert.ok(app.spec.syncPolicy.syncOptions.includes('CreateNamespace=true'));
    const namespace = find(flux, 'Namespace', app.spec.destination.namespace);
    for (const labels of [app.spec.syncPolicy.managedNamespaceMetadata.labels, namespace.metadata.labels]) {
      assert.is(labels['pod-security.kubernetes.io/audit'], 'restricted');
      assert.is(labels['pod-security.kubernetes.io/warn'], 'restricted');
      assert.not.ok(
        'pod-security.kubernetes.io/enforce' in labels,
        "a shared namespace: enforcing could stop other applications' pods",
      );
    }
    assert.is(namespace.metadata.annotations['kustomize.toolkit.fluxcd.io/prune'], 'disabled');
    // Deleting the Application or the Kustomization must orphan, not cascade to, the database.
    assert.is(app.metadata.finalizers, undefined);
    assert.is(kustomization.spec.deletionPolicy, 'Orphan');
    assert.ok(app.spec.syncPolicy.syncOptions.includes('PruneLast=true'));
    const claim = find(objects, 'StatefulSet', 'postgresql').spec.volumeClaimTemplates[0];
    assert.is(claim.metadata.annotations['argocd.argoproj.io/sync-options'], 'Prune=false,Delete=false');
  });

  test(`${environment}: syncs retry with backoff and wait for the StatefulSet to be ready`, () => {
    const { backoff, limit } = app.spec.syncPolicy.retry;
    assert.ok(
      limit >= 3 &&
        backoff.factor >= 2 &&
        seconds(backoff.duration) > 0 &&
        seconds(backoff.maxDuration) > seconds(backoff.duration),
    );
    assert.is(kustomization.spec.wait, true);
    assert.ok(seconds(kustomization.spec.retryInterval) > 0);
    // A rolling update restarts pods one after another, each within its startup probe's budget
    // (under Patroni, its liveness budget: /liveness answers while PostgreSQL starts).
    const sts = find(objects, 'StatefulSet', 'postgresql');
    const container = sts.spec.template.spec.containers[0];
    const budget = container.startupProbe ?? container.livenessProbe;
    assert.ok(
      seconds(kustomization.spec.timeout) >= sts.spec.replicas * budget.periodSeconds * budget.failureThreshold,
      `timeout ${kustomization.spec.timeout} covers ${sts.spec.replicas} pods' startup`,
    );
  });
}

test('dev and staging sync automatically with self-heal; prod waits for a person in both tools', () => {
  for (const environment of ['dev', 'staging']) {
    const { argocd, flux } = manifests(environment);
    assert.equal(
      find(argocd, 'Application', `postgresql-${environment}`).spec.syncPolicy.automated,
      { prune: true, selfHeal: true },
      environment,
    );
    assert.is(find(flux, 'Kustomization', `postgresql-${environment}`).spec.suspend, undefined, environment);
  }
  const prod = manifests('prod');
  assert.is(find(prod.argocd, 'Application', 'postgresql-prod').spec.syncPolicy.automated, undefined);
  assert.is(find(prod.flux, 'Kustomization', 'postgresql-prod').spec.suspend, true);
});

test("the manifest check refuses a path that is not the environment's overlay, or an overlay that does not exist", async () => {
  const prod = environments.find((environment) => environment.name === 'prod')!;
  const files = deliveryFiles([prod], { url: 'https://git.test/bundle.git', revision: { branch: 'main' } });
  const sources = new Map([
    [
      'overlays/prod/kustomization.yaml',
      readFileSync(path.join(PROJECT_ROOT, 'overlays/prod/kustomization.yaml'), 'utf8'),
    ],
  ]);
  assert.equal(await manifestProblems(files, [prod], sources), []);
  const wrongPath = new Map(
    [...files].map(([file, yaml]) => [file, yaml.replace('path: overlays/prod', 'path: overlays/staging')]),
  );
  assert.equal(await manifestProblems(wrongPath, [prod], sources), [
    'generated/argocd/postgresql-prod.yaml: spec.source.path is "overlays/staging", not the environment\'s overlay overlays/prod',
  ]);
  const missing = await manifestProblems(files, [prod], new Map());
  assert.ok(
    missing.includes(
      'generated/argocd/postgresql-prod.yaml: spec.source.path: overlays/prod/kustomization.yaml does not exist',
    ),
    missing.join('\n'),
  );
  assert.ok(
    missing.includes('generated/flux/postgresql-prod.yaml: spec.path: overlays/prod/kustomization.yaml does not exist'),
    missing.join('\n'),
  );
});

test('the repository URL comes from the config, else from origin; neither is an error naming the file and field', () => {
  const noOrigin = () => undefined;
  assert.equal(
    resolveRepository({ url: 'https://git.test/a.git' }, () => 'https://elsewhere.test/b.git'),
    { url: 'https://git.test/a.git', revision: { branch: 'main' } },
  );
  assert.is(resolveRepository({}, () => 'git@git.test:team/bundle.git').url, 'ssh://git@git.test/team/bundle.git');
  const refused = (config: object, origin: () => string | undefined) => {
    try {
      resolveRepository(config, origin);
    } catch (error) {
      assert.instance(error, ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('accepted');
  };
  assert.equal(refused({}, noOrigin), [
    'scripts/config/repository.ts: url: not set, and this checkout has no git remote "origin"; set it to the repository Argo CD and Flux clone (https://… or ssh://…)',
  ]);
  assert.match(
    refused({}, () => '/srv/git/bundle.git')[0],
    'scripts/config/repository.ts: url: not set, so the git remote "origin" was used ("/srv/git/bundle.git") is not an https:// or ssh://',
  );
  assert.match(
    refused({ url: 'https://git.test/a.git', revision: { branch: 'main', tag: 'v1' } }, noOrigin)[0],
    'scripts/config/repository.ts: revision: must be exactly one of',
  );
  assert.match(
    refused({ url: 'https://git.test/a.git', revision: { commit: 'abc123' } }, noOrigin)[0],
    'commit must be a full 40-character commit id',
  );
});

test('origin is read from the checkout: a repository without remotes has none', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'origin-'));
  execFileSync('git', ['init', '-q', dir]);
  assert.is(gitOrigin(dir), undefined);
  execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'https://git.test/team/bundle.git']);
  assert.is(gitOrigin(dir), 'https://git.test/team/bundle.git');
});

test.run();
