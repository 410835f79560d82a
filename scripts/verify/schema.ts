import { parseAllDocuments } from 'yaml';
import { ruleExpressionProblems } from './promql.ts';

type ModelClass = new (data: unknown) => { validate(): void };

/**
 * npm packages that hold kubernetes-models classes, by API group ("" is the core group).
 * Each kind is imported on its own: importing the whole kubernetes-models index takes seconds.
 */
const MODEL_PACKAGES: Readonly<Record<string, string>> = {
  'argoproj.io': '@kubernetes-models/argo-cd',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'kustomize.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'external-secrets.io': '@kubernetes-models/external-secrets',
  'bitnami.com': '@kubernetes-models/sealed-secrets',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};
const BUILT_IN = 'kubernetes-models';

/** The kubernetes-models class for an apiVersion/kind, or undefined when none is known. */
export async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = MODEL_PACKAGES[group] ?? BUILT_IN;
  const specifier = [pkg, group, version, kind].filter(Boolean).join('/');
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const model = module[kind] ?? module.default;
    return typeof model === 'function' ? (model as ModelClass) : undefined;
  } catch {
    return undefined;
  }
}

/** The objects of a rendered multi-document YAML stream. */
export function renderedObjects(rendered: string): Record<string, any>[] {
  return parseAllDocuments(rendered)
    .map((document) => document.toJS() as Record<string, any> | null)
    .filter((object): object is Record<string, any> => object !== null);
}

/**
 * Every schema problem in a rendered stream: each object is validated against its kubernetes-models
 * schema (types, required fields, quantities). An object of an unknown kind is itself a problem.
 */
export async function schemaProblems(rendered: string): Promise<string[]> {
  const problems: string[] = [];
  for (const object of renderedObjects(rendered)) {
    const where = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
    const Model = await modelClass(String(object.apiVersion), String(object.kind));
    if (!Model) {
      problems.push(`${where}: no schema known for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    // A schema sees a string; Prometheus would refuse the whole rule group at load time.
    if (object.kind === 'PrometheusRule') problems.push(...ruleExpressionProblems(object).map((problem) => `${where}: ${problem}`));
  }
  return problems;
}
