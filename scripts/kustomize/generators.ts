import type { Settings } from '../config/environment.ts';
import { names, POSTGRES_PORT } from '../k8s/names.ts';
import type { Generator } from './kustomization.ts';

/**
 * Committed credentials are placeholders for development clusters only: anyone with the
 * repository can read them. Replace the Secret for anything else (see README, "Credentials").
 */
export const PLACEHOLDER_CREDENTIALS = {
  username: 'app_user',
  password: 'dev-only-placeholder-password',
  /** The streaming-replication role's password (used when replicas > 1). */
  'replication-password': 'dev-only-placeholder-replication-password',
  /** The metrics exporter's pg_monitor role's password (used when monitoring is on). */
  'monitoring-password': 'dev-only-placeholder-monitoring-password',
} as const;

/** Every key of the credentials Secret, whatever creates it. */
export const CREDENTIAL_KEYS = ['database', ...Object.keys(PLACEHOLDER_CREDENTIALS)] as const;

/** What applications read through `envFrom`: the seed's DB_* variables. */
export function connectionLiterals(s: Settings): Record<string, string> {
  return {
    DB_TYPE: 'postgres',
    DB_HOST: `${names.service}.${s.namespace}.svc.cluster.local`,
    DB_PORT: String(POSTGRES_PORT),
    DB_NAME: s.database,
  };
}

export function credentialLiterals(s: Settings): Record<string, string> {
  return { database: s.database, ...PLACEHOLDER_CREDENTIALS };
}

export const literalList = (literals: Record<string, string>): string[] => Object.entries(literals).map(([key, value]) => `${key}=${value}`);

export function configGenerator(files: string[], behavior?: 'merge'): Generator {
  return { name: names.configMap, behavior, files };
}

export function connectionGenerator(literals: Record<string, string>, behavior?: 'merge'): Generator {
  return { name: names.connectionConfigMap, behavior, literals: literalList(literals), options: { disableNameSuffixHash: true } };
}

export function secretGenerator(literals: Record<string, string>, behavior?: 'merge'): Generator {
  return { name: names.secret, behavior, literals: literalList(literals) };
}
