/**
 * Labels follow app.kubernetes.io conventions. Selectors use only name + instance, which must
 * never change: a StatefulSet's selector is immutable, so any other label there would make the
 * next sync fail. Everything else goes on object metadata only.
 */
export const selectorLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'postgresql',
  'app.kubernetes.io/instance': 'postgresql',
};

/** Labels of the pod template: the selector plus what `kubectl get pods -l` users filter on. */
export const podLabels: Readonly<Record<string, string>> = {
  ...selectorLabels,
  'app.kubernetes.io/component': 'database',
};

/** Labels of every object's metadata. */
export function metadataLabels(version: string): Record<string, string> {
  return {
    ...podLabels,
    'app.kubernetes.io/part-of': 'project-template',
    'app.kubernetes.io/managed-by': 'kustomize',
    'app.kubernetes.io/version': version,
  };
}

/** The label key kustomize adds to every object of an overlay. */
export const ENVIRONMENT_LABEL = 'app.kubernetes.io/environment';

/** The labels Patroni selects its member pods with and puts on every ConfigMap it creates. */
export const PATRONI_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'postgresql',
  'app.kubernetes.io/component': 'database',
};
/** The label holding the scope on every member pod (Patroni's `scope_label`). */
export const PATRONI_SCOPE_LABEL = 'cluster-name';
/** Patroni keeps each member pod's role in this label: the Services select on it. */
export const PATRONI_ROLE_LABEL = 'role';
export const PRIMARY_ROLE = 'primary';
export const REPLICA_ROLE = 'replica';
