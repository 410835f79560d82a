/**
 * The kubernetes-models class of every kind the bundle renders, by "apiVersion kind".
 *
 * Each one is imported on first use, by a literal path: a kind costs nothing until a build renders
 * it, and the compiled build (scripts/compiled.mjs) can bundle exactly these instead of loading
 * hundreds of files from node_modules. A kind missing here is reported as "no schema known" and fails
 * the build, so adding a kind to the bundle means adding it here.
 */
type ModelModule = Promise<Record<string, unknown>>;

export const MODELS: Readonly<Record<string, () => ModelModule>> = {
  'v1 ConfigMap': () => import('kubernetes-models/v1/ConfigMap'),
  'v1 Namespace': () => import('kubernetes-models/v1/Namespace'),
  'v1 PersistentVolumeClaim': () => import('kubernetes-models/v1/PersistentVolumeClaim'),
  'v1 Secret': () => import('kubernetes-models/v1/Secret'),
  'v1 Service': () => import('kubernetes-models/v1/Service'),
  'v1 ServiceAccount': () => import('kubernetes-models/v1/ServiceAccount'),
  'apps/v1 StatefulSet': () => import('kubernetes-models/apps/v1/StatefulSet'),
  'batch/v1 CronJob': () => import('kubernetes-models/batch/v1/CronJob'),
  'batch/v1 Job': () => import('kubernetes-models/batch/v1/Job'),
  'networking.k8s.io/v1 NetworkPolicy': () => import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy'),
  'policy/v1 PodDisruptionBudget': () => import('kubernetes-models/policy/v1/PodDisruptionBudget'),
  'rbac.authorization.k8s.io/v1 Role': () => import('kubernetes-models/rbac.authorization.k8s.io/v1/Role'),
  'rbac.authorization.k8s.io/v1 RoleBinding': () =>
    import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'),
  'external-secrets.io/v1 ExternalSecret': () =>
    import('@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret'),
  'cert-manager.io/v1 Certificate': () => import('@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate'),
  'bitnami.com/v1alpha1 SealedSecret': () =>
    import('@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret'),
  'monitoring.coreos.com/v1 PrometheusRule': () =>
    import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule'),
  'monitoring.coreos.com/v1 ServiceMonitor': () =>
    import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'),
  'argoproj.io/v1alpha1 Application': () => import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application'),
  'source.toolkit.fluxcd.io/v1 GitRepository': () =>
    import('@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository'),
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': () =>
    import('@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization'),
};
