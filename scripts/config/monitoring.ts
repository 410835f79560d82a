import type { Settings } from './environment.ts';
import { peersProblems } from './peers.ts';

const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${NAME}$`);
const LABEL_VALUE = new RegExp(`^(${NAME})?$`);

/** Every problem with the `monitoring` settings, as [field path, message] pairs. */
export function monitoringProblems(s: Settings): [string, string][] {
  const monitoring = s.monitoring;
  if (monitoring === null || typeof monitoring !== 'object')
    return [['monitoring', 'must be an object such as { enabled: true, serviceMonitor: false }']];
  const found: [string, string | undefined][] = [
    [
      'monitoring.enabled',
      typeof monitoring.enabled === 'boolean'
        ? undefined
        : `must be true or false, got ${JSON.stringify(monitoring.enabled)}`,
    ],
    [
      'monitoring.serviceMonitor',
      typeof monitoring.serviceMonitor === 'boolean'
        ? undefined
        : `must be true or false, got ${JSON.stringify(monitoring.serviceMonitor)}`,
    ],
    ...peersProblems(
      'monitoring.allowedScrapers',
      monitoring.allowedScrapers,
      '{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }',
    ),
  ];
  const labels = monitoring.labels;
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    found.push([
      'monitoring.labels',
      'must be an object of label names and values such as { release: "kube-prometheus-stack" }',
    ]);
  } else {
    for (const [key, value] of Object.entries(labels)) {
      found.push([
        `monitoring.labels.${key}`,
        LABEL_KEY.test(key) && key.length <= 316
          ? undefined
          : 'is not a Kubernetes label key (an optional DNS-subdomain prefix and "/", then at most 63 of letters, digits, "-", "_", "." starting and ending with a letter or digit)',
      ]);
      found.push([
        `monitoring.labels.${key}`,
        typeof value === 'string' && LABEL_VALUE.test(value)
          ? undefined
          : `must be a label value (at most 63 of letters, digits, "-", "_", ".", starting and ending with a letter or digit), got ${JSON.stringify(value)}`,
      ]);
    }
  }
  if (monitoring.serviceMonitor === true && monitoring.enabled !== true) {
    found.push([
      'monitoring.serviceMonitor',
      'needs monitoring.enabled: true (the ServiceMonitor scrapes the metrics exporter that monitoring adds)',
    ]);
  }
  return found.filter((entry): entry is [string, string] => entry[1] !== undefined);
}
