import type { Environment } from '../config/environment.ts';
import { consequence, isAcknowledgeable, type Consequence } from './consequence.ts';

/**
 * Refusals the environment file acknowledges become warnings. An acknowledgement that matches
 * nothing belongs to a change already in the committed render: it is reported, not refused (every
 * later build would fail), so that it is removed before it lets the next such change through unseen.
 */
export function withAcknowledgements(
  environment: Pick<Environment, 'name' | 'acknowledge' | 'source'>,
  consequences: readonly Consequence[],
): Consequence[] {
  const acknowledged = consequences.map(
    (c): Consequence =>
      c.severity === 'refuse' && isAcknowledgeable(c.kind) && environment.acknowledge.includes(c.kind)
        ? { ...c, severity: 'warn', acknowledged: true }
        : c,
  );
  const stale = environment.acknowledge.filter((kind) => !consequences.some((c) => c.kind === kind));
  return [
    ...acknowledged,
    ...stale.map((kind) =>
      consequence(
        environment.name,
        'stale-acknowledgement',
        `acknowledge: '${kind}' matches no change in this build: ` +
          `the change it let through is already in the committed generated/${environment.name}.yaml. Remove it from ${environment.source}, ` +
          'or it will let the next such change through unnoticed.',
      ),
    ),
  ];
}
