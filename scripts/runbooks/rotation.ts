import type { Environment } from '../config/environment.ts';
import { applicationRemoteRefs, remoteRefs } from '../k8s/external-secret.ts';
import { code, list, section, sh, steps } from './markdown.ts';
import { podName, type EnvironmentNames } from './names.ts';
import { kubectl, rebuildAndSync, streamingCheck } from './shell.ts';

export const ROTATE_SCRIPT = 'rotate-password.sh';

/** The Secret keys whose passwords the environment's roles use: the superuser's always, the others with their feature. */
export function rotatedKeys(e: Environment): string[] {
  return [
    'password',
    'app-password',
    ...(e.replicas > 1 ? ['replication-password'] : []),
    ...(e.monitoring.enabled ? ['monitoring-password'] : []),
  ];
}

/** rotate-password.sh's arguments on the primary: every role the environment has. */
export const primaryRotationArgs = (e: Environment) => ['roles', ...rotatedKeys(e)];

function rolesTable(e: Environment, n: EnvironmentNames): string {
  const rows = [
    [
      '`password`',
      "the Secret's `username`, the superuser",
      'the backup and restore Jobs, Patroni and its pg_rewind, these runbooks',
    ],
    [
      `\`app-password\` (the Secret ${code(n.applicationSecret)}'s \`password\`)`,
      `${code(e.applicationRole)}, the application role`,
      'applications',
    ],
    ...(e.replicas > 1 ? [['`replication-password`', code(n.replicationRole), "each standby's WAL receiver"]] : []),
    ...(e.monitoring.enabled
      ? [['`monitoring-password`', code(n.monitoringRole), 'the exporter sidecar of every pod']]
      : []),
  ];
  return [
    '| Secret key | role | who logs in with it |',
    '|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

/** Step 1 for each credentials source: the new values reach the Secret, and no pod restarts. */
function newSecret(e: Environment, n: EnvironmentNames): [string, ...string[]] {
  const c = e.credentials;
  const k = kubectl(n);
  const keys = rotatedKeys(e);
  if (c.source === 'external-secrets') {
    const refs = [
      ...remoteRefs(c.externalSecrets).filter((ref) => keys.includes(ref.secretKey)),
      ...applicationRemoteRefs(c.externalSecrets).map((ref) => ({ ...ref, secretKey: 'app-password' })),
    ];
    const remoteKeys = [...new Set(refs.map((ref) => ref.remoteRef.key))];
    const where = remoteKeys.map(
      (key) =>
        `${list(refs.filter((ref) => ref.remoteRef.key === key).map((ref) => code(ref.remoteRef.property) + (ref.remoteRef.property === ref.secretKey ? '' : ` (for ${ref.secretKey})`)))} of ${code(key)}`,
    );
    return [
      `Write the new passwords into the ${c.externalSecrets.storeRef.kind} ${code(c.externalSecrets.storeRef.name)}, as the properties ${list(where)}. ` +
        'Then have the operator copy them into the Secret now (the pod template does not change, so no pod restarts):',
      sh(
        `${k} annotate externalsecret ${n.secret} ${n.applicationSecret} force-sync="$(date +%s)" --overwrite`,
        `${k} get externalsecret ${n.secret} ${n.applicationSecret}     # STATUS SecretSynced, READY True`,
      ),
    ];
  }
  if (c.source === 'sealed-secrets') {
    return [
      `Seal new Secrets with every key ([Credentials](../../docs/credentials.md)) into ${code(`scripts/environments/${c.sealedSecretFile}`)} and ${code(`scripts/environments/${c.applicationSealedSecretFile}`)}, and apply them now, ` +
        'before committing it: the controller updates the Secret and no pod restarts (the pod template changes only with the commit).' +
        (e.delivery.automated
          ? ` ${e.name} syncs automatically and would put git's SealedSecret back: pause it first (\`argocd app set ${n.delivery} --sync-policy none\`, or \`flux suspend kustomization ${n.delivery} -n ${n.fluxNamespace}\`), and turn it on again in step 3.`
          : ''),
      sh(
        `kubectl apply -f scripts/environments/${c.sealedSecretFile} -f scripts/environments/${c.applicationSealedSecretFile}`,
      ),
    ];
  }
  return [
    'Replace both Secrets, every key (no pod restarts: the pods read them only when they start):',
    sh(
      `${k} create secret generic ${n.secret} --dry-run=client -o yaml \\`,
      `  --from-literal=database=${e.database} --from-literal=username="$(${k} get secret ${n.secret} -o go-template='{{.data.username | base64decode}}')" \\`,
      '  --from-literal=password="$(openssl rand -base64 24)" \\',
      '  --from-literal=replication-password="$(openssl rand -base64 24)" \\',
      '  --from-literal=monitoring-password="$(openssl rand -base64 24)" \\',
      '  | kubectl apply -f -',
      `${k} create secret generic ${n.applicationSecret} --dry-run=client -o yaml \\`,
      `  --from-literal=username=${e.applicationRole} --from-literal=password="$(openssl rand -base64 24)" \\`,
      '  | kubectl apply -f -',
    ),
  ];
}

/** The runbook section "Rotate passwords". */
export function rotationSection(e: Environment, n: EnvironmentNames): string {
  if (e.credentials.source === 'generator') {
    return section(
      'rotatePasswords',
      `${e.name} uses the committed placeholder credentials (\`credentials.source: 'generator'\` in ${code(n.source)}): anyone with the repository has them, ` +
        'so rotating them protects nothing. Move it to `external-secrets`, `sealed-secrets` or `existing` first ([Credentials](../../docs/credentials.md)); ' +
        'rebuilt, this section then gives the steps.',
    );
  }
  const k = kubectl(n);
  const roll = `bump \`credentials.revision\` (now ${e.credentials.revision}) to ${e.credentials.revision + 1} in ${code(n.source)}, rebuild, commit and sync. The pods roll, one at a time, highest ordinal first`;
  return section(
    'rotatePasswords',
    `The Secret ${code(n.secret)} holds a password for each role ${e.name} has; PostgreSQL reads none of them after initialisation, ` +
      `so a new password takes effect only through \`ALTER ROLE\`. This procedure changes the Secret first, then sets each role's password from it with ` +
      `${code(`scripts/postgres/sh/${ROTATE_SCRIPT}`)}, which sends the server only a SCRAM verifier computed in the pod (psql's \`\\password\`): ` +
      'no password is typed, none reaches a command line, the server log or `pg_stat_activity`, and the database cannot end up with a value the Secret does not hold.',
    rolesTable(e, n),
    'With the helpers from the top of this file, from the repository root:',
    steps(
      newSecret(e, n),
      [
        `The roles, on the primary${n.patroni ? ' (wherever it is now)' : ` ${code(podName(0))}`}. Open connections stay up; from here on a new connection needs the new password.`,
        sh(`run_script ${n.primary} rotate-password.sh ${primaryRotationArgs(e).join(' ')}`),
        'Each role is reported as set and checked to log in with the new password (or as already set, if it was).',
      ],
      [
        (n.patroni
          ? `At once, restart everything that read the old values at its start, Patroni above all: ${roll}; each member's Patroni starts with the new passwords.`
          : `Restart everything that read the old values at its start${e.monitoring.enabled ? ' (the exporter)' : ''}: ${roll}.`) +
          ` Restart the applications (they read ${code(n.applicationSecret)} at their start): open connections survive, new ones need the new password.`,
        sh(...rebuildAndSync(e, n)),
        "Give applications that log in as the Secret's `username` the new password, and restart them.",
      ],
      [
        'Verify: run step 2 again; every role must be reported as already set. Then:',
        sh(
          ...(e.monitoring.enabled
            ? n.ordinals.map(
                (ordinal) =>
                  `${k} logs ${podName(ordinal)} -c ${n.exporterContainer} --since=10m | grep -c 'authentication failed'   # 0`,
              )
            : []),
          ...(n.patroni ? streamingCheck(n) : [`${k} exec ${podName(0)} -c ${n.container} -- pg_isready -h 127.0.0.1`]),
        ),
      ],
    ),
    n.patroni
      ? "Why this order: Patroni reads the superuser's and the replication role's passwords from its environment (the Secret) only when it starts, for its own connections to " +
          "PostgreSQL, for pg_rewind, and for the password file of each standby's WAL receiver. A Patroni restarted with new passwords the roles do not have yet cannot connect to its own " +
          'server and never becomes ready; the reverse is safe: connections open at `ALTER ROLE` stay authenticated, so every Patroni keeps working and every standby keeps streaming ' +
          'until its pod restarts with the new values. Between steps 2 and 3 a new connection made with the old values fails (a standby that reconnects, a pg_rewind after a failover): ' +
          'so step 3 follows at once. Tested on real servers by `test/runbook-patroni.test.ts` (old passwords refused, new ones accepted, streaming and Patroni unbroken).'
      : 'Tested on real servers for Patroni environments by `test/runbook-patroni.test.ts`; the script is the same here.',
    'A new `username` is not a rotation: it is a new role ([When credentials change](../../docs/credentials.md#when-credentials-change)).',
  );
}
