import { STORE_KINDS, type ExternalSecretsSettings } from './credentials.ts';
import { cronProblem } from './cron.ts';
import type { Settings } from './environment.ts';

/**
 * Where the repository Secret (postgresql-pgbackrest-repository: the S3 key, its secret and the encryption
 * passphrase) comes from, as for the database credentials; never "generator": a committed key
 * would give anyone with the repository every backup.
 */
export const PITR_CREDENTIAL_SOURCES = ['external-secrets', 'existing'] as const;
export const URI_STYLES = ['host', 'path'] as const;
export const TLS_SOURCES = ['cert-manager', 'existing'] as const;
export const ISSUER_KINDS = ['ClusterIssuer', 'Issuer'] as const;

/** The S3 repository's CA, when it is not one the image already trusts. */
export interface CaReference {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
  readonly key: string;
}

export interface PitrRepositorySettings {
  /** Host (and port) of the S3 API, without scheme: "s3.eu-west-1.amazonaws.com". @default "" (required when enabled) */
  readonly endpoint: string;
  /** @default "" (required when enabled) */
  readonly bucket: string;
  /** @default "us-east-1" */
  readonly region: string;
  /** Path inside the bucket; one per environment, never shared. @default "/postgresql" */
  readonly path: string;
  /** "host" (bucket.endpoint, AWS) or "path" (endpoint/bucket, most S3-compatible servers). @default "host" */
  readonly uriStyle: (typeof URI_STYLES)[number];
  /** The endpoint's CA; null trusts the image's CA bundle. @default null */
  readonly ca: CaReference | null;
  /** @default true */
  readonly verifyTls: boolean;
}

export interface PitrSettings {
  /** pgBackRest WAL archiving and backups to S3 (Component "pitr"). @default false */
  readonly enabled: boolean;
  readonly repository: PitrRepositorySettings;
  /** The Secret postgresql-pgbackrest-repository (keys s3-key, s3-key-secret, cipher-pass). */
  readonly credentials: {
    /** @default "external-secrets" */
    readonly source: (typeof PITR_CREDENTIAL_SOURCES)[number];
    /** @default the database credentials' store, remote key "postgresql-pgbackrest" */
    readonly externalSecrets: ExternalSecretsSettings;
  };
  /** Repository encryption (aes-256-cbc), passphrase from the Secret's cipher-pass. @default true */
  readonly encryption: boolean;
  /**
   * Cron schedules (UTC). Differential rather than incremental: a restore needs the full backup and
   * one differential, never a chain whose every link must be intact.
   * @default full "0 2 * * 0" (Sunday 02:00), differential "0 2 * * 1-6"
   */
  readonly schedule: { readonly full: string; readonly differential: string };
  /** Days of recoverability kept (time-based full retention; WAL expires with the backups). @default 7 */
  readonly retentionDays: number;
  /** The TLS certificates of pgBackRest's server (sidecar) and of the backup job (client). */
  readonly tls: {
    /** @default "cert-manager" */
    readonly source: (typeof TLS_SOURCES)[number];
    /** @default { kind: "ClusterIssuer", name: "platform-ca" } */
    readonly issuerRef: { readonly kind: (typeof ISSUER_KINDS)[number]; readonly name: string };
  };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENDPOINT = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/i;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** Set by the pitr Component (archiving.conf) once it is enabled: an environment may not. */
export const ARCHIVING_PARAMETERS = [
  'archive_mode',
  'archive_command',
  'archive_timeout',
  'restore_command',
  'archive_library',
] as const;

const json = (value: unknown) => JSON.stringify(value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem with the `pitr` settings, as [field path, message] pairs. */
export function pitrProblems(s: Settings): [string, string][] {
  const p = s.pitr;
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([`pitr.${field}`, message]);
  if (!isObject(p)) return [['pitr', 'must be an object such as { enabled: true, repository: { endpoint, bucket } }']];
  if (typeof p.enabled !== 'boolean') report('enabled', `must be true or false, got ${json(p.enabled)}`);
  if (typeof p.encryption !== 'boolean') report('encryption', `must be true or false, got ${json(p.encryption)}`);
  const schedule = p.schedule ?? ({} as PitrSettings['schedule']);
  for (const kind of ['full', 'differential'] as const) {
    const problem = cronProblem(schedule[kind]);
    if (problem) report(`schedule.${kind}`, problem);
  }
  if (!(Number.isInteger(p.retentionDays) && p.retentionDays >= 1 && p.retentionDays <= 9999999)) {
    report(
      'retentionDays',
      `must be a whole number of days, at least 1 (how far back a restore can go), got ${json(p.retentionDays)}`,
    );
  }
  problems.push(...repositoryProblems(p.repository, p.enabled === true));
  const c = p.credentials;
  if (!isObject(c) || !PITR_CREDENTIAL_SOURCES.includes(c.source)) {
    report(
      'credentials.source',
      `must be one of ${PITR_CREDENTIAL_SOURCES.join(', ')} (never a committed key), got ${json(c?.source)}`,
    );
  } else if (c.source === 'external-secrets') {
    const e = c.externalSecrets;
    if (!STORE_KINDS.includes(e?.storeRef?.kind))
      report(
        'credentials.externalSecrets.storeRef.kind',
        `must be one of ${STORE_KINDS.join(', ')}, got ${json(e?.storeRef?.kind)}`,
      );
    if (!(typeof e?.storeRef?.name === 'string' && DNS_SUBDOMAIN.test(e.storeRef.name)))
      report(
        'credentials.externalSecrets.storeRef.name',
        `must be a secret store's name (lowercase DNS subdomain), got ${json(e?.storeRef?.name)}`,
      );
    if (!(typeof e?.remoteKey === 'string' && e.remoteKey.trim()))
      report(
        'credentials.externalSecrets.remoteKey',
        `must name the store's secret holding s3-key, s3-key-secret and cipher-pass, got ${json(e?.remoteKey)}`,
      );
  }
  const tls = p.tls;
  if (!isObject(tls) || !TLS_SOURCES.includes(tls.source)) {
    report('tls.source', `must be one of ${TLS_SOURCES.join(', ')}, got ${json(tls?.source)}`);
  } else if (tls.source === 'cert-manager') {
    if (!ISSUER_KINDS.includes(tls.issuerRef?.kind))
      report('tls.issuerRef.kind', `must be one of ${ISSUER_KINDS.join(', ')}, got ${json(tls.issuerRef?.kind)}`);
    if (!(typeof tls.issuerRef?.name === 'string' && DNS_SUBDOMAIN.test(tls.issuerRef.name)))
      report(
        'tls.issuerRef.name',
        `must be a cert-manager issuer's name (lowercase DNS subdomain), got ${json(tls.issuerRef?.name)}`,
      );
  }
  if (p.enabled === true) {
    for (const name of ARCHIVING_PARAMETERS) {
      if (s.postgresql && Object.hasOwn(s.postgresql, name)) {
        problems.push([
          `postgresql.${name}`,
          'set by the bundle when pitr.enabled is true (archiving to pgBackRest from the first boot): remove it',
        ]);
      }
    }
  }
  return problems;
}

function repositoryProblems(r: PitrRepositorySettings | undefined, enabled: boolean): [string, string][] {
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([`pitr.repository.${field}`, message]);
  if (!isObject(r))
    return [
      ['pitr.repository', 'must be an object such as { endpoint: "s3.eu-west-1.amazonaws.com", bucket: "backups" }'],
    ];
  // Empty endpoint and bucket are the defaults: they only matter in an environment that archives.
  if (enabled || r.endpoint !== '') {
    if (!(typeof r.endpoint === 'string' && ENDPOINT.test(r.endpoint)))
      report(
        'endpoint',
        `must be the S3 API's host, with an optional port and no scheme, such as "s3.eu-west-1.amazonaws.com" or "minio.storage:9000", got ${json(r.endpoint)}`,
      );
  }
  if (enabled || r.bucket !== '') {
    if (!(typeof r.bucket === 'string' && BUCKET.test(r.bucket)))
      report(
        'bucket',
        `must be an S3 bucket name (3-63 lowercase letters, digits, "." and "-"), got ${json(r.bucket)}`,
      );
  }
  if (!(typeof r.region === 'string' && /^[a-z0-9-]+$/.test(r.region)))
    report(
      'region',
      `must be a region such as "eu-west-1" (S3-compatible servers usually accept "us-east-1"), got ${json(r.region)}`,
    );
  if (
    !(
      typeof r.path === 'string' &&
      /^\/[-_.a-zA-Z0-9/]*$/.test(r.path) &&
      !r.path.includes('//') &&
      !/\/\.\.?(\/|$)/.test(r.path)
    )
  ) {
    report(
      'path',
      `must be an absolute path inside the bucket such as "/prod" (letters, digits, "-", "_", ".", "/"), got ${json(r.path)}`,
    );
  }
  if (!URI_STYLES.includes(r.uriStyle))
    report('uriStyle', `must be "host" (bucket.endpoint, AWS) or "path" (endpoint/bucket), got ${json(r.uriStyle)}`);
  if (typeof r.verifyTls !== 'boolean') report('verifyTls', `must be true or false, got ${json(r.verifyTls)}`);
  if (r.ca !== null) {
    const ca = r.ca;
    const valid =
      isObject(ca) &&
      ['Secret', 'ConfigMap'].includes(ca.kind) &&
      typeof ca.name === 'string' &&
      DNS_SUBDOMAIN.test(ca.name) &&
      typeof ca.key === 'string' &&
      SECRET_KEY.test(ca.key);
    if (!valid)
      report(
        'ca',
        `must be null (the image's CA bundle) or { kind: "Secret" | "ConfigMap", name, key } naming the CA certificate's PEM, got ${json(ca)}`,
      );
  }
  return problems;
}
