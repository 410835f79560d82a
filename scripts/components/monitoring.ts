import { isDeepStrictEqual } from 'node:util';
import type { Environment, Settings } from '../config/environment.ts';
import { monitoringNames } from '../vocabulary/feature-names.ts';
import {
  exporterContainer,
  initScriptMount,
  initScriptVolume,
  metricsNetworkPolicy,
  metricsService,
  monitoringEnv,
  monitoringLabels,
  scrapeAnnotations,
  withExporter,
} from '../k8s/monitoring.ts';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import { statefulSetTarget, pointerSegment, type Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml, objectYaml } from '../output/yaml.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';
import { bundleScript } from './scripts.ts';

const EXPORTER_PATCH = 'statefulset-exporter.yaml';
const ANNOTATIONS_PATCH = 'statefulset-annotations.yaml';
const networkPolicyTarget: PatchTarget = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  name: monitoringNames.networkPolicy,
};

function resources(s: Settings): Record<string, object[]> {
  return {
    'metrics-service.yaml': [metricsService(s)],
    'network-policy.yaml': [metricsNetworkPolicy(s)],
  };
}

/**
 * JSON patch appends ("/-"): the exporter after the database container, the database's additions
 * after its own variables, mounts and volumes, in an order fixed by RFC 6902 rather than by a
 * kustomize version's strategic-merge habits. Container 0 is the database (the base's only one).
 */
function exporterPatch(): object[] {
  const containers = '/spec/template/spec/containers';
  return [
    { op: 'add', path: `${containers}/0/env/-`, value: monitoringEnv },
    { op: 'add', path: `${containers}/0/volumeMounts/-`, value: initScriptMount },
    { op: 'add', path: `${containers}/-`, value: exporterContainer() },
    { op: 'add', path: '/spec/template/spec/volumes/-', value: initScriptVolume },
  ];
}

/** One "add" per key: the base pod template's annotations stay, and so do those of any other feature. */
function annotationsPatch(): object[] {
  return Object.entries(scrapeAnnotations).map(([key, value]) => ({
    op: 'add',
    path: `/spec/template/metadata/annotations/${pointerSegment(key)}`,
    value,
  }));
}

function deltaPatches(e: Settings, d: Settings): Patch[] {
  const patches: Patch[] = [];
  if (!isDeepStrictEqual(e.monitoring.allowedScrapers, d.monitoring.allowedScrapers)) {
    patches.push({
      file: 'patches/metrics-scrapers.yaml',
      comment: "Who may scrape the exporter's port 9187.",
      target: networkPolicyTarget,
      body: [{ op: 'replace', path: '/spec/ingress/0/from', value: e.monitoring.allowedScrapers }],
    });
  }
  return patches;
}

/** postgres_exporter beside each database container, its role, scrape annotations and a metrics Service. */
export const monitoringComponent: Component = {
  name: 'monitoring',
  description:
    'postgres_exporter sidecar, its pg_monitor role, scrape annotations and a metrics Service (docs/monitoring.md).',
  enabled: (s) => s.monitoring.enabled,
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
              name: monitoringNames.initConfigMap,
              files: [monitoringNames.initScript],
              options: { labels: monitoringLabels(d) },
            },
          ],
          patches: [
            { path: EXPORTER_PATCH, target: statefulSetTarget },
            { path: ANNOTATIONS_PATCH, target: statefulSetTarget },
          ],
        },
        [
          'The monitoring component: a postgres_exporter sidecar logging in as a pg_monitor-only role,',
          'Prometheus scrape annotations and a metrics Service. Alerts: the prometheus-operator component.',
        ],
        {
          configMapGenerator: [
            "The init script that creates the exporter's role (scripts/postgres/sh/monitoring-role.sh).",
          ],
          patches: [
            "The exporter sidecar; the role's password and init script for the database container.",
            'Prometheus scrape annotations on the pods.',
          ],
        },
      ),
    );
    for (const [file, list] of Object.entries(objects)) files.set(file, objectsYaml(list));
    files.set(EXPORTER_PATCH, objectYaml(exporterPatch()));
    files.set(ANNOTATIONS_PATCH, objectYaml(annotationsPatch()));
    files.set(monitoringNames.initScript, bundleScript('monitoring-role.sh'));
    return files;
  },
  deltas(environment: Environment, d: Settings): ComponentDeltas {
    return { patches: deltaPatches(environment, d) };
  },
  applied(objects, environment) {
    const changed = objects.map((o) =>
      (o as StatefulSet).kind === 'StatefulSet'
        ? withExporter(o as StatefulSet, environment.monitoring.exporterDigest)
        : o,
    );
    return [...changed, ...Object.values(resources(environment)).flat()];
  },
};
