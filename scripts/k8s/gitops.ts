/**
 * Annotations and labels that Argo CD, Flux and Kubernetes' Pod Security admission read. They
 * live in one place because several objects carry them and docs/delivery.md explains each.
 */

/** Argo CD never prunes or deletes an object carrying this (docs/delivery.md). */
export const ARGOCD_KEEP = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } as const;

/** Flux never prunes an object carrying this, nor deletes it with its Kustomization. */
export const FLUX_KEEP = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } as const;

/** Argo CD applies lower waves first and waits for them to be healthy: credentials before the pods. */
export const BEFORE_WORKLOADS = { 'argocd.argoproj.io/sync-wave': '-1' } as const;

/**
 * The namespace is checked against Pod Security "restricted": violations are audited and shown as
 * warnings, not refused. The seed's namespace is shared with other applications (the Flask backend,
 * the web UI) that this bundle does not vouch for; enforcing there could stop their pods. On a
 * namespace of its own, add `pod-security.kubernetes.io/enforce: restricted` (docs/delivery.md).
 */
export const POD_SECURITY_RESTRICTED = {
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
} as const;

/**
 * Pod-template annotation whose value changes whenever credentials that are not in a
 * hash-suffixed Secret change in git, so the pods restart and read them (docs/credentials.md).
 */
export const CREDENTIALS_CHECKSUM = 'checksum/credentials';
