import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { Settings } from '../config/environment.ts';
import type { ParameterValue } from '../config/environment.ts';
import { metadataLabels } from '../vocabulary/labels.ts';
import { imageReference } from './images.ts';
import { names } from '../vocabulary/names.ts';
import { tlsNames } from '../vocabulary/feature-names.ts';
import { restrictedContainerSecurity } from './statefulset.ts';
import { paths, TLS_DIR } from '../vocabulary/paths.ts';

/**
 * TLS for the server: a cert-manager Certificate (or an existing kubernetes.io/tls Secret) mounted
 * into the database container, ssl = on with its files, and pg_hba.conf admitting other hosts only
 * over TLS (scripts/postgres/hba.ts).
 */

/**
 * Files in a Secret volume belong to root, group fsGroup (70, postgres). PostgreSQL accepts a key
 * file owned by root only without any access for others (at most 0640): 0440 is that, read-only.
 */
export const tlsVolume: Volume = { name: tlsNames.volume, secret: { secretName: tlsNames.secret, defaultMode: 0o440 } };
export const tlsMount: VolumeMount = { name: tlsNames.volume, mountPath: TLS_DIR, readOnly: true };

/** Every name a client may reach the server by: the Services, each pod's headless name, and 127.0.0.1 inside the pod. */
export function tlsDnsNames(namespace: string): string[] {
  const services = [names.service, names.readService, names.headlessService];
  return [
    ...services.flatMap((service) => [
      service,
      `${service}.${namespace}`,
      `${service}.${namespace}.svc`,
      `${service}.${namespace}.svc.cluster.local`,
    ]),
    `*.${names.headlessService}.${namespace}.svc`,
    `*.${names.headlessService}.${namespace}.svc.cluster.local`,
    'localhost',
  ];
}

/** ssl = on with the mounted files. The certificate is re-read on a reload (SIGHUP): a renewal needs no restart. */
export function tlsParameters(s: Settings): Record<string, ParameterValue> {
  return {
    ssl: true,
    ssl_cert_file: `${TLS_DIR}/tls.crt`,
    ssl_key_file: `${TLS_DIR}/tls.key`,
    ssl_min_protocol_version: s.tls.minProtocolVersion,
  };
}

/** A cert-manager Certificate for the server, renewed by cert-manager a third of its life before it ends. */
export function certificate(s: Settings): Record<string, unknown> {
  const labels = metadataLabels(s.image.tag);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: tlsNames.certificate, labels },
    spec: {
      secretName: tlsNames.secret,
      secretTemplate: { labels },
      issuerRef: { group: 'cert-manager.io', kind: s.tls.issuerRef.kind, name: s.tls.issuerRef.name },
      commonName: `${names.service}.${s.namespace}.svc.cluster.local`,
      dnsNames: tlsDnsNames(s.namespace),
      ipAddresses: ['127.0.0.1'],
      duration: '2160h',
      renewBefore: '720h',
      // A new key at every renewal: a stolen key stops working with the next certificate.
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
    },
  };
}

/** What applications add to their connection: verify the server's name against the issuer's CA. */
export const APPLICATION_SSLMODE = 'verify-full';
const superuserKey = (key: string) => ({ secretKeyRef: { name: names.secret, key } });

/**
 * Reloads PostgreSQL when the kubelet has written a renewed certificate into the Secret volume
 * (scripts/postgres/sh/tls-reload.sh): through the shared socket directory, as the superuser.
 */
export function tlsReloadContainer(s: Settings): Container {
  return {
    name: tlsNames.reloadContainer,
    image: imageReference(s.image),
    command: ['sh', `/scripts/${tlsNames.reloadScript}`],
    env: [
      { name: 'TLS_DIR', value: TLS_DIR },
      { name: 'PGHOST', value: paths.socket },
      { name: 'POSTGRES_USER', valueFrom: superuserKey('username') },
      { name: 'POSTGRES_PASSWORD', valueFrom: superuserKey('password') },
    ],
    resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { cpu: '50m', memory: '32Mi' } },
    securityContext: restrictedContainerSecurity,
    volumeMounts: [
      tlsMount,
      { name: 'run', mountPath: paths.socket },
      { name: tlsNames.reloadVolume, mountPath: '/scripts', readOnly: true },
    ],
  };
}
export const tlsReloadVolume: Volume = { name: tlsNames.reloadVolume, configMap: { name: tlsNames.reloadConfigMap } };
