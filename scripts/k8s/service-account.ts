import type { ServiceAccount } from 'kubernetes-types/core/v1';
import { metadataLabels } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';

/** PostgreSQL never talks to the Kubernetes API: its own account, and no token mounted. */
export function serviceAccount(version: string): ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: names.serviceAccount, labels: metadataLabels(version) },
    automountServiceAccountToken: false,
  };
}
