/**
 * Keys of the Secrets the bundle reads, whatever writes them (a generator, an ExternalSecret, a
 * SealedSecret, an operator): the settings check against them, the pods read them.
 */

/**
 * The server's Secret (postgresql-secret): the superuser's database, username and password, the
 * streaming-replication role's password (replicas > 1) and the metrics exporter's (monitoring on).
 */
export const CREDENTIAL_KEYS = [
  'database',
  'username',
  'password',
  'replication-password',
  'monitoring-password',
] as const;
export type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** Keys of the applications' Secret, postgresql-app. */
export const APPLICATION_CREDENTIAL_KEYS = ['username', 'password'] as const;

/** The pgBackRest repository's Secret: the S3 key, its secret, the encryption passphrase. */
export const PITR_SECRET_KEYS = { s3Key: 's3-key', s3KeySecret: 's3-key-secret', cipherPass: 'cipher-pass' } as const;
