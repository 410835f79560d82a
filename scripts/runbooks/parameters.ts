import type { Environment } from '../config/environment.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { bundleParameters } from '../postgres/conf.ts';
import { names } from '../vocabulary/names.ts';
import { DCS_PARAMETERS } from '../postgres/patroni.ts';
import { code, list, section, see, sh, steps } from './markdown.ts';
import { podName, type EnvironmentNames } from './names.ts';
import { patroni, patroniArgs, sqlOnEach } from './shell.ts';
import { overlayPath } from '../vocabulary/layout.ts';

/** The restart-only (postmaster context) parameters the environment's settings set (not the bundle's own), by name. */
export function restartOnlyParameters(e: Environment): string[] {
  return Object.keys(e.postgresql)
    .filter((name) => !(name in bundleParameters) && catalogEntry(name)?.context === 'postmaster')
    .sort();
}

/** The runbook section "Apply a restart-only parameter". */
export function restartParameterSection(e: Environment, n: EnvironmentNames): string {
  const rollOrder = [...n.ordinals].reverse().map(podName);
  const intro =
    `Parameters of context \`postmaster\` take effect only when the server starts. ${e.name} sets these: ${list(restartOnlyParameters(e).map(code))}. ` +
    `Any change to \`postgresql\` in ${code(n.source)} changes the ConfigMap's name (a kustomize hash), so the sync rolls every pod: ` +
    `one at a time, highest ordinal first (${list(rollOrder.map(code))}), each after the previous one is Ready.`;
  const verify = [
    'Verify on every instance: the parameter has its new value, and no other waits for a restart:',
    sh(
      ...sqlOnEach(
        n,
        "select name, setting, pending_restart from pg_settings where name = 'max_connections' or pending_restart;",
      ),
    ),
  ];
  if (!n.patroni) {
    return section(
      'restartForParameters',
      intro,
      `Nothing else is needed: with one replica there is no standby to keep in step, and the roll is one restart of ${code(podName(0))}, a short outage.`,
      ...verify,
    );
  }
  const kept = DCS_PARAMETERS.filter((name) => catalogEntry(name)?.context === 'postmaster');
  return section(
    'restartForParameters',
    intro,
    `The roll reaches the primary wherever it is; Patroni hands over to a standby when its pod stops (a few seconds without writes). For a single handover, after every standby, ` +
      `switch over to ${code(podName(0))} before the sync (${see('switchover')}).`,
    `**Parameters Patroni keeps in its store**: ${list(kept.map(code))}. A member's own configuration has no effect on these, so the roll alone does not apply them: ` +
      `the ${code(names.patroniConfigJob)} Job writes them into the store after the sync (\`patronictl edit-config\`, from ${code(`${overlayPath(e.name)}/dcs.yml`)}), ` +
      "and `patronictl list` then shows the members `Pending restart`. Patroni keeps each standby at least at its primary's value (from the primary's control data), " +
      'so a standby never refuses to start after a lowering; it keeps the higher value until its primary has restarted with the lower one.',
    steps(
      [
        'Wait for the Job, and see who waits for a restart:',
        sh(
          `kubectl -n ${n.namespace} wait --for=condition=complete job/${names.patroniConfigJob} --timeout=10m`,
          patroni(...patroniArgs.list()),
        ),
      ],
      [
        '**Raising** one: the standbys, then a switchover, which restarts the former primary as a standby with the new value:',
        sh(
          patroni(...patroniArgs.restartPending('replica')),
          `${patroni(...patroniArgs.list())}    # wait until the standbys stream again${e.patroni.synchronousMode ? ', one of them Sync Standby: Patroni takes no other candidate' : ''}`,
          `candidate=${podName(0)}    # ${e.patroni.synchronousMode ? 'the Sync Standby' : 'a standby'}`,
          patroni(...patroniArgs.switchover('"$candidate"')),
        ),
      ],
      [
        "**Lowering** one: a standby runs with at least its primary's value, so the primary goes first, restarted in place (writes fail for a few seconds), then the standbys:",
        sh(
          patroni(...patroniArgs.restartPending('primary')),
          `${patroni(...patroniArgs.list())}    # wait until the standbys stream again: they must have the primary's new value`,
          `${patroni(...patroniArgs.restartPending('replica'))}    # again while a member shows Pending restart`,
        ),
      ],
      ...[verify as [string, ...string[]]],
    ),
    "Tested on real servers by `test/runbook-patroni.test.ts`: a dcs.yml change applied by the config Job's script, then these restarts.",
  );
}
