import type { Environment } from '../config/environment.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { bundleParameters } from '../postgres/conf.ts';
import { code, list, section, sh, steps } from './markdown.ts';
import { podName, type EnvironmentNames } from './names.ts';
import { kubectl, rebuildAndSync, sqlOn, sqlOnEach } from './shell.ts';

/**
 * Parameters a standby must have at least as high as its primary: they size shared memory for the
 * primary's transactions and locks that the standby replays (PostgreSQL, "Hot Standby", Administrator's Overview).
 */
export const STANDBY_MINIMUM_PARAMETERS = ['max_connections', 'max_locks_per_transaction', 'max_prepared_transactions', 'max_wal_senders', 'max_worker_processes'] as const;

/** The restart-only (postmaster context) parameters the environment's settings set (not the bundle's own), by name. */
export function restartOnlyParameters(e: Environment): string[] {
  return Object.keys(e.postgresql).filter((name) => !(name in bundleParameters) && catalogEntry(name)?.context === 'postmaster').sort();
}

/** The runbook section "Apply a restart-only parameter". */
export function restartParameterSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  const primary = podName(n.primary);
  const rollOrder = [...n.ordinals].reverse().map(podName);
  const standbysFirst = n.primary === 0;
  const replicated = n.replicas > 1 ? [
    `Nothing else is needed, except for ${list(STANDBY_MINIMUM_PARAMETERS.map(code))}: they must be at least as high on every standby as on its primary, or the standby pauses replay `
    + '("hot standby is not possible because of insufficient parameter settings").',
    `**Raising** one: ${standbysFirst ? `the roll already restarts the standbys before the primary ${code(primary)}.` : `the roll restarts ${list(rollOrder.map(code))}: the standbys after the primary ${code(primary)} pause until their own restart, a minute later. To avoid it, switch over to ${code(podName(0))} first (README, "Switchover").`}`,
    `**Lowering** one: the primary must run with the lower value first. For example \`max_connections\`, 300 to 250:`,
    steps(
      [`On the primary only, for now: set it in its \`postgresql.auto.conf\` (read after the ConfigMap) and restart it. Writes fail while it restarts.`,
        sh(...sqlOn(n.primary, 'alter system set max_connections = 250;'), `${k} delete pod ${primary}`, `${k} wait --for=condition=Ready pod/${primary} --timeout=10m`)],
      ['The change in git, as for any parameter: the standbys restart with the value their primary already has.', sh(...rebuildAndSync(e, n))],
      ['Drop the primary\'s own copy, now equal to the ConfigMap\'s:', sh(...sqlOn(n.primary, 'alter system reset max_connections;', 'select pg_reload_conf();'))],
    ),
  ] : [`Nothing else is needed: with one replica there is no standby to keep in step, and the roll is one restart of ${code(primary)}, a short outage.`];
  return section('restartForParameters',
    `Parameters of context \`postmaster\` take effect only when the server starts. ${e.name} sets these: ${list(restartOnlyParameters(e).map(code))}. `
    + `Any change to \`postgresql\` in ${code(n.source)} changes the ConfigMap's name (a kustomize hash), so the sync rolls every pod: `
    + `one at a time, highest ordinal first (${list(rollOrder.map(code))}), each after the previous one is Ready.`,
    ...replicated,
    'Verify on every instance: the parameter has its new value, and no other waits for a restart:',
    sh(...sqlOnEach(n, "select name, setting, pending_restart from pg_settings where name = 'max_connections' or pending_restart;")),
  );
}
