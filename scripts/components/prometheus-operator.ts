import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Environment, Settings } from '../config/environment.ts';
import { prometheusRule, serviceMonitor } from '../k8s/alerts.ts';
import { scrapeAnnotations } from '../k8s/monitoring.ts';
import { names } from '../vocabulary/names.ts';
import { monitoringNames } from '../vocabulary/feature-names.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import { pointerSegment, type Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectYaml } from '../output/yaml.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';

const ruleTarget: PatchTarget = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  kind: 'PrometheusRule',
  name: monitoringNames.prometheusRule,
};
const monitorTarget: PatchTarget = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  kind: 'ServiceMonitor',
  name: monitoringNames.serviceMonitor,
};
const statefulSetTarget: PatchTarget = { group: 'apps', version: 'v1', kind: 'StatefulSet', name: names.statefulSet };
const ANNOTATIONS_PATCH = 'statefulset-no-scrape-annotations.yaml';

/**
 * One scrape path: with a ServiceMonitor the pods lose the monitoring component's prometheus.io
 * annotations, so a Prometheus that also honours them does not scrape every exporter twice (two
 * scrapers against the exporter role's 3 connections). The monitoring component adds them first:
 * overlays list it before this one.
 */
function withoutScrapeAnnotations(sts: StatefulSet): StatefulSet {
  const metadata = sts.spec!.template.metadata!;
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(([key]) => !(key in scrapeAnnotations)),
  );
  return {
    ...sts,
    spec: { ...sts.spec!, template: { ...sts.spec!.template, metadata: { ...metadata, annotations } } },
  };
}

/**
 * For clusters whose Prometheus is run by prometheus-operator (`monitoring.serviceMonitor`): discovery
 * by ServiceMonitor and the alerts as a PrometheusRule. Both are custom resources: rendered where the
 * environment declares the operator, a cluster without its CRDs would refuse the whole sync.
 */
export const prometheusOperatorComponent: Component = {
  name: 'prometheus-operator',
  description:
    'prometheus-operator objects: a ServiceMonitor for the metrics Service and the alerts as a PrometheusRule (the only scrape path: no pod annotations).',
  enabled: (s) => s.monitoring.enabled && s.monitoring.serviceMonitor,
  files(d: Settings): FileTree {
    return new Map([
      [
        'kustomization.yaml',
        componentKustomizationYaml(
          {
            namespace: d.namespace,
            resources: ['service-monitor.yaml', 'prometheus-rule.yaml'],
            patches: [{ path: ANNOTATIONS_PATCH, target: statefulSetTarget }],
          },
          [
            'The prometheus-operator component: the operator scrapes the exporters through the metrics Service',
            'and evaluates the alerts (docs/monitoring.md). Needs the monitoring component, listed before it.',
          ],
          {
            patches: [
              "One scrape path: the ServiceMonitor's. The monitoring component's scrape annotations come off the pods.",
            ],
          },
        ),
      ],
      ['service-monitor.yaml', objectYaml(serviceMonitor(d))],
      ['prometheus-rule.yaml', objectYaml(prometheusRule(d))],
      [
        ANNOTATIONS_PATCH,
        objectYaml(
          Object.keys(scrapeAnnotations).map((key) => ({
            op: 'remove',
            path: `/spec/template/metadata/annotations/${pointerSegment(key)}`,
          })),
        ),
      ],
    ]);
  },
  deltas(e: Environment, d: Settings): ComponentDeltas {
    const patches: Patch[] = [];
    // The alerts select their metrics by namespace, which a kustomize namespace does not rewrite.
    if (e.namespace !== d.namespace) {
      patches.push({
        file: 'patches/alerts-namespace.yaml',
        comment: `The alerts watch namespace ${e.namespace}.`,
        target: ruleTarget,
        body: [{ op: 'replace', path: '/spec/groups', value: prometheusRule(e).spec.groups }],
      });
    }
    const labels = Object.entries(e.monitoring.labels).filter(([key, value]) => d.monitoring.labels[key] !== value);
    if (labels.length) {
      const body = labels.map(([key, value]) => ({
        op: 'add',
        path: `/metadata/labels/${pointerSegment(key)}`,
        value,
      }));
      for (const [target, what] of [
        [monitorTarget, 'servicemonitor'],
        [ruleTarget, 'prometheusrule'],
      ] as const) {
        patches.push({
          file: `patches/${what}-labels.yaml`,
          comment: "Labels the cluster's Prometheus selects by (monitoring.labels).",
          target,
          body,
        });
      }
    }
    return { patches };
  },
  applied: (objects, environment) => [
    ...objects.map((o) => ((o as StatefulSet).kind === 'StatefulSet' ? withoutScrapeAnnotations(o as StatefulSet) : o)),
    serviceMonitor(environment),
    prometheusRule(environment),
  ],
};
