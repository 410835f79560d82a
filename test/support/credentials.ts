/**
 * How an environment's rendered objects provide the credentials Secret its pods read, whichever
 * source renders it: a generated Secret, an ExternalSecret, a SealedSecret, or none (`existing`).
 */
export interface RenderedCredentials {
  /** The Secret name the pods must reference. */
  readonly secretName: string;
  /** Keys the Secret will have; undefined when the bundle renders nothing (`existing`). */
  readonly keys?: readonly string[];
  /** The database key's value, when it is readable in git. */
  readonly database?: string;
  /** Every value, when git holds them (only the placeholder generator). */
  readonly values?: Readonly<Record<string, string>>;
  readonly renderedBy: 'Secret' | 'ExternalSecret' | 'SealedSecret' | 'nothing';
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** The server's Secret (postgresql-secret) by default; `name` picks another, such as the applications' postgresql-app. */
export function renderedCredentials(objects: Record<string, any>[], name = 'postgresql-secret'): RenderedCredentials {
  const named = (o: Record<string, any>) =>
    o.metadata.name === name || o.spec?.target?.name === name || o.spec?.template?.metadata?.name === name;
  const secret = objects.find(
    (o) => o.kind === 'Secret' && new RegExp(`^${name}(-[a-z0-9]{10})?$`).test(o.metadata.name),
  );
  if (secret) {
    const values = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([key, value]) => [key, decode(value)]),
    );
    return {
      secretName: secret.metadata.name,
      keys: Object.keys(values),
      database: values.database,
      values,
      renderedBy: 'Secret',
    };
  }
  const external = objects.find((o) => o.kind === 'ExternalSecret' && named(o));
  if (external) {
    const template = external.spec.target.template?.data ?? {};
    const keys = [...external.spec.data.map((entry: any) => entry.secretKey), ...Object.keys(template)];
    return {
      secretName: external.spec.target.name ?? external.metadata.name,
      keys,
      database: template.database,
      renderedBy: 'ExternalSecret',
    };
  }
  const sealed = objects.find((o) => o.kind === 'SealedSecret' && named(o));
  if (sealed) {
    const template = sealed.spec.template?.data ?? {};
    const keys = [...Object.keys(sealed.spec.encryptedData), ...Object.keys(template)];
    return {
      secretName: sealed.spec.template?.metadata?.name ?? sealed.metadata.name,
      keys,
      database: template.database,
      renderedBy: 'SealedSecret',
    };
  }
  return { secretName: name, renderedBy: 'nothing' };
}
