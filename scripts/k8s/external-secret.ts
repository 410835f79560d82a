import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import {
  APPLICATION_REMOTE_KEYS,
  REMOTE_CREDENTIAL_KEYS,
  type ExternalSecretsSettings,
} from '../config/credentials.ts';
import { BEFORE_WORKLOADS, CREDENTIALS_CHECKSUM } from './gitops.ts';
import { names } from '../vocabulary/names.ts';

export interface ExternalSecretProps {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly settings: ExternalSecretsSettings;
  /** Changes when the credentials must be re-read: the operator refreshes on any annotation change. */
  readonly checksum: string;
}

export interface RemoteRefEntry {
  secretKey: string;
  remoteRef: {
    key: string;
    property: string;
    conversionStrategy: 'Default';
    decodingStrategy: 'None';
    metadataPolicy: 'None';
  };
}

/**
 * One Secret key read from the store. The three strategies are the values the operator's CRD
 * defaults them to: rendered, so the live object equals git's and Argo CD never shows it OutOfSync
 * (test/custom-resource-defaults.test.ts checks every default of every rendered custom resource).
 */
function remoteRefEntry(secretKey: string, key: string, property: string): RemoteRefEntry {
  return {
    secretKey,
    remoteRef: { key, property, conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' },
  };
}

/** Where each key of the server's Secret is read in the store. */
export function remoteRefs(e: ExternalSecretsSettings): RemoteRefEntry[] {
  return REMOTE_CREDENTIAL_KEYS.map((key) =>
    remoteRefEntry(key, e.remoteRefs[key]?.key ?? e.remoteKey, e.remoteRefs[key]?.property ?? key),
  );
}

/** Where the applications' Secret's password is read: the store key's `app-password` property unless remoteRefs says otherwise. */
export function applicationRemoteRefs(e: ExternalSecretsSettings): RemoteRefEntry[] {
  return APPLICATION_REMOTE_KEYS.map((key) =>
    remoteRefEntry('password', e.remoteRefs[key]?.key ?? e.remoteKey, e.remoteRefs[key]?.property ?? key),
  );
}

function externalSecretObject(
  p: ExternalSecretProps,
  name: string,
  templateData: Record<string, string>,
  data: RemoteRefEntry[],
): IExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name,
      namespace: p.namespace,
      labels: { ...p.labels },
      annotations: { ...BEFORE_WORKLOADS, [CREDENTIALS_CHECKSUM]: p.checksum },
    },
    spec: {
      refreshInterval: p.settings.refreshInterval,
      secretStoreRef: { kind: p.settings.storeRef.kind, name: p.settings.storeRef.name },
      target: {
        name,
        creationPolicy: 'Owner',
        // A secret deleted in the store must not take the database's credentials with it.
        deletionPolicy: 'Retain',
        template: {
          engineVersion: 'v2',
          mergePolicy: 'Merge',
          metadata: { labels: { ...p.labels } },
          data: templateData,
        },
      },
      data,
    },
  };
}

/**
 * External Secrets Operator ExternalSecrets producing the same Secrets, names and keys as the
 * placeholder generator: the server's (`database` from the settings, not a secret; the rest from the
 * store) and the applications' (`username` from the applicationRole setting, the password from the store).
 */
export function externalSecrets(
  p: ExternalSecretProps & { readonly database: string; readonly applicationRole: string },
): IExternalSecret[] {
  return [
    externalSecretObject(p, names.secret, { database: p.database }, remoteRefs(p.settings)),
    externalSecretObject(
      p,
      names.applicationSecret,
      { username: p.applicationRole },
      applicationRemoteRefs(p.settings),
    ),
  ];
}
