import type { Environment, Settings } from '../config/environment.ts';
import { prometheusRule, serviceMonitor } from '../k8s/alerts.ts';
import { monitoringNames } from '../k8s/monitoring.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import type { Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectYaml } from '../output/yaml.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';

const ruleTarget: PatchTarget = { group: 'monitoring.coreos.com', version: 'v1', kind: 'PrometheusRule', name: monitoringNames.prometheusRule };

/**
 * For clusters whose Prometheus is run by prometheus-operator (`monitoring.serviceMonitor`): discovery
 * by ServiceMonitor and the alerts as a PrometheusRule. Both are custom resources: rendered where the
 * environment declares the operator, a cluster without its CRDs would refuse the whole sync.
 */
export const prometheusOperatorComponent: Component = {
  name: 'prometheus-operator',
  description: 'prometheus-operator objects: a ServiceMonitor for the metrics Service and the alerts as a PrometheusRule.',
  enabled: (s) => s.monitoring.enabled && s.monitoring.serviceMonitor,
  files(d: Settings): FileTree {
    return new Map([
      ['kustomization.yaml', componentKustomizationYaml({ namespace: d.namespace, resources: ['service-monitor.yaml', 'prometheus-rule.yaml'] }, [
        'The prometheus-operator component: the operator scrapes the exporters through the metrics Service',
        'and evaluates the alerts (README, "Monitoring and alerts"). Needs the monitoring component.',
      ])],
      ['service-monitor.yaml', objectYaml(serviceMonitor(d))],
      ['prometheus-rule.yaml', objectYaml(prometheusRule(d))],
    ]);
  },
  deltas(e: Environment, d: Settings): ComponentDeltas {
    const patches: Patch[] = [];
    // The alerts select their metrics by namespace, which a kustomize namespace does not rewrite.
    if (e.namespace !== d.namespace) {
      patches.push({ file: 'patches/alerts-namespace.yaml', comment: `The alerts watch namespace ${e.namespace}.`, target: ruleTarget, body: [{ op: 'replace', path: '/spec/groups', value: prometheusRule(e).spec.groups }] });
    }
    return { patches };
  },
  applied: (objects, environment) => [...objects, serviceMonitor(environment), prometheusRule(environment)],
};
