import { createHash } from 'node:crypto';
import { objectYaml } from '../../scripts/output/yaml.ts';

/** Stand-in ciphertext shaped like kubeseal's (long base64 starting "Ag"); it decrypts to nothing. */
export function fakeCiphertext(seed: string): string {
  let bytes = Buffer.alloc(0);
  for (let i = 0; bytes.length < 600; i++)
    bytes = Buffer.concat([bytes, createHash('sha512').update(`${seed}/${i}`).digest()]);
  return Buffer.concat([Buffer.from([0x02, 0x00]), bytes]).toString('base64');
}

export interface SealedSecretFixture {
  readonly name?: string;
  readonly namespace?: string;
  readonly keys?: readonly string[];
  readonly annotations?: Record<string, string>;
  /** Readable template values. */
  readonly templateData?: Record<string, string>;
  /** Changes every ciphertext, as re-sealing does. */
  readonly seed?: string;
}

/** A SealedSecret file as `kubeseal -o yaml` writes it, for the credentials Secret by default. */
export function sealedSecretYaml(f: SealedSecretFixture = {}): string {
  const name = f.name ?? 'postgresql-secret';
  const namespace = f.namespace ?? 'project-template';
  const keys = f.keys ?? ['database', 'username', 'password', 'replication-password', 'monitoring-password'];
  return objectYaml({
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, namespace, ...(f.annotations ? { annotations: f.annotations } : {}) },
    spec: {
      encryptedData: Object.fromEntries(keys.map((key) => [key, fakeCiphertext(`${f.seed ?? 'one'}/${key}`)])),
      template: { metadata: { name, namespace }, type: 'Opaque', ...(f.templateData ? { data: f.templateData } : {}) },
    },
  });
}
