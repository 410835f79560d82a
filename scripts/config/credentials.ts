import type { Settings } from './environment.ts';
import { CREDENTIAL_KEYS } from '../vocabulary/secret-keys.ts';

/**
 * Where an environment's credentials Secret (postgresql-secret) comes from:
 * - generator: a kustomize secretGenerator with the committed PLACEHOLDER values (development only);
 * - external-secrets: an External Secrets Operator ExternalSecret that writes the Secret from a store;
 * - sealed-secrets: a SealedSecret file the user provides (encrypted for one cluster);
 * - existing: a Secret created out of band; the bundle renders none.
 */
export const CREDENTIAL_SOURCES = ['generator', 'external-secrets', 'sealed-secrets', 'existing'] as const;
export type CredentialSource = (typeof CREDENTIAL_SOURCES)[number];

export const STORE_KINDS = ['ClusterSecretStore', 'SecretStore'] as const;

/** Where one Secret key is read from in the external store. */
export interface RemoteRef {
  /** @default the environment's `remoteKey` */
  readonly key?: string;
  /** @default the Secret key's own name, e.g. "password" */
  readonly property?: string;
}

export interface ExternalSecretsSettings {
  /** The SecretStore (same namespace) or ClusterSecretStore to read from. @default { kind: "ClusterSecretStore", name: "platform-secrets" } */
  readonly storeRef: { readonly kind: (typeof STORE_KINDS)[number]; readonly name: string };
  /** The store's secret that holds the credentials, one property per Secret key. @default "postgresql" */
  readonly remoteKey: string;
  /** Exceptions to `remoteKey`/property, by Secret key (e.g. `{ password: { key: "db/admin", property: "pw" } }`). @default {} */
  readonly remoteRefs: Readonly<Record<string, RemoteRef>>;
  /** How often the operator re-reads the store (a Go duration). @default "1h" */
  readonly refreshInterval: string;
}

export interface CredentialsSettings {
  /** @default "external-secrets": nothing committed is ever a real credential */
  readonly source: CredentialSource;
  /** Source "generator" only: accept the committed placeholder values for this environment. @default false */
  readonly allowPlaceholder: boolean;
  /**
   * Bump after rotating the credentials (docs/credentials.md): the pods restart to read them
   * and an ExternalSecret re-reads its store at once. @default 1
   */
  readonly revision: number;
  /** Source "external-secrets". */
  readonly externalSecrets: ExternalSecretsSettings;
  /** Source "sealed-secrets": the SealedSecret file, relative to the environment file's directory. */
  readonly sealedSecretFile?: string;
  /** Source "sealed-secrets": the applications' SealedSecret (postgresql-app: username, password), likewise. */
  readonly applicationSealedSecretFile?: string;
}

/** The keys an external store provides; `database` is not a secret and comes from the settings. */
export const REMOTE_CREDENTIAL_KEYS: readonly string[] = CREDENTIAL_KEYS.filter((key) => key !== 'database');
/** The store's properties for the applications' Secret (postgresql-app); its username is the applicationRole setting. */
export const APPLICATION_REMOTE_KEYS: readonly string[] = ['app-password'];
const REMOTE_REF_KEYS = [...REMOTE_CREDENTIAL_KEYS, ...APPLICATION_REMOTE_KEYS];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GO_DURATION = /^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;
const quoted = (values: readonly string[]) => values.map((value) => `"${value}"`).join(', ');
const text = (value: unknown) => typeof value === 'string' && value.trim().length > 0;

/** Every problem with the credentials settings, as [field path, message] pairs. */
export function credentialsProblems(s: Settings): [string, string][] {
  const c = s.credentials;
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([`credentials.${field}`, message]);
  if (!CREDENTIAL_SOURCES.includes(c.source)) {
    report('source', `must be one of ${CREDENTIAL_SOURCES.join(', ')}, got ${JSON.stringify(c.source)}`);
    return problems;
  }
  if (c.source === 'generator' && c.allowPlaceholder !== true) {
    report(
      'source',
      '"generator" commits PLACEHOLDER credentials that anyone with the repository can read; ' +
        'set credentials.allowPlaceholder: true for this environment (development clusters only), ' +
        'or choose external-secrets, sealed-secrets or existing',
    );
  }
  if (typeof c.allowPlaceholder !== 'boolean')
    report('allowPlaceholder', `must be true or false, got ${JSON.stringify(c.allowPlaceholder)}`);
  if (!Number.isInteger(c.revision) || c.revision < 1)
    report('revision', `must be a whole number of at least 1, got ${JSON.stringify(c.revision)}`);
  if (c.source === 'external-secrets') problems.push(...externalSecretsProblems(c.externalSecrets));
  if (c.source === 'sealed-secrets' && !(text(c.sealedSecretFile) && /\.ya?ml$/.test(c.sealedSecretFile!))) {
    report(
      'sealedSecretFile',
      `source "sealed-secrets" needs the SealedSecret's YAML file (relative to the environment file), got ${JSON.stringify(c.sealedSecretFile)}`,
    );
  }
  if (
    c.source === 'sealed-secrets' &&
    !(text(c.applicationSealedSecretFile) && /\.ya?ml$/.test(c.applicationSealedSecretFile!))
  ) {
    report(
      'applicationSealedSecretFile',
      `source "sealed-secrets" needs the applications' SealedSecret (postgresql-app: username, password) as a YAML file (relative to the environment file), got ${JSON.stringify(c.applicationSealedSecretFile)}`,
    );
  }
  for (const field of ['sealedSecretFile', 'applicationSealedSecretFile'] as const) {
    if (c.source !== 'sealed-secrets' && c[field] !== undefined)
      report(field, `is only read with source "sealed-secrets"; the source is "${c.source}"`);
  }
  return problems;
}

function externalSecretsProblems(e: ExternalSecretsSettings): [string, string][] {
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([`credentials.externalSecrets.${field}`, message]);
  if (!STORE_KINDS.includes(e.storeRef?.kind))
    report('storeRef.kind', `must be one of ${STORE_KINDS.join(', ')}, got ${JSON.stringify(e.storeRef?.kind)}`);
  if (!(typeof e.storeRef?.name === 'string' && DNS_SUBDOMAIN.test(e.storeRef.name))) {
    report(
      'storeRef.name',
      `must be the name of a ${e.storeRef?.kind ?? 'secret store'} (lowercase DNS subdomain), got ${JSON.stringify(e.storeRef?.name)}`,
    );
  }
  if (!text(e.remoteKey))
    report(
      'remoteKey',
      `must name the store's secret holding the credentials (e.g. "postgresql/prod"), got ${JSON.stringify(e.remoteKey)}`,
    );
  if (!(typeof e.refreshInterval === 'string' && GO_DURATION.test(e.refreshInterval))) {
    report(
      'refreshInterval',
      `must be a duration such as "1h" or "15m" ("0" reads the store once), got ${JSON.stringify(e.refreshInterval)}`,
    );
  }
  if (e.remoteRefs === null || typeof e.remoteRefs !== 'object' || Array.isArray(e.remoteRefs)) {
    report('remoteRefs', 'must be an object of { key?, property? } by Secret key');
    return problems;
  }
  for (const [key, ref] of Object.entries(e.remoteRefs)) {
    if (!REMOTE_REF_KEYS.includes(key)) {
      report(
        `remoteRefs.${key}`,
        `unknown Secret key; allowed: ${quoted(REMOTE_REF_KEYS)} (database comes from the "database" setting, the application's username from "applicationRole")`,
      );
    } else if (
      ref === null ||
      typeof ref !== 'object' ||
      ![ref.key, ref.property].every((value) => value === undefined || text(value))
    ) {
      report(`remoteRefs.${key}`, 'must be { key?: string, property?: string } with non-empty strings');
    }
  }
  return problems;
}
