import type { ParsedObject } from '../verify/schema.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from './errors.ts';
import type { Environment } from './environment.ts';
import { names } from '../vocabulary/names.ts';
import { APPLICATION_CREDENTIAL_KEYS, CREDENTIAL_KEYS } from '../vocabulary/secret-keys.ts';

/** The two Secrets a sealed-secrets environment provides, each from its own file. */
export interface SealedSecretKind {
  /** The credentials setting naming the file. */
  readonly field: 'sealedSecretFile' | 'applicationSealedSecretFile';
  readonly name: string;
  readonly keys: readonly string[];
  /** Keys that may stay readable in the template: not secrets, and checked against this setting. */
  readonly plaintext: Readonly<Record<string, 'database' | 'applicationRole'>>;
}

export const SERVER_SEALED_SECRET: SealedSecretKind = {
  field: 'sealedSecretFile',
  name: names.secret,
  keys: CREDENTIAL_KEYS,
  plaintext: { database: 'database' },
};
export const APPLICATION_SEALED_SECRET: SealedSecretKind = {
  field: 'applicationSealedSecretFile',
  name: names.applicationSecret,
  keys: APPLICATION_CREDENTIAL_KEYS,
  plaintext: { username: 'applicationRole' },
};
const CLUSTER_WIDE = 'sealedsecrets.bitnami.com/cluster-wide';
const NAMESPACE_WIDE = 'sealedsecrets.bitnami.com/namespace-wide';
/** kubeseal's ciphertext: base64 of an RSA-encrypted session key (hundreds of bytes) and the sealed value. */
const CIPHERTEXT = /^[A-Za-z0-9+/]{128,}={0,2}$/;

export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

export interface SealedSecretFile {
  /** The SealedSecret as the user sealed it. */
  readonly object: ParsedObject;
  /** The file, relative to the project, for messages and comments. */
  readonly source: string;
  readonly scope: SealingScope;
}

/** A key the Secret needs and where it is: sealed, or readable in the template. */
function keysOf(object: ParsedObject): { sealed: string[]; plain: string[] } {
  return {
    sealed: Object.keys(object.spec?.encryptedData ?? {}),
    plain: Object.keys(object.spec?.template?.data ?? {}),
  };
}

export function sealingScope(object: ParsedObject): SealingScope {
  const annotations = object.metadata?.annotations ?? {};
  if (annotations[CLUSTER_WIDE] === 'true') return 'cluster-wide';
  if (annotations[NAMESPACE_WIDE] === 'true') return 'namespace-wide';
  return 'strict';
}

/** Every reason the SealedSecret cannot be the environment's credentials Secret. */
export function sealedSecretProblems(
  object: ParsedObject,
  environment: Environment,
  kind: SealedSecretKind = SERVER_SEALED_SECRET,
): string[] {
  const expectedName = kind.name;
  const KEYS = kind.keys;
  const problems: string[] = [];
  if (object?.apiVersion !== 'bitnami.com/v1alpha1' || object?.kind !== 'SealedSecret') {
    return [`must hold one bitnami.com/v1alpha1 SealedSecret, got ${object?.apiVersion ?? '?'} ${object?.kind ?? '?'}`];
  }
  const name = object.metadata?.name;
  if (name !== expectedName)
    problems.push(
      `metadata.name is ${JSON.stringify(name)}; the pods read "${expectedName}" (re-seal it under that name)`,
    );
  const templateName = object.spec?.template?.metadata?.name;
  if (templateName !== undefined && templateName !== expectedName)
    problems.push(`spec.template.metadata.name is ${JSON.stringify(templateName)}; it must be "${expectedName}"`);
  const scope = sealingScope(object);
  const namespace = object.metadata?.namespace;
  if (scope !== 'cluster-wide' && namespace !== environment.namespace) {
    problems.push(
      `sealed with ${scope} scope for namespace ${JSON.stringify(namespace ?? null)}, but ${environment.name} deploys to "${environment.namespace}": ` +
        `only that namespace's controller can decrypt it; re-seal with \`kubeseal --namespace ${environment.namespace}\``,
    );
  }
  const type = object.spec?.template?.type;
  if (type !== undefined && type !== 'Opaque')
    problems.push(`spec.template.type is ${JSON.stringify(type)}; the credentials Secret is Opaque`);
  const { sealed, plain } = keysOf(object);
  const present = [...sealed, ...plain];
  const missing = KEYS.filter((key) => !present.includes(key));
  const unknown = present.filter((key) => !KEYS.includes(key));
  if (missing.length) problems.push(`missing keys ${missing.join(', ')}; the Secret needs ${KEYS.join(', ')}`);
  if (unknown.length) problems.push(`unknown keys ${unknown.join(', ')}; the Secret has exactly ${KEYS.join(', ')}`);
  for (const key of plain.filter((key) => !(key in kind.plaintext))) {
    problems.push(`spec.template.data.${key} is readable by anyone with the repository; seal it (spec.encryptedData)`);
  }
  for (const [key, setting] of Object.entries(kind.plaintext)) {
    if (plain.includes(key) && object.spec.template.data[key] !== environment[setting]) {
      problems.push(
        `spec.template.data.${key} is ${JSON.stringify(object.spec.template.data[key])}, but the environment's ${setting} is "${environment[setting]}"`,
      );
    }
  }
  for (const key of sealed) {
    if (!CIPHERTEXT.test(String(object.spec.encryptedData[key]))) {
      problems.push(
        `spec.encryptedData.${key} is not kubeseal ciphertext (long base64); never put a plain or base64-encoded value there`,
      );
    }
  }
  return problems;
}

/**
 * Reads and checks the environment's SealedSecret file (credentials.sealedSecretFile, relative to
 * the environment file). Throws a ConfigError naming the environment, the field and the problem.
 */
export function readSealedSecret(
  environment: Environment,
  projectRoot: string,
  kind: SealedSecretKind = SERVER_SEALED_SECRET,
): SealedSecretFile {
  const file = path.join(
    path.dirname(path.resolve(projectRoot, environment.source)),
    environment.credentials[kind.field]!,
  );
  const source = path.relative(projectRoot, file).split(path.sep).join('/');
  const fail = (message: string) =>
    new ConfigError([`${environment.name}: credentials.${kind.field}: ${source}: ${message}`]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); seal the Secret with kubeseal and save it there`,
    );
  }
  const documents = parseAllDocuments(text);
  const errors = Array.isArray(documents) ? documents.flatMap((document) => document.errors) : [];
  const objects = Array.isArray(documents)
    ? documents.map((document) => document.toJS()).filter((object) => object !== null)
    : [];
  if (errors.length) throw fail(`is not valid YAML: ${errors[0].message}`);
  if (objects.length !== 1) throw fail(`must hold exactly one SealedSecret, found ${objects.length} documents`);
  const problems = sealedSecretProblems(objects[0], environment, kind);
  if (problems.length)
    throw new ConfigError(
      problems.map((problem) => `${environment.name}: credentials.${kind.field}: ${source}: ${problem}`),
    );
  return { object: objects[0], source, scope: sealingScope(objects[0]) };
}

/**
 * An environment with both its SealedSecret files read and checked (source sealed-secrets; any other
 * source is returned as it is). Every problem of both files in one ConfigError: config/load.ts calls
 * it before anything is rendered, so the overlay assembly never reads a file.
 */
export function withSealedSecrets(environment: Environment, projectRoot: string): Environment {
  if (environment.credentials.source !== 'sealed-secrets') return environment;
  const problems: string[] = [];
  const read = (kind: SealedSecretKind): SealedSecretFile | undefined => {
    try {
      return readSealedSecret(environment, projectRoot, kind);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const server = read(SERVER_SEALED_SECRET);
  const application = read(APPLICATION_SEALED_SECRET);
  if (problems.length) throw new ConfigError(problems);
  return { ...environment, sealedSecrets: { server: server!, application: application! } };
}
