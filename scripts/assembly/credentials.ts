import { createHash } from 'node:crypto';
import type { Environment } from '../config/environment.ts';
import { externalSecrets, remoteRefs } from '../k8s/external-secret.ts';
import { BEFORE_WORKLOADS, CREDENTIALS_CHECKSUM } from '../k8s/gitops.ts';
import { metadataLabels } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml } from '../output/yaml.ts';
import { applicationCredentialLiterals, credentialLiterals, secretGenerator } from './generators.ts';
import type { Generator } from '../kustomize/kustomization.ts';
import { pointerSegment, statefulSetTarget, type Patch } from '../kustomize/patches.ts';
import type { SealedSecretFile } from '../config/sealed-secret.ts';

/** An overlay resource and the line above its entry. */
export interface OverlayResource {
  readonly path: string;
  readonly comment: string;
}

/** What an environment's overlay holds for its credentials source. */
export interface CredentialParts {
  readonly resources: readonly OverlayResource[];
  readonly secretGenerators: readonly { readonly generator: Generator; readonly comment: string }[];
  readonly patches: readonly Patch[];
  /** Paths relative to overlays/<env>/. */
  readonly files: FileTree;
}

/** A short digest of what determines the credentials' values; rendered so reviewers see it change. */
export function credentialsChecksum(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/**
 * The Secret's name has no hash suffix with these sources, so nothing would restart the pods when
 * the credentials change: this annotation on the pod template does, whenever what git says about
 * them changes (another store key, a re-sealed file, a bumped `credentials.revision`).
 */
function restartPatch(checksum: string): Patch {
  return {
    file: 'patches/credentials.yaml',
    comment:
      'Restarts the pods when the credentials change in git: their Secret has no hash suffix (docs/credentials.md).',
    target: statefulSetTarget,
    // The base pod template always has annotations, so "add" sets this one key beside the others.
    body: [
      {
        op: 'add',
        path: `/spec/template/metadata/annotations/${pointerSegment(CREDENTIALS_CHECKSUM)}`,
        value: checksum,
      },
    ],
  };
}

/**
 * The credentials source is per environment, so it lives in the overlay, never in the base:
 * a base without a Secret cannot leak placeholder values into an environment that does not want them.
 */
export function credentialParts(environment: Environment): CredentialParts {
  const c = environment.credentials;
  const labels = metadataLabels(environment.image.tag);
  switch (c.source) {
    case 'generator': {
      // The namespace is explicit: the base's namespace does not reach objects generated in the overlay.
      const generator = (literals: Record<string, string>, name?: string) => {
        const { name: secretName, literals: list } = secretGenerator(literals, undefined, name);
        return { name: secretName, namespace: environment.namespace, literals: list, options: { labels } };
      };
      return {
        resources: [],
        secretGenerators: [
          {
            generator: generator(credentialLiterals(environment)),
            comment:
              'PLACEHOLDER credentials, for development clusters only (credentials.allowPlaceholder): see docs/credentials.md.',
          },
          {
            generator: generator(applicationCredentialLiterals(environment), names.applicationSecret),
            comment: 'PLACEHOLDER password of the application role, what applications read (docs/credentials.md).',
          },
        ],
        patches: [],
        files: new Map(),
      };
    }
    case 'external-secrets': {
      const e = c.externalSecrets;
      // The server's Secret only: the database reads postgresql-app only when it initialises, so a new
      // application password is no reason to restart it. Where a value is read, not the strategies.
      const data = remoteRefs(e).map(({ secretKey, remoteRef: { key, property } }) => ({
        secretKey,
        remoteRef: { key, property },
      }));
      const checksum = credentialsChecksum({
        source: c.source,
        revision: c.revision,
        store: e.storeRef,
        data,
        database: environment.database,
      });
      const objects = externalSecrets({
        namespace: environment.namespace,
        labels,
        database: environment.database,
        applicationRole: environment.applicationRole,
        settings: e,
        checksum,
      });
      return {
        resources: [
          {
            path: 'external-secret.yaml',
            comment: `The server's and the applications' Secrets, written by the External Secrets Operator from ${e.storeRef.kind} "${e.storeRef.name}".`,
          },
        ],
        secretGenerators: [],
        patches: [restartPatch(checksum)],
        files: new Map([['external-secret.yaml', objectsYaml(objects)]]),
      };
    }
    case 'sealed-secrets': {
      // Read and checked with the environment (config/sealed-secret.ts): rendering reads no file.
      if (!environment.sealedSecrets)
        throw new Error(
          `${environment.name}: its SealedSecret files were not read: load it with config/load.ts (withSealedSecrets)`,
        );
      const sealed = [environment.sealedSecrets.server, environment.sealedSecrets.application];
      const objects = sealed.map((file, index) =>
        sealedObject(file, index === 0 ? names.secret : names.applicationSecret, environment.namespace, labels),
      );
      // The server's Secret only, as above.
      const checksum = credentialsChecksum({ source: c.source, revision: c.revision, spec: objects[0].spec });
      return {
        resources: [
          {
            path: 'sealed-secret.yaml',
            comment: `The server's and the applications' Secrets, decrypted in the cluster by the Sealed Secrets controller (from ${sealed.map((file) => file.source).join(' and ')}).`,
          },
        ],
        secretGenerators: [],
        patches: [restartPatch(checksum)],
        files: new Map([['sealed-secret.yaml', objectsYaml(objects)]]),
      };
    }
    case 'existing':
      return {
        resources: [],
        secretGenerators: [],
        patches: [restartPatch(credentialsChecksum({ source: c.source, revision: c.revision }))],
        files: new Map(),
      };
  }
}

/** The SealedSecret as the user sealed it, with the bundle's name, namespace, labels and sync wave. */
function sealedObject(
  sealed: SealedSecretFile,
  name: string,
  namespace: string,
  labels: Record<string, string>,
): { spec: unknown } & Record<string, unknown> {
  const { metadata, ...rest } = sealed.object;
  return {
    apiVersion: rest.apiVersion,
    kind: rest.kind,
    metadata: {
      ...metadata,
      name,
      namespace,
      labels: { ...labels, ...metadata.labels },
      annotations: { ...metadata.annotations, ...BEFORE_WORKLOADS },
    },
    spec: rest.spec,
  };
}
