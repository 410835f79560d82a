import { parser } from '@prometheus-io/lezer-promql';

/**
 * Syntax errors in a PromQL expression, each with its position and the text around it. The
 * grammar is the Prometheus project's own (the one its web UI parses with), so it knows every
 * function, operator and modifier of the language; a regular expression would not.
 */
export function promqlProblems(expression: string): string[] {
  const problems: string[] = [];
  parser.parse(expression).iterate({
    enter(node) {
      if (!node.type.isError) return;
      const around = expression.slice(Math.max(0, node.from - 20), node.from + 20);
      problems.push(`syntax error at character ${node.from + 1}: …${around}…`);
    },
  });
  if (!expression.trim()) problems.push('empty expression');
  return problems;
}

/** The metric names an expression reads (its selectors), sorted and unique. */
export function metricNames(expression: string): string[] {
  const found = new Set<string>();
  parser.parse(expression).iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) found.add(expression.slice(identifier.from, identifier.to));
    },
  });
  return [...found].sort();
}

/** Every alerting or recording expression of a rendered PrometheusRule that does not parse. */
export function ruleExpressionProblems(rule: {
  spec?: { groups?: { name?: string; rules?: { alert?: string; record?: string; expr?: unknown }[] }[] };
}): string[] {
  return (rule.spec?.groups ?? []).flatMap((group) =>
    (group.rules ?? []).flatMap((r) =>
      promqlProblems(String(r.expr ?? '')).map((problem) => `group ${group.name}, ${r.alert ?? r.record}: ${problem}`),
    ),
  );
}
