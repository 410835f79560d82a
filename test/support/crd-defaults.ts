/**
 * The `default:` values of the CRDs of every custom resource kind the environments render, as the
 * operators' published CRDs declare them. Each path is a field of the object; `[]` stands for every
 * item of a list. The API server writes these into the live object when they are absent: where git
 * leaves one out, the live object differs from git, and inside a list (remoteRef in spec.data[]) Argo
 * CD compares the whole item and reports the resource OutOfSync forever.
 *
 * Why a table: the @kubernetes-models packages carry each CRD's schema compiled into validators
 * (types, enums, required fields) but drop every `default:` (of all their schema files, only three
 * keep one). So the values are copied from the CRDs themselves, one line per default, with where
 * they come from; a new operator version with a new default is added here, and the test then names
 * every rendered object that lacks it.
 */
export interface CrdDefault {
  readonly path: string;
  readonly value: unknown;
}

export const CRD_DEFAULTS: Readonly<Record<string, readonly CrdDefault[]>> = {
  // external-secrets/external-secrets config/crds/bases/external-secrets.io_externalsecrets.yaml
  // (v1 is v1beta1's schema, served since 0.16; the models package @kubernetes-models/external-secrets 2.0.0).
  'external-secrets.io/v1 ExternalSecret': [
    { path: 'spec.refreshInterval', value: '1h' },
    { path: 'spec.target', value: { creationPolicy: 'Owner', deletionPolicy: 'Retain' } },
    { path: 'spec.target.creationPolicy', value: 'Owner' },
    { path: 'spec.target.deletionPolicy', value: 'Retain' },
    { path: 'spec.target.template.engineVersion', value: 'v2' },
    { path: 'spec.target.template.mergePolicy', value: 'Replace' },
    { path: 'spec.target.template.templateFrom[].target', value: 'Data' },
    { path: 'spec.target.template.templateFrom[].configMap.items[].templateAs', value: 'Values' },
    { path: 'spec.target.template.templateFrom[].secret.items[].templateAs', value: 'Values' },
    { path: 'spec.data[].remoteRef.conversionStrategy', value: 'Default' },
    { path: 'spec.data[].remoteRef.decodingStrategy', value: 'None' },
    { path: 'spec.data[].remoteRef.metadataPolicy', value: 'None' },
    { path: 'spec.data[].sourceRef.generatorRef.apiVersion', value: 'generators.external-secrets.io/v1alpha1' },
    { path: 'spec.dataFrom[].extract.conversionStrategy', value: 'Default' },
    { path: 'spec.dataFrom[].extract.decodingStrategy', value: 'None' },
    { path: 'spec.dataFrom[].extract.metadataPolicy', value: 'None' },
    { path: 'spec.dataFrom[].find.conversionStrategy', value: 'Default' },
    { path: 'spec.dataFrom[].find.decodingStrategy', value: 'None' },
    { path: 'spec.dataFrom[].sourceRef.generatorRef.apiVersion', value: 'generators.external-secrets.io/v1alpha1' },
  ],
  // bitnami-labs/sealed-secrets helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml: no defaults.
  'bitnami.com/v1alpha1 SealedSecret': [],
  // prometheus-operator/prometheus-operator example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
  // (0.84): the `name: ""` of every Secret/ConfigMap key selector, and relabelings' action.
  'monitoring.coreos.com/v1 ServiceMonitor': [
    ...['relabelings', 'metricRelabelings'].map((list) => ({
      path: `spec.endpoints[].${list}[].action`,
      value: 'replace',
    })),
    ...[
      'authorization.credentials',
      'basicAuth.username',
      'basicAuth.password',
      'bearerTokenSecret',
      'oauth2.clientSecret',
      'oauth2.clientId.secret',
      'oauth2.clientId.configMap',
      'tlsConfig.ca.secret',
      'tlsConfig.ca.configMap',
      'tlsConfig.cert.secret',
      'tlsConfig.cert.configMap',
      'tlsConfig.keySecret',
    ].map((selector) => ({ path: `spec.endpoints[].${selector}.name`, value: '' })),
  ],
  // cert-manager/cert-manager deploy/crds/cert-manager.io_certificates.yaml: no `default:` (its
  // controller applies its defaults, such as rotationPolicy, without writing them into the object).
  'cert-manager.io/v1 Certificate': [],
  // .../monitoring.coreos.com_prometheusrules.yaml (0.82): no defaults.
  'monitoring.coreos.com/v1 PrometheusRule': [],
};

/** Every place in `object` where `path` names a field whose parent exists: [where, present]. */
export function defaultedFields(object: unknown, path: string): [string, boolean][] {
  const found: [string, boolean][] = [];
  const walk = (value: unknown, segments: string[], where: string) => {
    const [segment, ...rest] = segments;
    const list = segment.endsWith('[]');
    const key = list ? segment.slice(0, -2) : segment;
    if (value === null || typeof value !== 'object') return;
    const child = (value as Record<string, unknown>)[key];
    if (rest.length === 0 && !list) {
      found.push([`${where}.${key}`, child !== undefined]);
      return;
    }
    if (child === undefined) return;
    if (!list) walk(child, rest, `${where}.${key}`);
    else
      for (const [index, item] of (Array.isArray(child) ? child : []).entries())
        walk(item, rest, `${where}.${key}[${index}]`);
  };
  walk(object, path.split('.'), '');
  return found.map(([where, present]) => [where.slice(1), present]);
}
