import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { REMOTE_CREDENTIAL_KEYS, type ExternalSecretsSettings } from '../config/credentials.ts';
import { BEFORE_WORKLOADS, CREDENTIALS_CHECKSUM } from './gitops.ts';
import { names } from './names.ts';

export interface ExternalSecretProps {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly database: string;
  readonly settings: ExternalSecretsSettings;
  /** Changes when the credentials must be re-read: the operator refreshes on any annotation change. */
  readonly checksum: string;
}

/** Where each key of the Secret is read in the store. */
export function remoteRefs(e: ExternalSecretsSettings): { secretKey: string; remoteRef: { key: string; property: string } }[] {
  return REMOTE_CREDENTIAL_KEYS.map((key) => ({
    secretKey: key,
    remoteRef: { key: e.remoteRefs[key]?.key ?? e.remoteKey, property: e.remoteRefs[key]?.property ?? key },
  }));
}

/**
 * An External Secrets Operator ExternalSecret producing the same Secret, name and keys as the
 * placeholder generator: `database` from the settings (not a secret), the rest from the store.
 */
export function externalSecret(p: ExternalSecretProps): IExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name: names.secret,
      namespace: p.namespace,
      labels: { ...p.labels },
      annotations: { ...BEFORE_WORKLOADS, [CREDENTIALS_CHECKSUM]: p.checksum },
    },
    spec: {
      refreshInterval: p.settings.refreshInterval,
      secretStoreRef: { kind: p.settings.storeRef.kind, name: p.settings.storeRef.name },
      target: {
        name: names.secret,
        creationPolicy: 'Owner',
        // A secret deleted in the store must not take the database's credentials with it.
        deletionPolicy: 'Retain',
        template: {
          engineVersion: 'v2',
          mergePolicy: 'Merge',
          metadata: { labels: { ...p.labels } },
          data: { database: p.database },
        },
      },
      data: remoteRefs(p.settings),
    },
  };
}
