import type { Environment } from '../config/environment.ts';
import { deliveryName } from '../delivery/manifests.ts';
import { selectorLabels } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';
import { code, derivedEnvironmentFile, list, section, see, sh, steps, tsLiteral } from './markdown.ts';
import { dataClaimName, environmentNames, podName, type EnvironmentNames } from './names.ts';
import { kubectl, rebuildAndSync, SCRIPTS_DIR, sqlOn, sqlOnEach, streamingCheck, syncCommands } from './shell.ts';

export const UPGRADE_SCRIPT = 'upgrade-copy.sh';

/** The major version an image tag names ("16-alpine" → 16), when it starts with one. */
export const tagMajor = (tag: string): number | undefined =>
  /^(\d+)/.exec(tag) ? Number(/^(\d+)/.exec(tag)![1]) : undefined;

/** The environment a major upgrade copies into: same settings, a namespace of its own, the next major's image. */
export function upgradeTarget(e: Environment): { name: string; namespace: string; major: string; tag: string } {
  const major = tagMajor(e.image.tag);
  const next = major === undefined ? 'NEXT' : String(major + 1);
  return {
    name: `${e.name}-pg${next}`,
    namespace: `${e.namespace}-pg${next}`,
    major: next,
    tag: e.image.tag.replace(/^\d+(\.\d+)*/, next),
  };
}

/**
 * Applying a new environment's Argo CD or Flux file, its first sync (a manual environment's copy
 * syncs by hand too), and the wait for its first pod: the commands name the new environment's objects.
 */
export function firstSync(e: Environment, target: { name: string; namespace: string }): string[] {
  const copy: Environment = { ...e, name: target.name, namespace: target.namespace, replicas: 1 };
  const t = environmentNames(copy);
  return [
    `kubectl apply -f ${t.argocdFile}   # or: kubectl apply -f ${t.fluxFile}`,
    ...syncCommands(copy, t),
    `kubectl -n ${t.namespace} wait --for=condition=Ready pod/${podName(0)} --timeout=10m`,
  ];
}

/** The address the new environment's pods reach the old primary at (the read-write Service). */
export const serviceAddress = (n: EnvironmentNames) => `${n.service}.${n.namespace}.svc.cluster.local`;

export function backupFirst(e: Environment, n: EnvironmentNames): [string, ...string[]] {
  const k = kubectl(n);
  return e.backup.enabled
    ? [
        'Take a backup now, to fall back on:',
        sh(
          `${k} create job --from=cronjob/${n.backupCronJob} ${n.backupCronJob}-manual`,
          `${k} wait --for=condition=complete job/${n.backupCronJob}-manual --timeout=4h && ${k} delete job ${n.backupCronJob}-manual`,
        ),
      ]
    : [
        `${e.name} takes no backups (\`backup.enabled\` is off): if the data matters, dump it to your machine first (every row and the roles' password hashes: keep the file safe).`,
        sh(
          `(umask 077; ${k} exec ${podName(n.primary)} -c ${n.container} -- sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" pg_dumpall -U "$POSTGRES_USER"' > ${e.name}-"$(date +%Y%m%d)".sql)`,
        ),
      ];
}

/** The runbook section "Minor upgrade". */
export function minorUpgradeSection(e: Environment, n: EnvironmentNames): string {
  const image = `${e.image.name}:${e.image.tag}`;
  const rollOrder = [...n.ordinals].reverse().map(podName);
  const floating = /^\d+(-|$)/.test(e.image.tag);
  const order = !n.patroni
    ? `With one replica, the roll is one restart of ${code(podName(0))}: a short outage.`
    : `The roll restarts ${list(rollOrder.map(code))}, each after the previous one is Ready, whichever is the primary. PostgreSQL's release notes ask for the standbys first ` +
      `(a standby may replay an older primary's WAL, not always the reverse): switch over to ${code(podName(0))}, the last one restarted, before the sync (${see('switchover')}). ` +
      'When the roll reaches the primary, Patroni hands over to an upgraded standby: writes pause for a few seconds.';
  return section(
    'minorUpgrade',
    `${e.name} runs ${code(image)} (\`image\` in ${code(n.source)}), in the database container${n.patroni ? ' and the Patroni config Job' : ''}${e.backup.enabled ? ' and the backup Jobs' : ''}. ` +
      'A minor release (16.4 → 16.6) changes no data format: new binaries on the same volume.' +
      (floating
        ? ` The tag ${code(e.image.tag)} follows every minor release, so which one a pod runs depends on its node's image cache: pin one, such as ${code(e.image.tag.replace(/^(\d+)/, '$1.6'))} (with the minor you want).`
        : ''),
    steps(
      [
        'Read the release notes of every minor release in between: some ask for a step after the upgrade (a `REINDEX`, for example).',
      ],
      backupFirst(e, n),
      [
        `Set the tag in ${code(n.source)}, rebuild, review the diff of the images, commit and sync:`,
        sh(...rebuildAndSync(e, n)),
      ],
      [order],
      [
        n.replicas > 1 ? "Verify every instance's version, then replication:" : 'Verify the version:',
        sh(...sqlOnEach(n, 'select version();'), ...(n.patroni ? streamingCheck(n) : [])),
      ],
    ),
  );
}

/** The runbook section "Major upgrade". */
export function majorUpgradeSection(e: Environment, n: EnvironmentNames): string {
  const target = upgradeTarget(e);
  const kt = `kubectl -n ${target.namespace}`;
  const admitted = [
    ...e.allowedClients,
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target.namespace } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': selectorLabels['app.kubernetes.io/name'] } },
    },
  ];
  const credentialsNote = {
    generator: 'It reads the same placeholder credentials.',
    'external-secrets': 'It reads the same store key, so both have the same passwords, as the copy needs.',
    'sealed-secrets': `A SealedSecret is sealed for one namespace: seal the same values again for ${code(target.namespace)} and point \`credentials.sealedSecretFile\` at that file.`,
    existing: `Create the same Secret in ${code(target.namespace)} first (the same keys and values as in ${code(n.namespace)}).`,
  }[e.credentials.source];
  return section(
    'majorUpgrade',
    `**Chosen: dump and restore into a new StatefulSet**, in a new environment of its own namespace, not \`pg_upgrade\`. pg_upgrade needs the old and the new major's binaries ` +
      'in one pod holding the volume, built for the same C library as the data (these images are Alpine, musl: a glibc upgrade image sorts text differently), and no official image has both; ' +
      'its standbys must be rebuilt afterwards anyway. A dump needs only the new image, leaves the old database untouched until the applications move (rolling back is pointing them back), ' +
      "rebuilds every index under the new version, and is the upgrade path PostgreSQL documents for `pg_dumpall`, run with the newer major's client. " +
      'The cost is downtime while writes are fenced: the time to dump and load the data (for much larger databases, logical replication into the new environment would shorten it; not covered here).',
    `Tested: \`test/runbook-major-upgrade.test.ts\` runs ${code(UPGRADE_SCRIPT)} on real servers **one major lower, PostgreSQL 15 into 16, with the 15 client programs**: ` +
      "neither the npm registry nor Debian's packages here offer the client programs (pg_dumpall) of PostgreSQL 17, nor of 16, so the path as written, the new major's pg_dumpall from the old server, is not tested here.",
    steps(
      backupFirst(e, n),
      [
        `A new environment, ${code(target.name)}, with ${e.name}'s settings and the next major's image, one replica for the copy. ${credentialsNote}`,
        derivedEnvironmentFile(e.name, {
          name: target.name,
          namespace: target.namespace,
          image: { name: e.image.name, tag: target.tag },
          replicas: 1,
        }),
        'Rebuild, commit, merge; then apply its Argo CD Application or its Flux file once, sync it, and wait for its empty database:',
        sh(...firstSync(e, target)),
      ],
      [
        `Admit the new pods to ${e.name}'s server: \`allowedClients\` in ${code(n.source)} becomes`,
        ['```ts', `allowedClients: ${tsLiteral(admitted)},`, '```'].join('\n'),
        sh(...rebuildAndSync(e, n)),
      ],
      [
        `Stop every write to ${e.name}'s primary ${code(podName(n.primary))} (the same fence as a switchover). The applications' writes fail from here until step 6.`,
        sh(
          ...sqlOn(
            n.primary,
            'alter system set default_transaction_read_only = on;',
            'select pg_reload_conf();',
            "select pg_terminate_backend(pid) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid();",
          ),
        ),
      ],
      [
        `Copy, from inside the new primary (its \`pg_dumpall\` is the new major's). The script refuses a target that holds data, fails on any error but the roles and database that already exist, and compares every table's row count on both sides:`,
        sh(
          `${kt} exec ${podName(0)} -c ${n.container} -- sh -c "$(cat ${SCRIPTS_DIR}/${UPGRADE_SCRIPT})" ${UPGRADE_SCRIPT} ${serviceAddress(n)}`,
        ),
        `If it fails: fix the cause, empty the new volume (\`${kt} delete pvc ${dataClaimName(0)} --wait=false && ${kt} delete pod ${podName(0)}\`) and run it again.`,
      ],
      [
        `Move the applications to ${code(`${n.service}.${target.namespace}.svc.cluster.local`)} (\`DB_HOST\` in the ConfigMap ${code(names.connectionConfigMap)} of ${code(target.namespace)}).` +
          (n.patroni
            ? ` Then give ${code(target.name)} its ${n.replicas} replicas: that is a move to Patroni (its runbook's "Move to Patroni"), and its standbys clone the new primary.`
            : ''),
      ],
      [
        "Verify: the script ended with `complete`; the new server's version, and what the applications see:",
        sh(
          `${kt} exec ${podName(0)} -c ${n.container} -- sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" psql -X -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "select version()"'`,
        ),
      ],
    ),
    `**Rolling back**, any time before step 6: lift the fence (\`alter system reset default_transaction_read_only;\` then \`select pg_reload_conf();\` through \`sql_on ${n.primary}\`) and delete ${code(target.name)}'s file and Application. ` +
      `**Afterwards**, retire ${e.name}: delete its Application (${code(deliveryName(e.name))}) or Flux Kustomization; its volumes stay until you delete them (${see('scaleReplicas')} shows how to list them).`,
    `Before relying on ${code(target.tag)}: the build checks parameters against PostgreSQL 16's catalog; read the new major's release notes for parameters it removed or renamed.`,
  );
}
