import type { Settings } from '../config/environment.ts';
import { serviceMonitor } from '../k8s/alerts.ts';
import type { FileTree } from '../output/tree.ts';
import { objectYaml } from '../output/yaml.ts';
import type { Component } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';

/** For clusters whose Prometheus is run by prometheus-operator: discovery by ServiceMonitor. */
export const serviceMonitorComponent: Component = {
  name: 'service-monitor',
  description: 'A prometheus-operator ServiceMonitor for the metrics Service (needs the monitoring component).',
  enabled: (s) => s.monitoring.enabled && s.monitoring.serviceMonitor,
  files(d: Settings): FileTree {
    return new Map([
      ['kustomization.yaml', componentKustomizationYaml({ namespace: d.namespace, resources: ['service-monitor.yaml'] }, [
        'The service-monitor component: prometheus-operator scrapes the exporters through the metrics Service.',
      ])],
      ['service-monitor.yaml', objectYaml(serviceMonitor(d))],
    ]);
  },
  applied: (objects, environment) => [...objects, serviceMonitor(environment)],
};
