import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Container, EnvVar, Service, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { Settings } from '../config/environment.ts';
import { metadataLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { METRICS_PORT, MONITORING_ROLE, monitoringNames } from '../vocabulary/feature-names.ts';
import { restrictedContainerSecurity, secretKey } from './statefulset.ts';

/** prometheus-community's postgres_exporter; the alerts name its metrics as of this version. */
export const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';

/** The image's user (nobody): the exporter shares nothing with the postgres user (uid 70). */
const EXPORTER_UID = 65534;

/** The metrics Service's labels (no other Service has them). */
export const metricsServiceLabels = { ...selectorLabels, 'app.kubernetes.io/component': 'metrics' } as const;

/**
 * What the ServiceMonitor selects the metrics Service by: not app.kubernetes.io/instance, the label
 * Argo CD's label tracking (its default before 3.0) rewrites to the Application's name on every
 * object it syncs, after which a selector on it would match nothing. Name and component are ours alone.
 */
export const serviceMonitorSelector = {
  'app.kubernetes.io/name': selectorLabels['app.kubernetes.io/name'],
  'app.kubernetes.io/component': metricsServiceLabels['app.kubernetes.io/component'],
} as const;

export function monitoringLabels(s: Settings): Record<string, string> {
  return { ...metadataLabels(s.image.tag), 'app.kubernetes.io/component': 'metrics' };
}

/** Pod annotations, as the seed had them: Prometheus's kubernetes-pods job scrapes by these. */
export const scrapeAnnotations: Readonly<Record<string, string>> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(METRICS_PORT),
  'prometheus.io/path': '/metrics',
};

export function exporterContainer(): Container {
  const probe = { httpGet: { path: '/', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
  return {
    name: monitoringNames.container,
    image: EXPORTER_IMAGE,
    args: [`--web.listen-address=:${METRICS_PORT}`],
    ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
    env: [
      { name: 'POSTGRES_DB', valueFrom: secretKey('database') },
      // Over 127.0.0.1, inside the pod; the server has no TLS, and the traffic never leaves the pod.
      { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${POSTGRES_PORT}/$(POSTGRES_DB)?sslmode=disable` },
      { name: 'DATA_SOURCE_USER', value: MONITORING_ROLE },
      { name: 'DATA_SOURCE_PASS', valueFrom: secretKey('monitoring-password') },
    ],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
    // The landing page answers without touching the database: a database restart does not restart the exporter.
    livenessProbe: { ...probe, initialDelaySeconds: 10 },
    readinessProbe: probe,
    securityContext: { ...restrictedContainerSecurity, runAsUser: EXPORTER_UID, runAsGroup: EXPORTER_UID },
  };
}

/** What the database container gains: the role's password, and the init script that creates the role. */
export const monitoringEnv: EnvVar = { name: 'MONITORING_PASSWORD', valueFrom: secretKey('monitoring-password') };
// One file by subPath: other features mount their own init scripts into the same directory.
export const initScriptMount: VolumeMount = {
  name: 'monitoring-init',
  mountPath: `/docker-entrypoint-initdb.d/${monitoringNames.initScript}`,
  subPath: monitoringNames.initScript,
  readOnly: true,
};
export const initScriptVolume: Volume = { name: 'monitoring-init', configMap: { name: monitoringNames.initConfigMap } };

/**
 * The StatefulSet with the exporter: what the monitoring component's patch does to it, built
 * directly (the overlay-equivalence test proves kustomize renders the same).
 */
export function withExporter(sts: StatefulSet, exporterDigest?: string): StatefulSet {
  const template = sts.spec!.template;
  const pod = template.spec!;
  return {
    ...sts,
    spec: {
      ...sts.spec!,
      template: {
        metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, ...scrapeAnnotations } },
        spec: {
          ...pod,
          containers: [
            ...pod.containers.map((c) =>
              c.name !== names.container
                ? c
                : {
                    ...c,
                    env: [...(c.env ?? []), monitoringEnv],
                    volumeMounts: [...(c.volumeMounts ?? []), initScriptMount],
                  },
            ),
            { ...exporterContainer(), image: exporterDigest ? `${EXPORTER_IMAGE}@${exporterDigest}` : EXPORTER_IMAGE },
          ],
          volumes: [...(pod.volumes ?? []), initScriptVolume],
        },
      },
    },
  };
}

/** Every pod's exporter, for Prometheus (and the ServiceMonitor); not for clients. */
export function metricsService(s: Settings): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: monitoringNames.metricsService, labels: { ...monitoringLabels(s), ...metricsServiceLabels } },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels },
      ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
    },
  };
}

/**
 * Admits scrapers to port 9187 only. A policy of its own: NetworkPolicies add up, and the base
 * policy (5432) stays as it is.
 */
export function metricsNetworkPolicy(s: Settings): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: monitoringNames.networkPolicy, labels: monitoringLabels(s) },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [...s.monitoring.allowedScrapers], ports: [{ protocol: 'TCP', port: METRICS_PORT }] }],
    },
  };
}
