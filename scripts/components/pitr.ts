import { isDeepStrictEqual } from 'node:util';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Environment, Settings } from '../config/environment.ts';
import { externalSecretFor } from '../k8s/pitr-secret.ts';
import { names } from '../vocabulary/names.ts';
import { pitrNames } from '../vocabulary/feature-names.ts';
import {
  BACKUP_CONFIG_FILE,
  backupCronJobs,
  caMounts,
  caVolumes,
  certificates,
  cipherEnv,
  databaseAdditions,
  pitrLabels,
  pitrNetworkPolicy,
  pitrServiceAccount,
  podVolumes,
  sidecarContainer,
} from '../k8s/pitr.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import { statefulSetTarget, type Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml, objectYaml } from '../output/yaml.ts';
import { archivingConf, backupJobConfig, podConfig, podTargets } from '../postgres/pgbackrest-conf.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';

export const ARCHIVING_CONF = 'archiving.conf';
const STATEFULSET_PATCH = 'statefulset-pgbackrest.yaml';
const cronJobTarget = (name: string): PatchTarget => ({ group: 'batch', version: 'v1', kind: 'CronJob', name });

function resources(s: Settings): Record<string, object[]> {
  return {
    'cronjobs.yaml': backupCronJobs(s),
    'service-account.yaml': [pitrServiceAccount(s)],
    'network-policy.yaml': [pitrNetworkPolicy(s)],
  };
}

/** The settings with nothing that varies by environment inside the pod: no passphrase, no CA. */
const invariant = (s: Settings): Settings => ({
  ...s,
  pitr: { ...s.pitr, encryption: false, repository: { ...s.pitr.repository, ca: null } },
});

/** The sidecar is the last container: after the database and, with monitoring, the exporter. */
const sidecarIndex = (s: Settings) => (s.monitoring.enabled ? 2 : 1);

/**
 * JSON patch appends: the database container's variables and mounts after its own, the sidecar
 * after every other container, the volumes last. Container 0 is the database (the "test" proves it).
 * The component appends what every environment shares; an overlay appends the passphrase and CA.
 */
function statefulSetPatch(s: Settings): object[] {
  const containers = '/spec/template/spec/containers';
  const { env, volumeMounts } = databaseAdditions(invariant(s));
  return [
    { op: 'test', path: `${containers}/0/name`, value: names.container },
    ...env.map((value) => ({ op: 'add', path: `${containers}/0/env/-`, value })),
    ...volumeMounts.map((value) => ({ op: 'add', path: `${containers}/0/volumeMounts/-`, value })),
    { op: 'add', path: `${containers}/-`, value: sidecarContainer(invariant(s)) },
    ...podVolumes(invariant(s)).map((value) => ({ op: 'add', path: '/spec/template/spec/volumes/-', value })),
  ];
}

/** The environment's passphrase and CA, appended where the component's additions end. */
function variablePatch(e: Settings): object[] {
  const containers = '/spec/template/spec/containers';
  const sidecar = `${containers}/${sidecarIndex(e)}`;
  const add = (path: string, values: readonly object[]) => values.map((value) => ({ op: 'add', path, value }));
  const operations = [
    ...add(`${containers}/0/env/-`, cipherEnv(e)),
    ...add(`${containers}/0/volumeMounts/-`, caMounts(e)),
    ...add(`${sidecar}/env/-`, cipherEnv(e)),
    ...add(`${sidecar}/volumeMounts/-`, caMounts(e)),
    ...add('/spec/template/spec/volumes/-', caVolumes(e)),
  ];
  if (operations.length === 0) return [];
  return [
    { op: 'test', path: `${containers}/0/name`, value: names.container },
    { op: 'test', path: `${sidecar}/name`, value: pitrNames.container },
    ...operations,
  ];
}

/** What pgBackRest changes in the StatefulSet, as kustomize applies the component's and the overlay's patches. */
export function withPgbackrest(set: StatefulSet, s: Settings): StatefulSet {
  const copy = structuredClone(set);
  const pod = copy.spec!.template.spec!;
  const { env, volumeMounts } = databaseAdditions(s);
  pod.containers[0].env = [...(pod.containers[0].env ?? []), ...env];
  pod.containers[0].volumeMounts = [...(pod.containers[0].volumeMounts ?? []), ...volumeMounts];
  pod.containers.push(sidecarContainer(s));
  pod.volumes = [...(pod.volumes ?? []), ...podVolumes(s)];
  return copy;
}

function deltaPatches(e: Environment, d: Settings): Patch[] {
  const patches: Patch[] = [];
  const variable = variablePatch(e);
  if (variable.length) {
    patches.push({
      file: 'patches/pgbackrest-pod.yaml',
      comment: "The repository passphrase and the S3 endpoint's CA for pgBackRest in the pods.",
      target: statefulSetTarget,
      body: variable,
    });
  }
  for (const job of backupCronJobs(e)) {
    const name = job.metadata!.name!;
    const base = backupCronJobs(d).find((other) => other.metadata!.name === name)!;
    if (job.spec!.schedule !== base.spec!.schedule) {
      patches.push({
        file: `patches/${name}-schedule.yaml`,
        comment: 'When this backup runs (UTC).',
        target: cronJobTarget(name),
        body: [{ op: 'replace', path: '/spec/schedule', value: job.spec!.schedule }],
      });
    }
    const spec = job.spec!.jobTemplate.spec!.template.spec;
    if (!isDeepStrictEqual(spec, base.spec!.jobTemplate.spec!.template.spec)) {
      patches.push({
        file: `patches/${name}-pod.yaml`,
        comment: "The backup job's passphrase, CA or image differ from the defaults.",
        target: cronJobTarget(name),
        body: [{ op: 'replace', path: '/spec/jobTemplate/spec/template/spec', value: spec }],
      });
    }
  }
  return patches;
}

/** pgBackRest to S3: WAL archived from the first boot, scheduled backups through a TLS sidecar, retention. */
export const pitrComponent: Component = {
  name: 'pitr',
  description:
    'Point-in-time recovery: WAL archiving and scheduled pgBackRest backups to S3 (docs/backups-and-restore.md).',
  enabled: (s) => s.pitr.enabled,
  files(d: Settings): FileTree {
    const files: FileTree = new Map();
    const objects = resources(d);
    files.set(
      'kustomization.yaml',
      componentKustomizationYaml(
        {
          namespace: d.namespace,
          resources: Object.keys(objects),
          configMapGenerator: [{ name: names.configMap, behavior: 'merge', files: [ARCHIVING_CONF] }],
          patches: [{ path: STATEFULSET_PATCH, target: statefulSetTarget }],
        },
        [
          'The pitr component: archive_command pushes every WAL segment to the S3 repository with pgBackRest,',
          "a sidecar runs pgBackRest's TLS server, and CronJobs take full and differential backups through it.",
          'Each overlay that lists it adds the postgresql-pgbackrest-config ConfigMap (its repository) and the certificates.',
        ],
        {
          configMapGenerator: [
            `Adds ${ARCHIVING_CONF} (archive_mode, archive_command, archive_timeout) to the PostgreSQL configuration.`,
          ],
          patches: [
            "pgBackRest's variables and mounts in the database container, the TLS-server sidecar and its volumes.",
          ],
        },
      ),
    );
    for (const [file, list] of Object.entries(objects)) files.set(file, objectsYaml(list));
    files.set(ARCHIVING_CONF, archivingConf());
    files.set(STATEFULSET_PATCH, objectYaml(statefulSetPatch(d)));
    return files;
  },
  deltas(e: Environment, d: Settings): ComponentDeltas {
    const overlayResources: { path: string; comment: string; objects: object[] }[] = [];
    if (e.pitr.tls.source === 'cert-manager') {
      overlayResources.push({
        path: 'pgbackrest-certificates.yaml',
        comment: `pgBackRest's server and client certificates, from ${e.pitr.tls.issuerRef.kind} "${e.pitr.tls.issuerRef.name}".`,
        objects: certificates(e),
      });
    }
    if (e.pitr.credentials.source === 'external-secrets') {
      const store = e.pitr.credentials.externalSecrets.storeRef;
      overlayResources.push({
        path: 'pgbackrest-external-secret.yaml',
        comment: `The repository's key and passphrase, written by the External Secrets Operator from ${store.kind} "${store.name}".`,
        objects: [externalSecretFor(e)],
      });
    }
    const files: FileTree = new Map([
      ['pgbackrest.conf', podConfig(e.pitr)],
      [BACKUP_CONFIG_FILE, backupJobConfig(e.pitr, podTargets(e.replicas, names.statefulSet, names.headlessService))],
    ]);
    for (const resource of overlayResources) files.set(resource.path, objectsYaml(resource.objects));
    return {
      configMapGenerator: [
        {
          name: pitrNames.configMap,
          namespace: e.namespace,
          files: ['pgbackrest.conf', BACKUP_CONFIG_FILE],
          options: { labels: pitrLabels(e) },
        },
      ],
      resources: overlayResources.map(({ path, comment }) => ({ path, comment })),
      patches: deltaPatches(e, d),
      files,
    };
  },
  applied(objects, e) {
    const changed = objects.map((o) =>
      (o as StatefulSet).kind === 'StatefulSet' ? withPgbackrest(o as StatefulSet, e) : o,
    );
    const extra: object[] = [];
    if (e.pitr.tls.source === 'cert-manager') extra.push(...certificates(e));
    if (e.pitr.credentials.source === 'external-secrets') extra.push(externalSecretFor(e));
    return [...changed, ...Object.values(resources(e)).flat(), ...extra];
  },
};
