import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import type { Settings } from '../config/environment.ts';
import { BEFORE_WORKLOADS } from './gitops.ts';
import { pitrLabels } from './pitr.ts';
import { PITR_SECRET_KEYS } from '../vocabulary/secret-keys.ts';
import { pitrNames } from '../vocabulary/feature-names.ts';

/**
 * The repository Secret from the External Secrets Operator: the S3 key pair and the encryption
 * passphrase, read from the store like the database credentials and never committed. Losing the
 * passphrase loses every backup: the store is where it is kept, outside the cluster.
 */
export function externalSecretFor(s: Settings): IExternalSecret {
  const e = s.pitr.credentials.externalSecrets;
  const keys = Object.values(PITR_SECRET_KEYS).filter(
    (key) => s.pitr.encryption || key !== PITR_SECRET_KEYS.cipherPass,
  );
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name: pitrNames.secret,
      namespace: s.namespace,
      labels: pitrLabels(s),
      annotations: { ...BEFORE_WORKLOADS },
    },
    spec: {
      refreshInterval: e.refreshInterval,
      secretStoreRef: { kind: e.storeRef.kind, name: e.storeRef.name },
      // Deleted in the store, the Secret stays: archiving must not stop because of a store cleanup.
      target: { name: pitrNames.secret, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      // Every field the operator's CRD defaults, spelled out: otherwise Argo CD shows it OutOfSync forever.
      data: keys.map((key) => ({
        secretKey: key,
        remoteRef: {
          key: e.remoteKey,
          property: key,
          conversionStrategy: 'Default',
          decodingStrategy: 'None',
          metadataPolicy: 'None',
        },
      })),
    },
  };
}
