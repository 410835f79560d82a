/**
 * The OpenAPI schema every overlay hands kustomize (`openapi: {path: openapi.json}`).
 *
 * kustomize 4.5.4 parses its built-in schema of every Kubernetes type, about 1.1 s of a build, the
 * first time it needs one: for a strategic-merge patch, or to learn whether a custom resource
 * (ExternalSecret, SealedSecret, ServiceMonitor, PrometheusRule) is namespaced. The bundle has no
 * strategic-merge patches (scripts/kustomize/patches.ts), and kustomize treats a kind its schema
 * does not know as namespaced, which every custom resource here is. So an empty schema renders the
 * same bytes, with kustomize 4.5.4 and v5 alike (test/kustomize-versions.test.ts), in a tenth of
 * the time. A cluster-scoped custom resource would need its path listed here.
 */
export const OPENAPI_FILE = 'openapi.json';

export function openapiSchema(): string {
  const schema = {
    swagger: '2.0',
    info: { title: 'postgresql-gitops-bundle: no types; see scripts/kustomize/openapi.ts', version: '1' },
    paths: {},
    definitions: {},
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
