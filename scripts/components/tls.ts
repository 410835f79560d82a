import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Container, EnvVar, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { Environment, Settings } from '../config/environment.ts';
import { exporterContainer } from '../k8s/monitoring.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { monitoringNames, tlsNames } from '../vocabulary/feature-names.ts';
import { certificate, tlsMount, tlsParameters, tlsReloadContainer, tlsReloadVolume, tlsVolume } from '../k8s/tls.ts';
import { metadataLabels } from '../vocabulary/labels.ts';
import { bundleScript } from './scripts.ts';
import { statefulSetTarget, type Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectYaml } from '../output/yaml.ts';
import { pgHbaConf } from '../postgres/hba.ts';
import { formatParameterValue } from '../postgres/parameters.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';
import { TLS_DIR } from '../vocabulary/paths.ts';

const STATEFULSET_PATCH = 'statefulset-tls.yaml';
/** The exporter reads only the CA: a volume of its own, without the server's key. */
const CA_VOLUME: Volume = {
  name: 'tls-ca',
  secret: { secretName: tlsNames.secret, items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
};
const caMount: VolumeMount = { name: CA_VOLUME.name, mountPath: TLS_DIR, readOnly: true };
/** The exporter checks the server's certificate for 127.0.0.1 against the CA, like any client. */
const exporterUri = `127.0.0.1:${POSTGRES_PORT}/$(POSTGRES_DB)?sslmode=verify-full&sslrootcert=${TLS_DIR}/ca.crt`;

export function tlsConf(s: Settings): string {
  return [
    `# TLS (components/tls): the certificate files come from the Secret mounted at ${TLS_DIR}.`,
    '# A reload (SIGHUP) re-reads them: a renewed certificate needs no restart.',
    ...Object.entries(tlsParameters(s)).map(([name, value]) => `${name} = ${formatParameterValue(value)}`),
    '',
  ].join('\n');
}

/** The StatefulSet with TLS, built directly: what the component's patch and the overlay's deltas render. */
function withTls(sts: StatefulSet, s: Settings): StatefulSet {
  const pod = sts.spec!.template.spec!;
  const addMount = (c: Container): Container => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), tlsMount] });
  const exporter = (c: Container): Container => ({
    ...c,
    env: (c.env ?? []).map((e: EnvVar) => (e.name === 'DATA_SOURCE_URI' ? { ...e, value: exporterUri } : e)),
    volumeMounts: [...(c.volumeMounts ?? []), caMount],
  });
  const hasExporter = pod.containers.some((c) => c.name === monitoringNames.container);
  return {
    ...sts,
    spec: {
      ...sts.spec!,
      template: {
        ...sts.spec!.template,
        spec: {
          ...pod,
          containers: [
            ...pod.containers.map((c) =>
              c.name === names.container ? addMount(c) : c.name === monitoringNames.container ? exporter(c) : c,
            ),
            tlsReloadContainer(s),
          ],
          volumes: [...(pod.volumes ?? []), tlsVolume, tlsReloadVolume, ...(hasExporter ? [CA_VOLUME] : [])],
        },
      },
    },
  };
}

/**
 * TLS for every connection from another host: the server's certificate from cert-manager (or an
 * existing Secret), ssl = on, pg_hba.conf with hostssl lines only, and the exporter verifying the
 * server like any client. Container 0 is the database (the base's only container).
 */
export const tlsComponent: Component = {
  name: 'tls',
  description:
    'TLS: ssl = on with the certificate Secret, hostssl only (plain TCP refused), the exporter with verify-full (docs/tls.md).',
  enabled: (s) => s.tls.enabled,
  files(d: Settings): FileTree {
    return new Map([
      [
        'kustomization.yaml',
        componentKustomizationYaml(
          {
            namespace: d.namespace,
            configMapGenerator: [
              { name: names.configMap, behavior: 'merge', files: [tlsNames.confFile, 'pg_hba.conf'] },
              {
                name: tlsNames.reloadConfigMap,
                files: [tlsNames.reloadScript],
                options: { labels: metadataLabels(d.image.tag) },
              },
            ],
            patches: [{ path: STATEFULSET_PATCH, target: statefulSetTarget }],
          },
          [
            'The tls component: the server serves TLS with the certificate Secret, and admits other hosts only over',
            'TLS. Each overlay brings the Certificate itself (its names carry the namespace) or names an existing Secret.',
          ],
          {
            configMapGenerator: [
              "tls.conf (included by postgresql.conf) and a pg_hba.conf of hostssl lines, replacing the base's.",
              'tls-reload.sh (scripts/postgres/sh/): reloads PostgreSQL when cert-manager renews the certificate.',
            ],
            patches: [
              'The certificate Secret, mounted read-only into the database container, and the tls-reload sidecar.',
            ],
          },
        ),
      ],
      [tlsNames.confFile, tlsConf(d)],
      [tlsNames.reloadScript, bundleScript(tlsNames.reloadScript)],
      ['pg_hba.conf', pgHbaConf({ tls: true })],
      [
        STATEFULSET_PATCH,
        objectYaml([
          { op: 'test', path: '/spec/template/spec/containers/0/name', value: names.container },
          { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts/-', value: tlsMount },
          { op: 'add', path: '/spec/template/spec/volumes/-', value: tlsVolume },
          { op: 'add', path: '/spec/template/spec/containers/-', value: tlsReloadContainer(d) },
          { op: 'add', path: '/spec/template/spec/volumes/-', value: tlsReloadVolume },
        ]),
      ],
    ]);
  },
  deltas(e: Environment): ComponentDeltas {
    const patches: Patch[] = [];
    if (e.monitoring.enabled) {
      // The monitoring component appends the exporter after the database container: index 1.
      const exporter = '/spec/template/spec/containers/1';
      const uri = exporterContainer().env!.findIndex((variable) => variable.name === 'DATA_SOURCE_URI');
      patches.push({
        file: 'patches/exporter-tls.yaml',
        comment: "The exporter verifies the server's certificate (sslmode=verify-full) with the CA, and sees no key.",
        target: statefulSetTarget,
        body: [
          { op: 'test', path: `${exporter}/name`, value: monitoringNames.container },
          { op: 'test', path: `${exporter}/env/${uri}/name`, value: 'DATA_SOURCE_URI' },
          { op: 'replace', path: `${exporter}/env/${uri}/value`, value: exporterUri },
          { op: 'add', path: `${exporter}/volumeMounts`, value: [caMount] },
          { op: 'add', path: '/spec/template/spec/volumes/-', value: CA_VOLUME },
        ],
      });
    }
    return {
      patches,
      resources: e.tls.existingSecret
        ? []
        : [
            {
              path: 'certificate.yaml',
              comment: `The server's certificate, signed by the cert-manager ${e.tls.issuerRef.kind} "${e.tls.issuerRef.name}".`,
            },
          ],
      files: e.tls.existingSecret ? new Map() : new Map([['certificate.yaml', objectYaml(certificate(e))]]),
    };
  },
  applied(objects, environment) {
    return [
      ...objects.map((o) => ((o as StatefulSet).kind === 'StatefulSet' ? withTls(o as StatefulSet, environment) : o)),
      ...(environment.tls.existingSecret ? [] : [certificate(environment)]),
    ];
  },
};
