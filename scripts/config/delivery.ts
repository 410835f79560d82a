import type { Settings } from './environment.ts';

/**
 * How Argo CD and Flux sync one environment (generated/argocd/ and generated/flux/). The
 * repository URL and revision are the same for every environment: scripts/config/repository.ts.
 */
export interface DeliverySettings {
  /**
   * Sync every new commit without a person, and undo changes made in the cluster (Argo CD
   * automated sync with self-heal; a Flux Kustomization that is not suspended). When false, a
   * person starts each sync (docs/delivery.md). @default false
   */
  readonly automated: boolean;
  /**
   * Delete objects that were removed from git. PersistentVolumeClaims are never pruned: they are
   * not in git, and their template carries Prune=false/Delete=false. @default true
   */
  readonly prune: boolean;
  readonly argocd: {
    /** Namespace of the Argo CD installation, where the Application lives. @default "argocd" */
    readonly namespace: string;
    /** @default "default" */
    readonly project: string;
    /** Cluster API server to deploy to. @default "https://kubernetes.default.svc" (the cluster Argo CD runs in) */
    readonly server: string;
  };
  readonly flux: {
    /** Namespace of the Flux installation, where the GitRepository and Kustomization live. @default "flux-system" */
    readonly namespace: string;
    /** How often Flux fetches the repository and re-applies the overlay (undoing drift). @default "5m" */
    readonly interval: string;
    /** How long to wait before retrying a failed sync. @default "2m" */
    readonly retryInterval: string;
    /**
     * How long a sync may take until every object is ready, the StatefulSet's rollout included:
     * each pod may spend up to 5 minutes in its startup probe. @default "20m"
     */
    readonly timeout: string;
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^(\d+(ms|s|m|h))+$/;
const SERVER = /^https:\/\/[^\s/]+(\/\S*)?$/;

/** Every problem with the delivery settings, as [field path, message] pairs. */
export function deliveryProblems(s: Settings): [string, string][] {
  const d = s.delivery;
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([`delivery.${field}`, message]);
  for (const flag of ['automated', 'prune'] as const) {
    if (typeof d[flag] !== 'boolean') report(flag, `must be true or false, got ${JSON.stringify(d[flag])}`);
  }
  for (const [field, value] of [
    ['argocd.namespace', d.argocd.namespace],
    ['argocd.project', d.argocd.project],
    ['flux.namespace', d.flux.namespace],
  ]) {
    if (!(typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value)))
      report(field, `must be a DNS label (lowercase letters, digits and "-"), got ${JSON.stringify(value)}`);
  }
  if (!(typeof d.argocd.server === 'string' && SERVER.test(d.argocd.server))) {
    report(
      'argocd.server',
      `must be a cluster API server URL such as "https://kubernetes.default.svc", got ${JSON.stringify(d.argocd.server)}`,
    );
  }
  for (const field of ['interval', 'retryInterval', 'timeout'] as const) {
    const value = d.flux[field];
    if (!(typeof value === 'string' && DURATION.test(value)))
      report(`flux.${field}`, `must be a duration such as "5m" or "1h30m", got ${JSON.stringify(value)}`);
  }
  return problems;
}
