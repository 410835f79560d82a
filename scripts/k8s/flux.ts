import type { IKustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization';
import type { IGitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository';
import type { Namespace } from 'kubernetes-types/core/v1';
import type { DeliverySettings } from '../config/delivery.ts';
import type { RepositoryRevision } from '../config/repository.ts';
import { FLUX_KEEP, POD_SECURITY_RESTRICTED } from './gitops.ts';
import { RENDERED_DIRS } from '../vocabulary/layout.ts';

export interface FluxProps {
  /** Name of both the GitRepository and the Kustomization: postgresql-<env>. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly url: string;
  readonly revision: RepositoryRevision;
  /** The overlay directory, relative to the repository root, without "./". */
  readonly path: string;
  /** Namespace the overlay renders into. */
  readonly namespace: string;
  readonly delivery: DeliverySettings;
}

/** Only what the overlays read is fetched: a change elsewhere (scripts, tests) makes no new artifact content. */
const FETCHED_PATHS = RENDERED_DIRS;

/**
 * Flux has no "create namespace" option: the namespace is applied with the GitRepository and
 * Kustomization. Flux never deletes it: deleting a namespace deletes its PersistentVolumeClaims.
 */
export function fluxNamespace(p: FluxProps): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: p.namespace, labels: { ...POD_SECURITY_RESTRICTED }, annotations: { ...FLUX_KEEP } },
  };
}

export function gitRepository(p: FluxProps): IGitRepository {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: p.name, namespace: p.delivery.flux.namespace, labels: { ...p.labels } },
    spec: {
      url: p.url,
      ref: { ...p.revision },
      interval: p.delivery.flux.interval,
      ignore: `${['/*', ...FETCHED_PATHS.map((dir) => `!/${dir}/`)].join('\n')}\n`,
    },
  };
}

/**
 * A Flux Kustomization applying one overlay and waiting until every object is ready, the
 * StatefulSet's rollout included. Suspended when the environment is not automated: a person
 * resumes it to sync (docs/delivery.md). Deleting it orphans the objects instead of deleting the database.
 */
export function fluxKustomization(p: FluxProps): IKustomization {
  const d = p.delivery;
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: p.name, namespace: d.flux.namespace, labels: { ...p.labels } },
    spec: {
      sourceRef: { kind: 'GitRepository', name: p.name },
      path: `./${p.path}`,
      interval: d.flux.interval,
      retryInterval: d.flux.retryInterval,
      timeout: d.flux.timeout,
      prune: d.prune,
      wait: true,
      deletionPolicy: 'Orphan',
      suspend: d.automated ? undefined : true,
    },
  };
}
