import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { MODELS } from './models.ts';

/**
 * A Kubernetes object parsed from YAML, of any kind: its fields are read by path and checked where
 * used, so one loose type here instead of `any` spread through every reader.
 */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of any kind, narrowed by each reader
export type ParsedObject = Record<string, any>;

type ModelClass = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for an apiVersion/kind, or undefined when the bundle renders no such kind. */
export async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const module = await MODELS[`${apiVersion} ${kind}`]?.();
  const model = module?.[kind];
  return typeof model === 'function' ? (model as ModelClass) : undefined;
}

/**
 * The objects of a rendered multi-document YAML stream. Read with js-yaml, not the `yaml` package
 * that writes the bundle: it reads kustomize's output about ten times faster, and reading every
 * rendered overlay was the largest share of a build's own time. The YAML 1.2 core schema, as
 * kustomize writes and the `yaml` package reads: no timestamps, no merge keys.
 */
export function renderedObjects(rendered: string): ParsedObject[] {
  return (loadAll(rendered, undefined, { schema: CORE_SCHEMA }) as (ParsedObject | null)[]).filter(
    (object): object is ParsedObject => object !== null && object !== undefined,
  );
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
    if (object.kind === 'PrometheusRule') {
      // Loaded only for a build that renders alerts: the PromQL parser is the heaviest module left.
      const { ruleExpressionProblems } = await import('./promql.ts');
      problems.push(...ruleExpressionProblems(object).map((problem) => `${where}: ${problem}`));
    }
  }
  return problems;
}
