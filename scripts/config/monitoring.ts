import type { Settings } from './environment.ts';
import { peersProblems } from './peers.ts';

/** Every problem with the `monitoring` settings, as [field path, message] pairs. */
export function monitoringProblems(s: Settings): [string, string][] {
  const monitoring = s.monitoring;
  if (monitoring === null || typeof monitoring !== 'object') return [['monitoring', 'must be an object such as { enabled: true, serviceMonitor: false }']];
  const found: [string, string | undefined][] = [
    ['monitoring.enabled', typeof monitoring.enabled === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(monitoring.enabled)}`],
    ['monitoring.serviceMonitor', typeof monitoring.serviceMonitor === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(monitoring.serviceMonitor)}`],
    ...peersProblems('monitoring.allowedScrapers', monitoring.allowedScrapers, '{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }'),
  ];
  if (monitoring.serviceMonitor === true && monitoring.enabled !== true) {
    found.push(['monitoring.serviceMonitor', 'needs monitoring.enabled: true (the ServiceMonitor scrapes the metrics exporter that monitoring adds)']);
  }
  return found.filter((entry): entry is [string, string] => entry[1] !== undefined);
}
