import type { Environment, Settings } from '../config/environment.ts';
import {
  backupClaim,
  backupCronJob,
  backupEnv,
  backupNetworkPolicy,
  backupSourceHost,
  restoreCronJob,
} from '../k8s/backup.ts';
import { metadataLabels } from '../vocabulary/labels.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import type { Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml } from '../output/yaml.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';
import { bundleScript } from './scripts.ts';
import { backupNames } from '../vocabulary/feature-names.ts';

const SCRIPTS = ['backup.sh', 'restore.sh'];

function resources(s: Settings): Record<string, object[]> {
  return {
    'cronjobs.yaml': [backupCronJob(s), restoreCronJob(s)],
    'persistent-volume-claim.yaml': [backupClaim(s)],
    'network-policy.yaml': [backupNetworkPolicy(s)],
  };
}

const cronJobTarget: PatchTarget = { group: 'batch', version: 'v1', kind: 'CronJob', name: backupNames.cronJob };
const claimTarget: PatchTarget = { version: 'v1', kind: 'PersistentVolumeClaim', name: backupNames.claim };

/** A JSON patch op replacing one variable of the backup container, by its index in the rendered list. */
function envReplace(s: Settings, name: string, value: string): object {
  const index = backupEnv(s).findIndex((variable) => variable.name === name);
  return { op: 'replace', path: `/spec/jobTemplate/spec/template/spec/containers/0/env/${index}/value`, value };
}

function deltaPatches(e: Settings, d: Settings): Patch[] {
  const patches: Patch[] = [];
  if (e.backup.schedule !== d.backup.schedule) {
    patches.push({
      file: 'patches/backup-schedule.yaml',
      comment: 'When the backup runs (UTC).',
      target: cronJobTarget,
      body: [{ op: 'replace', path: '/spec/schedule', value: e.backup.schedule }],
    });
  }
  if (e.backup.retentionDays !== d.backup.retentionDays) {
    patches.push({
      file: 'patches/backup-retention.yaml',
      comment: `Backups are kept ${e.backup.retentionDays} days.`,
      target: cronJobTarget,
      body: [envReplace(d, 'BACKUP_RETENTION_DAYS', String(e.backup.retentionDays))],
    });
  }
  if (backupSourceHost(e) !== backupSourceHost(d)) {
    patches.push({
      file: 'patches/backup-source.yaml',
      comment: `Dumps are read through ${backupSourceHost(e)}, sparing the primary.`,
      target: cronJobTarget,
      body: [envReplace(d, 'PGHOST', backupSourceHost(e))],
    });
  }
  const storage = (['size', 'storageClassName'] as const).filter(
    (field) => e.backup.storage[field] !== d.backup.storage[field],
  );
  if (storage.length) {
    patches.push({
      file: 'patches/backup-storage.yaml',
      comment:
        'Size and StorageClass of the backup volume (a bound claim only grows, and only where its StorageClass allows).',
      target: claimTarget,
      body: storage.map((field) => ({
        op: 'replace',
        path: field === 'size' ? '/spec/resources/requests/storage' : '/spec/storageClassName',
        value: e.backup.storage[field],
      })),
    });
  }
  return patches;
}

/** Nightly pg_dump of every database to a volume, with retention and a restore procedure. */
export const backupComponent: Component = {
  name: 'backup',
  description: 'Nightly logical backups with retention, and a restore toolbox (docs/backups-and-restore.md).',
  enabled: (s) => s.backup.enabled,
  files(d: Settings): FileTree {
    const files: FileTree = new Map();
    const objects = resources(d);
    files.set(
      'kustomization.yaml',
      componentKustomizationYaml(
        {
          namespace: d.namespace,
          resources: Object.keys(objects),
          configMapGenerator: [
            {
              name: backupNames.scriptsConfigMap,
              files: SCRIPTS,
              options: { labels: { ...metadataLabels(d.image.tag), 'app.kubernetes.io/component': 'backup' } },
            },
          ],
        },
        [
          'The backup component: a CronJob dumping every database to a PersistentVolumeClaim, with the',
          'scripts that back up and restore (scripts/postgres/sh/). Overlays of environments with backups list it.',
        ],
        { configMapGenerator: ["backup.sh and restore.sh; the hash suffix rolls the jobs' pods when they change."] },
      ),
    );
    for (const [file, list] of Object.entries(objects)) files.set(file, objectsYaml(list));
    for (const script of SCRIPTS) files.set(script, bundleScript(script));
    return files;
  },
  deltas(environment: Environment, d: Settings): ComponentDeltas {
    return { patches: deltaPatches(environment, d) };
  },
  applied(objects, environment) {
    return [...objects, ...Object.values(resources(environment)).flat()];
  },
};
