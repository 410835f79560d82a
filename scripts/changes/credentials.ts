import { CREDENTIALS_CHECKSUM } from '../k8s/gitops.ts';
import { names } from '../vocabulary/names.ts';
import { change, consequence, type Consequence } from './consequence.ts';
import { findObject, findStatefulSet, rollout, type RenderedObject } from './rendered-objects.ts';

/**
 * What git says about each key of the credentials Secret, whichever source renders it: enough to
 * tell that a key changed, never its value (only database is shown, and it is no secret).
 */
interface CredentialsInGit {
  readonly source: string;
  /** A fingerprint per Secret key: the value, the store reference or the ciphertext. */
  readonly keys: Readonly<Record<string, string>>;
  readonly database?: string;
  /** The pod template's checksum/credentials: what rolls the pods when the Secret's name is stable. */
  readonly checksum?: string;
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

function credentialsInGit(objects: readonly RenderedObject[]): CredentialsInGit {
  const checksum = findStatefulSet(objects)?.spec?.template?.metadata?.annotations?.[CREDENTIALS_CHECKSUM];
  const secret = findObject(objects, 'Secret', names.secret);
  if (secret) {
    const data: Record<string, string> = secret.data ?? {};
    return { source: 'a generated Secret', keys: data, database: data.database && decode(data.database), checksum };
  }
  const external = findObject(objects, 'ExternalSecret', names.secret);
  if (external) {
    const template: Record<string, string> = external.spec?.target?.template?.data ?? {};
    // Where a value is read, not how: the strategies the operator defaults (rendered since) change no value.
    const refs = (external.spec?.data ?? []).map((entry: RenderedObject) => [
      entry.secretKey,
      JSON.stringify([external.spec.secretStoreRef, { key: entry.remoteRef.key, property: entry.remoteRef.property }]),
    ]);
    return {
      source: 'an ExternalSecret',
      keys: { ...Object.fromEntries(refs), ...template },
      database: template.database,
      checksum,
    };
  }
  const sealed = findObject(objects, 'SealedSecret', names.secret);
  if (sealed) {
    const template: Record<string, string> = sealed.spec?.template?.data ?? {};
    return {
      source: 'a SealedSecret',
      keys: { ...sealed.spec?.encryptedData, ...template },
      database: template.database,
      checksum,
    };
  }
  return { source: 'a Secret made out of band', keys: {}, checksum };
}

/** What a person must do in the database before the pods read a changed key. */
const ADVICE: Readonly<Record<string, string>> = {
  database:
    'POSTGRES_DB creates a database only in an empty data directory: create the new one on the primary (CREATE DATABASE) before the sync.',
  username:
    'If the user name is new, create its role on the primary before the sync (POSTGRES_USER creates it only in an empty data directory).',
  password:
    'The roles keep their old passwords (POSTGRES_PASSWORD and the role scripts run only on an empty data directory): ' +
    'set the new ones on the primary with ALTER ROLE before the sync, or the restarted standbys (replication-password), the exporter (monitoring-password), ' +
    'backups and clients (password) cannot log in.',
};

/**
 * Credentials reach PostgreSQL only when a data directory is initialised. A Secret that changes
 * afterwards restarts the pods (a new hash suffix, or checksum/credentials) with values the
 * database does not know yet, unless the roles were changed first (docs/credentials.md#when-credentials-change).
 */
export function credentialsConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [credentialsInGit(before), credentialsInGit(after)];
  const keys = [...new Set([...Object.keys(old.keys), ...Object.keys(now.keys)])];
  // A new source may hold new values for every key, but a database name readable on both sides is known.
  const changedKeys =
    old.source === now.source
      ? keys.filter((key) => old.keys[key] !== now.keys[key])
      : keys.filter((key) => key !== 'database' || old.database !== now.database);
  const secretKeys = changedKeys.filter((key) => key !== 'database');
  const what: string[] = [];
  if (old.source !== now.source)
    what.push(`the Secret comes from ${now.source}, no longer ${old.source}: every key may hold a new value`);
  else if (secretKeys.length) what.push(`${secretKeys.join(', ')} changed in git`);
  else if (old.checksum !== now.checksum && !changedKeys.length)
    what.push(
      `${CREDENTIALS_CHECKSUM} ${change(old.checksum, now.checksum)}: credentials.revision was bumped: the values behind the Secret changed`,
    );
  if (old.database !== now.database && now.database !== undefined)
    what.push(`database ${change(old.database, now.database)}`);
  if (what.length === 0) return [];

  const advice = [
    ...(changedKeys.includes('database') ? [ADVICE.database] : []),
    ...(changedKeys.includes('username') ? [ADVICE.username] : []),
    ...(secretKeys.some((key) => key.endsWith('password')) || changedKeys.length === 0 ? [ADVICE.password] : []),
  ];
  const statefulSet = findStatefulSet(after);
  const restart = statefulSet ? ` Then ${rollout(statefulSet)}.` : '';
  return [
    consequence(environment, 'credentials', `${what.join('; ')}. ${advice.join(' ')}${restart}`, 'rotatePasswords'),
  ];
}
