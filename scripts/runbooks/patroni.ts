import type { Environment } from '../config/environment.ts';
import { PATRONI_SCOPE } from '../vocabulary/names.ts';
import { code, section, see, sh, steps } from './markdown.ts';
import { databaseSelector, podName, PRIMARY_NOW, type EnvironmentNames } from './names.ts';
import { orphanedClaimsCommand } from './replicas.ts';
import { kubectl, patroni, patroniArgs, streamingCheck, syncCommands } from './shell.ts';
import { backupFirst } from './upgrades.ts';
import { generatedFile } from '../vocabulary/layout.ts';

/** The section for a single-replica environment, where Patroni does not run. */
const withoutPatroni = (e: Environment, what: string) =>
  `${e.name} has one replica and runs without Patroni: ${what} With \`replicas\` above 1 it runs Patroni (${see('moveToPatroni')}), and this section gives its steps.`;

/** The runbook section "Switchover". */
export function switchoverSection(e: Environment, n: EnvironmentNames): string {
  if (!n.patroni)
    return section(
      'switchover',
      withoutPatroni(e, 'there is no standby to hand the primary to, and a restart of its pod is an outage.'),
    );
  const synchronous = e.patroni.synchronousMode;
  return section(
    'switchover',
    `Moves the primary to a standby you choose, cleanly: Patroni stops the primary once the candidate has all its WAL, the candidate promotes, and the former primary ` +
      `restarts as its standby. Writes pause for a few seconds; clients of ${code(n.service)} are disconnected and reconnect to the new primary (the Service selects Patroni's role label). ` +
      `Use it before work on the primary's node, or to make ${code(podName(0))} the primary before a roll, which restarts it last.` +
      (synchronous
        ? ` ${e.name} runs in synchronous mode: Patroni accepts only the \`Sync Standby\` as the candidate.`
        : ''),
    steps(
      [
        'The members, their roles and lag; pick the candidate among the streaming standbys:',
        sh(patroni(...patroniArgs.list()), "primary    # the primary's ordinal now"),
      ],
      [
        'Switch over:',
        sh(
          `candidate=${podName(0)}    # a standby of the list above`,
          patroni(...patroniArgs.switchover('"$candidate"')),
        ),
      ],
      [
        'Verify: the candidate is the primary, and every other member streams from it (the former primary too):',
        sh('primary', ...streamingCheck(n)),
      ],
    ),
    'Tested on real servers by `test/runbook-patroni.test.ts` (Patroni 3.0.2, PostgreSQL 15: these commands, against the rendered configuration).',
  );
}

/** The runbook section "After a failover". */
export function afterFailoverSection(e: Environment, n: EnvironmentNames): string {
  if (!n.patroni)
    return section(
      'afterFailover',
      withoutPatroni(
        e,
        'when its pod or node dies, Kubernetes starts the pod again on the same volume, and the database is down until then.',
      ),
    );
  const k = kubectl(n);
  const p = e.patroni;
  return section(
    'afterFailover',
    `Failover is automatic. When the primary's Patroni stops renewing the leader lock (its pod or node died, or it lost the API server and could not reach every member: failsafe mode), ` +
      `the lock expires after ttl (${p.ttl} s) and the healthiest standby promotes itself` +
      (p.synchronousMode
        ? ', in synchronous mode only the synchronous one, so no acknowledged commit is lost.'
        : `, one at most ${p.maximumLagOnFailover} bytes behind: commits it had not received are lost.`) +
      ' The former primary, when it comes back, rejoins as a standby: rewound with pg_rewind, or cloned again when that fails. Nothing is to be done by hand; check afterwards:',
    steps(
      [
        'One leader, every other member streaming (`Replica`, or `Sync Standby`), lag near 0, the timeline (TL) one higher than before:',
        sh(patroni(...patroniArgs.list())),
      ],
      [
        "Why the former primary went: its previous container's log, and the events of its pod:",
        sh(
          `old=${podName(0)}    # the former primary`,
          `${k} logs "$old" -c ${n.container} --previous | tail -n 50`,
          `${k} get events --field-selector involvedObject.name="$old"`,
        ),
      ],
      [
        `If it shows \`start failed\` or stays \`stopped\`, or its lag keeps growing: ${see('reseedStandby')}. The clients: ${code(n.service)} routes to the new primary already.`,
        sh(...streamingCheck(n)),
      ],
    ),
  );
}

/** Creates the replication role, without a password, unless it exists (psql: \gexec runs the statement the query returns). */
export const replicationRoleSql = (role: string) => [
  `select format('create role %I with login replication', '${role}') where not exists (select from pg_roles where rolname = '${role}')`,
  '\\gexec',
];

/** The StatefulSet's `replicas:` line in generated/<env>.yaml, as the one-replica apply rewrites it. */
export const replicasLine = (replicas: number) => `  replicas: ${replicas}`;

/** The runbook section "Move to Patroni". */
export function moveToPatroniSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  const target = Math.max(n.replicas, 2);
  const file = generatedFile(e.name);
  const onePod = `sed 's/^${replicasLine(target)}$/${replicasLine(1)}/' ${file} | kubectl apply -f -`;
  const pause = e.delivery.automated
    ? ([
        `${e.name} syncs by itself: stop that for the move (and turn it on again in the last step):`,
        sh(
          `argocd app set ${n.delivery} --sync-policy none                     # Argo CD`,
          `flux suspend kustomization ${n.delivery} -n ${n.fluxNamespace}    # or Flux`,
        ),
      ] as [string, ...string[]])
    : ([`${e.name} syncs by hand: start no sync until the last step.`] as [string]);
  return section(
    'moveToPatroni',
    `For an environment that ran without Patroni and now gets it: one replica that becomes ${target} or more, or the replication scripts that came before Patroni. ` +
      'The build refuses it (`patroni-adoption`) until the environment file acknowledges it. Patroni keeps an existing data directory: the first member to start, ' +
      `finding no cluster ${code(PATRONI_SCOPE)} in its store, adopts its data as the leader (Patroni's "Convert a Standalone to a Patroni Cluster"), and later members clone it. ` +
      `A plain sync starts the other pods first: a new, empty one would initialise an empty database, and a former standby would promote itself beside the old primary. ` +
      `So Patroni starts on ${code(podName(0))}, the primary's data, alone; the standbys' copies are dropped and cloned again. Writes stop in step 4, while ${code(podName(0))} restarts under Patroni.`,
    steps(
      backupFirst(e, n),
      pause,
      [
        `Only ${code(podName(0))} and its data stay. Before Patroni, the primary must be ${code(podName(0))}: with the replication scripts, \`PRIMARY_ORDINAL\` in the committed ${code(file)} must be 0 ` +
          `(else move it there first, with that commit's runbook). Stop the other pods and delete their volumes (with one replica there are none):`,
        sh(
          `git show HEAD:${file} | grep -A1 PRIMARY_ORDINAL    # value "0", or nothing with one replica`,
          `${k} scale statefulset ${n.statefulSet} --replicas=1`,
          `for member in $(${k} get pod -l ${databaseSelector} -o name | grep -v '/${podName(0)}$'); do ${k} wait --for=delete "$member" --timeout=5m; done`,
          orphanedClaimsCommand({ ...n, replicas: 1 }),
          `for claim in $(${orphanedClaimsCommand({ ...n, replicas: 1 })}); do ${k} delete "$claim"; done`,
        ),
      ],
      [
        `Set \`replicas: ${target}\` and the project's image in ${code(n.source)}, add \`acknowledge: ['patroni-adoption']\`, rebuild, commit and merge; ` +
          `then apply that render by hand with the StatefulSet at one replica: ${code(podName(0))} restarts under Patroni, which adopts its data.`,
        sh(
          `npm run build:overlays -- ${e.name}`,
          onePod,
          `${k} rollout status statefulset/${n.statefulSet} --timeout=10m`,
          `${patroni(...patroniArgs.list())}    # ${podName(0)}: Leader, running`,
        ),
      ],
      [
        `The replication role, which a database initialised with one replica does not have (Patroni creates it only when it initialises one itself): create it without a password, ` +
          "then give it the Secret's with the rotation script (no password on a command line or in SQL):",
        sh(
          `sql_on 0 <<'SQL'`,
          ...replicationRoleSql(n.replicationRole),
          'SQL',
          'run_script 0 rotate-password.sh roles replication-password',
        ),
      ],
      [
        `Sync: the StatefulSet gets its ${target} replicas; each new member finds the cluster in the store and clones ${code(podName(0))}.`,
        sh(...syncCommands(e, n)),
      ],
      [
        `Verify: one Leader, ${target - 1} streaming members${e.patroni.synchronousMode ? ', one of them Sync Standby' : ''}; the data is that of before. Then drop \`patroni-adoption\` from \`acknowledge\` (the build says so).`,
        sh(...streamingCheck({ ...n, patroni: true, primary: PRIMARY_NOW })),
      ],
    ),
    `The claims of ${code(podName(1))} and up are new volumes after step 3: each clone copies the whole database (${e.storage.size} at most) from ${code(podName(0))}. ` +
      'Tested on real servers by `test/runbook-patroni.test.ts`: Patroni started on a data directory initialised without it, with an empty store, adopts it as the leader with its rows, and a new member clones it.',
  );
}
