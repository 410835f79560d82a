import type { Settings } from '../config/environment.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { APPLICATION_SSLMODE } from '../k8s/tls.ts';
import type { Generator } from '../kustomize/kustomization.ts';
import { APPLICATION_CA_PATH } from '../vocabulary/paths.ts';
import type { CredentialKey } from '../vocabulary/secret-keys.ts';

/**
 * Committed credentials are placeholders for development clusters only: anyone with the
 * repository can read them. Replace the Secret for anything else (see docs/credentials.md).
 */
export const PLACEHOLDER_CREDENTIALS = {
  /**
   * The superuser: the database pods, the backup and restore jobs and the runbooks use it, applications
   * never (they log in as the applicationRole). The name predates the application role and stays:
   * a data directory keeps the superuser it was initialised with.
   */
  username: 'app_user',
  password: 'dev-only-placeholder-password',
  /** The streaming-replication role's password (used when replicas > 1). */
  'replication-password': 'dev-only-placeholder-replication-password',
  /** The metrics exporter's pg_monitor role's password (used when monitoring is on). */
  'monitoring-password': 'dev-only-placeholder-monitoring-password',
} as const satisfies Record<Exclude<CredentialKey, 'database'>, string>;

/** The application role's placeholder password (Secret postgresql-app; its username is the applicationRole setting). */
export const PLACEHOLDER_APPLICATION_PASSWORD = 'dev-only-placeholder-app-password';

/** What applications read through `envFrom`: the seed's DB_* variables. */
export function connectionLiterals(s: Settings): Record<string, string> {
  return {
    DB_TYPE: 'postgres',
    DB_HOST: `${names.service}.${s.namespace}.svc.cluster.local`,
    DB_PORT: String(POSTGRES_PORT),
    DB_NAME: s.database,
    // The application role, never the superuser; its password is the Secret postgresql-app's.
    DB_USER: s.applicationRole,
    // libpq's names for them: PGSSLMODE, PGSSLROOTCERT. verify-full checks the server's name
    // against the issuer's CA, which the application mounts there (docs/tls.md).
    DB_SSLMODE: s.tls.enabled ? APPLICATION_SSLMODE : 'disable',
    DB_SSLROOTCERT: s.tls.enabled ? APPLICATION_CA_PATH : '',
  };
}

export function credentialLiterals(s: Settings): Record<string, string> {
  return { database: s.database, ...PLACEHOLDER_CREDENTIALS };
}

export function applicationCredentialLiterals(s: Settings): Record<string, string> {
  return { username: s.applicationRole, password: PLACEHOLDER_APPLICATION_PASSWORD };
}

export const literalList = (literals: Record<string, string>): string[] =>
  Object.entries(literals).map(([key, value]) => `${key}=${value}`);

export function configGenerator(files: string[], behavior?: 'merge'): Generator {
  return { name: names.configMap, behavior, files };
}

export function connectionGenerator(literals: Record<string, string>, behavior?: 'merge'): Generator {
  return {
    name: names.connectionConfigMap,
    behavior,
    literals: literalList(literals),
    options: { disableNameSuffixHash: true },
  };
}

export function secretGenerator(
  literals: Record<string, string>,
  behavior?: 'merge',
  name: string = names.secret,
): Generator {
  return { name, behavior, literals: literalList(literals) };
}
