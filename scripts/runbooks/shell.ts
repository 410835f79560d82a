import type { Environment } from '../config/environment.ts';
import { PATRONI_ROLE_LABEL, PRIMARY_ROLE } from '../vocabulary/labels.ts';
import { PATRONI_SCOPE } from '../vocabulary/names.ts';
import { databaseSelector, type EnvironmentNames } from './names.ts';
import { patroniPaths } from '../vocabulary/paths.ts';

/** Where the runbooks' scripts are, relative to the repository root (the commands run from there). */
export const SCRIPTS_DIR = 'scripts/postgres/sh';

/**
 * kubectl's rendering of the credentials Secret for the scripts: one "<key> <base64 value>" line per
 * key, in key order. The values stay encoded on the way, so nothing readable reaches the terminal.
 */
export const SECRET_LINES_TEMPLATE = '{{range $k, $v := .data}}{{$k}} {{$v}}{{"\\n"}}{{end}}';
/** The applications' Secret likewise, each key prefixed with "app-" so it cannot shadow the server's. */
export const APP_SECRET_LINES_TEMPLATE = '{{range $k, $v := .data}}app-{{$k}} {{$v}}{{"\\n"}}{{end}}';

export const kubectl = (n: EnvironmentNames) => `kubectl -n ${n.namespace}`;

/** The label selector of the pod Patroni runs as primary (it sets the label; the pod template does not have it). */
export const primarySelector = `${databaseSelector},${PATRONI_ROLE_LABEL}=${PRIMARY_ROLE}`;

/** `patroni ARGS...` in a runbook: patronictl in a member, with the members' own configuration. */
export const patroni = (...args: readonly string[]) => `patroni ${args.join(' ')}`;

/** patronictl's arguments for what the runbooks do; the real-server tests run exactly these. */
export const patroniArgs = {
  list: () => ['list', PATRONI_SCOPE],
  switchover: (candidate: string) => ['switchover', PATRONI_SCOPE, '--candidate', candidate, '--force'],
  reinit: (member: string) => ['reinit', PATRONI_SCOPE, member, '--force', '--wait'],
  restartPending: (role: 'replica' | 'primary') => ['restart', PATRONI_SCOPE, '--role', role, '--pending', '--force'],
} as const;

/** The helpers of a Patroni environment: where the primary is now, and patronictl. */
function patroniHelpers(n: EnvironmentNames): string[] {
  const k = kubectl(n);
  return [
    `# primary: the ordinal of the pod Patroni runs as primary now (it moves with every failover and switchover)`,
    `primary() { ${k} get pod -l ${primarySelector} -o name | sed 's|^pod/${n.statefulSet}-||'; }`,
    `# patroni ARGS...: patronictl in the first running database pod, with the members' configuration (${patroniPaths.config})`,
    `patroni() { ${k} exec -i "$(${k} get pod -l ${databaseSelector} --field-selector=status.phase=Running -o name | head -n 1)" -c ${n.container} -- patronictl -c ${patroniPaths.config} "$@"; }`,
  ];
}

/** The shell helpers every runbook defines once, at its top. */
export function helpers(n: EnvironmentNames): string[] {
  const k = kubectl(n);
  return [
    // Also where Patroni does not run yet: "Move to Patroni" uses them.
    ...patroniHelpers(n),
    `# sql_on ORDINAL <<'SQL' ... SQL: SQL on ${n.statefulSet}-ORDINAL, as the superuser (the SQL travels on stdin: no quoting)`,
    `sql_on() { ${k} exec -i "${n.statefulSet}-$1" -c ${n.container} -- sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" exec psql -X -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'; }`,
    ...(n.secretNameHashed
      ? [
          `# secret_lines: the Secrets the pods read (${n.secret}-<hash>, then ${n.applicationSecret}-<hash>, named by the StatefulSet), for the scripts below`,
          `secret_name() { ${k} get statefulset ${n.statefulSet} -o jsonpath="{.spec.template.spec.containers[?(@.name==\\"${n.container}\\")].env[?(@.name==\\"$1\\")].valueFrom.secretKeyRef.name}"; }`,
          `secret_lines() { ${k} get secret "$(secret_name POSTGRES_PASSWORD)" -o go-template='${SECRET_LINES_TEMPLATE}' && ${k} get secret "$(secret_name APP_PASSWORD)" -o go-template='${APP_SECRET_LINES_TEMPLATE}'; }`,
        ]
      : [
          `# secret_lines: the Secrets ${n.secret}, then ${n.applicationSecret} (its keys prefixed app-), for the scripts below`,
          `secret_lines() { ${k} get secret ${n.secret} -o go-template='${SECRET_LINES_TEMPLATE}' && ${k} get secret ${n.applicationSecret} -o go-template='${APP_SECRET_LINES_TEMPLATE}'; }`,
        ]),
    `# run_script ORDINAL SCRIPT ARGS...: a script of ${SCRIPTS_DIR}/ in the database container of ${n.statefulSet}-ORDINAL, the Secret on its stdin`,
    `run_script() { ordinal=$1 script=$2; shift 2; secret_lines | ${k} exec -i "${n.statefulSet}-$ordinal" -c ${n.container} -- sh -c "$(cat "${SCRIPTS_DIR}/$script")" "$script" "$@"; }`,
  ];
}

/** How a person starts a sync of the environment, with Argo CD or with Flux. */
export function syncCommands(e: Environment, n: EnvironmentNames): string[] {
  const flux = `kustomization ${n.delivery} -n ${n.fluxNamespace}`;
  return [
    `argocd app sync ${n.delivery}                                  # Argo CD`,
    ...(e.delivery.automated
      ? [`flux reconcile ${flux} --with-source    # or Flux`]
      : [
          `flux resume ${flux}    # or Flux: applies, waits for health,`,
          `flux suspend ${flux}   # and is suspended again (${e.name} syncs by hand)`,
        ]),
  ];
}

/** The commit that makes a change of the environment file real. */
export function rebuildAndSync(e: Environment, n: EnvironmentNames): string[] {
  return [
    `npm run build:overlays -- ${e.name}    # review the diff of generated/${e.name}.yaml, commit, merge`,
    ...syncCommands(e, n),
  ];
}

/** SQL run by `sql_on` on one instance. */
export const sqlOn = (ordinal: number | string, ...sql: readonly string[]) => [
  `sql_on ${ordinal} <<'SQL'`,
  ...sql,
  'SQL',
];

/** SQL run by `sql_on` on every instance in turn. */
export const sqlOnEach = (n: EnvironmentNames, ...sql: readonly string[]) =>
  n.ordinals.length === 1
    ? sqlOn(n.ordinals[0], ...sql)
    : [
        `for ordinal in ${n.ordinals.join(' ')}; do echo "${n.statefulSet}-$ordinal:"; sql_on "$ordinal" <<'SQL'`,
        ...sql,
        'SQL',
        'done',
      ];

/** On the primary: which standby streams, synchronously or not, and through which slot; and Patroni's view. */
export const streamingCheck = (n: EnvironmentNames) => [
  ...sqlOn(
    n.primary,
    'select r.application_name, r.state, r.sync_state, s.slot_name from pg_stat_replication r left join pg_replication_slots s on s.active_pid = r.pid order by 1;',
  ),
  ...(n.patroni ? [patroni(...patroniArgs.list())] : []),
];
