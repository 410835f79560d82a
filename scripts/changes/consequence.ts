import { ACKNOWLEDGEABLE_CHANGES, type AcknowledgeableChange } from '../config/acknowledge.ts';
import { runbookLink, type RunbookSection } from '../runbooks/sections.ts';

/**
 * What a change against the committed render means for the running system, by a stable id
 * (docs/day-2.md#when-a-change-needs-a-manual-step). The acknowledgeable ones stop the build.
 */
export type ConsequenceKind =
  | AcknowledgeableChange
  | 'minor-upgrade'
  | 'restart-parameter'
  | 'reload-parameter'
  | 'stale-acknowledgement';

/** `refuse`: the build stops unless the environment acknowledges it; `warn`: printed, the build goes on. */
export type Severity = 'refuse' | 'warn';

export interface Consequence {
  readonly environment: string;
  readonly kind: ConsequenceKind;
  readonly severity: Severity;
  /** What changed, old → new, and what Kubernetes and PostgreSQL do about it. */
  readonly message: string;
  /** The section of generated/runbooks/<env>.md to follow; none when nothing is left to do by hand. */
  readonly runbook?: string;
  /** A refusal the environment file let through: printed as a warning. */
  readonly acknowledged?: boolean;
}

export const isAcknowledgeable = (kind: ConsequenceKind): kind is AcknowledgeableChange =>
  (ACKNOWLEDGEABLE_CHANGES as readonly string[]).includes(kind);

/** A consequence whose severity follows from its kind: every acknowledgeable kind refuses. */
export function consequence(
  environment: string,
  kind: ConsequenceKind,
  message: string,
  section?: RunbookSection,
): Consequence {
  return {
    environment,
    kind,
    severity: isAcknowledgeable(kind) ? 'refuse' : 'warn',
    message,
    ...(section ? { runbook: runbookLink(environment, section) } : {}),
  };
}

/** "a → b", with JSON for anything that is not a plain string or number; "(none)" for a missing value. */
export function change(before: unknown, after: unknown): string {
  const show = (value: unknown) =>
    value === undefined
      ? '(none)'
      : typeof value === 'string' || typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
  return `${show(before)} → ${show(after)}`;
}
