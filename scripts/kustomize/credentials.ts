import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../config/environment.ts';
import { externalSecret, remoteRefs } from '../k8s/external-secret.ts';
import { BEFORE_WORKLOADS, CREDENTIALS_CHECKSUM } from '../k8s/gitops.ts';
import { metadataLabels } from '../k8s/labels.ts';
import { names } from '../k8s/names.ts';
import type { FileTree } from '../output/tree.ts';
import { objectYaml } from '../output/yaml.ts';
import { credentialLiterals, secretGenerator } from './generators.ts';
import type { Generator } from './kustomization.ts';
import { pointerSegment, type Patch } from './patches.ts';
import { readSealedSecret } from './sealed-secret.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** An overlay resource and the line above its entry. */
export interface OverlayResource {
  readonly path: string;
  readonly comment: string;
}

/** What an environment's overlay holds for its credentials source. */
export interface CredentialParts {
  readonly resources: readonly OverlayResource[];
  readonly secretGenerator?: { readonly generator: Generator; readonly comment: string };
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
    comment: 'Restarts the pods when the credentials change in git: their Secret has no hash suffix (README, "Credentials").',
    target: { group: 'apps', version: 'v1', kind: 'StatefulSet', name: names.statefulSet },
    // The base pod template always has annotations, so "add" sets this one key beside the others.
    body: [{ op: 'add', path: `/spec/template/metadata/annotations/${pointerSegment(CREDENTIALS_CHECKSUM)}`, value: checksum }],
  };
}

/**
 * The credentials source is per environment, so it lives in the overlay, never in the base:
 * a base without a Secret cannot leak placeholder values into an environment that does not want them.
 */
export function credentialParts(environment: Environment, projectRoot = PROJECT_ROOT): CredentialParts {
  const c = environment.credentials;
  const labels = metadataLabels(environment.image.tag);
  switch (c.source) {
    case 'generator': {
      const { name, literals } = secretGenerator(credentialLiterals(environment));
      return {
        resources: [],
        secretGenerator: {
          // The namespace is explicit: the base's namespace does not reach objects generated in the overlay.
          generator: { name, namespace: environment.namespace, literals, options: { labels } },
          comment: 'PLACEHOLDER credentials, for development clusters only (credentials.allowPlaceholder): see README, "Credentials".',
        },
        patches: [],
        files: new Map(),
      };
    }
    case 'external-secrets': {
      const e = c.externalSecrets;
      const checksum = credentialsChecksum({ source: c.source, revision: c.revision, store: e.storeRef, data: remoteRefs(e), database: environment.database });
      const object = externalSecret({ namespace: environment.namespace, labels, database: environment.database, settings: e, checksum });
      return {
        resources: [{ path: 'external-secret.yaml', comment: `The credentials Secret, written by the External Secrets Operator from ${e.storeRef.kind} "${e.storeRef.name}".` }],
        patches: [restartPatch(checksum)],
        files: new Map([['external-secret.yaml', objectYaml(object)]]),
      };
    }
    case 'sealed-secrets': {
      const sealed = readSealedSecret(environment, projectRoot);
      const { metadata, ...rest } = sealed.object;
      const object = {
        apiVersion: rest.apiVersion,
        kind: rest.kind,
        metadata: {
          ...metadata,
          name: names.secret,
          namespace: environment.namespace,
          labels: { ...labels, ...metadata.labels },
          annotations: { ...metadata.annotations, ...BEFORE_WORKLOADS },
        },
        spec: rest.spec,
      };
      const checksum = credentialsChecksum({ source: c.source, revision: c.revision, spec: rest.spec });
      return {
        resources: [{ path: 'sealed-secret.yaml', comment: `The credentials Secret, decrypted in the cluster by the Sealed Secrets controller (from ${sealed.source}).` }],
        patches: [restartPatch(checksum)],
        files: new Map([['sealed-secret.yaml', objectYaml(object)]]),
      };
    }
    case 'existing':
      return { resources: [], patches: [restartPatch(credentialsChecksum({ source: c.source, revision: c.revision }))], files: new Map() };
  }
}
