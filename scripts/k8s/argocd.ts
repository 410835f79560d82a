import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import type { DeliverySettings } from '../config/delivery.ts';
import { POD_SECURITY_RESTRICTED } from './gitops.ts';

export interface ApplicationProps {
  /** Object name, also Argo CD's name for the application: postgresql-<env>. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly repoURL: string;
  readonly targetRevision: string;
  /** The overlay directory, relative to the repository root. */
  readonly path: string;
  /** Namespace the overlay renders into; Argo CD creates it. */
  readonly namespace: string;
  readonly delivery: DeliverySettings;
}

/**
 * An Argo CD Application syncing one overlay. No resources-finalizer: deleting the Application
 * leaves the database running, never cascades to it.
 */
export function application(p: ApplicationProps): IApplication {
  const d = p.delivery;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: p.name, namespace: d.argocd.namespace, labels: { ...p.labels } },
    spec: {
      project: d.argocd.project,
      source: { repoURL: p.repoURL, targetRevision: p.targetRevision, path: p.path },
      destination: { server: d.argocd.server, namespace: p.namespace },
      syncPolicy: {
        automated: d.automated ? { prune: d.prune, selfHeal: true } : undefined,
        syncOptions: [
          'CreateNamespace=true',
          // Deletions after everything else is healthy, so a failed rollout never leaves half a database.
          'PruneLast=true',
          // Two environments rendered into one namespace of one cluster would overwrite each other.
          'FailOnSharedResource=true',
          ...(d.prune ? [] : ['Prune=false']),
        ],
        managedNamespaceMetadata: { labels: { ...POD_SECURITY_RESTRICTED } },
        retry: { limit: 5, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } },
      },
    },
  };
}
