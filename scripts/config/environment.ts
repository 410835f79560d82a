import type { NetworkPolicyPeer } from 'kubernetes-types/networking/v1';
import type { AcknowledgeableChange } from './acknowledge.ts';
import type { CredentialsSettings } from './credentials.ts';
import type { DeliverySettings } from './delivery.ts';
import type { TlsSettings } from './tls.ts';
import type { PitrSettings } from './pitr.ts';
import type { SealedSecretFile } from './sealed-secret.ts';

/** A PostgreSQL parameter value as written in postgresql.conf (units go inside strings: "256MB"). */
export type ParameterValue = string | number | boolean;

/** CPU and memory, as Kubernetes quantities ("250m", "512Mi"). */
export interface ComputeResources {
  readonly cpu: string;
  readonly memory: string;
}

/**
 * Everything that describes one PostgreSQL environment once defaults are applied.
 * `scripts/config/defaults.ts` holds the shared values; each file in `scripts/environments/`
 * overrides some of them.
 */
export interface Settings {
  /** Namespace every object is rendered into. @default "project-template" */
  readonly namespace: string;
  /** StatefulSet replicas. @default 1 */
  readonly replicas: number;
  /**
   * Container image of the database. `digest` (sha256:..., the tag's manifest list digest) pins
   * the build every node runs: rendered `name:tag@digest` (docs/configuration.md#image-digests).
   * @default { name: "postgres", tag: "16-alpine" }, no digest
   */
  readonly image: { readonly name: string; readonly tag: string; readonly digest?: string };
  /**
   * Each pod's data volume. `medium` says what the StorageClass's disks are: the planner's costs and
   * autovacuum's pace follow it (scripts/postgres/tuning.ts). @default { size: "10Gi", storageClassName: "standard",
   * medium: "ssd" }
   */
  readonly storage: { readonly size: string; readonly storageClassName: string; readonly medium: 'ssd' | 'hdd' };
  /**
   * @default requests 250m/512Mi, limits 500m/1Gi; `guaranteed: false`
   * `guaranteed: true` renders every container's requests equal to its limits: the pods get the
   * Guaranteed QoS class, evicted last under node memory pressure, at the price of reserving the
   * limits on the node (docs/tuning.md#resource-class).
   */
  readonly resources: {
    readonly requests: ComputeResources;
    readonly limits: ComputeResources;
    readonly guaranteed: boolean;
  };
  /** Size limit of the memory-backed /dev/shm (PostgreSQL's dynamic shared memory). @default "64Mi" */
  readonly sharedMemorySize: string;
  /**
   * The locale initdb gave the database (the image's LANG), from which lc_messages, lc_monetary,
   * lc_numeric, lc_time and default_text_search_config are rendered; timezone and log_timezone are
   * UTC (docs/configuration.md#postgresql-configuration). A parameter set in `postgresql` wins. @default "en_US.utf8"
   */
  readonly locale: string;
  /** postgresql.conf parameters, by their PostgreSQL name. */
  readonly postgresql: Readonly<Record<string, ParameterValue>>;
  /** Where pods of one environment may be placed relative to each other. @default "none" */
  readonly podAntiAffinity: 'none' | 'preferred' | 'required';
  /** Spread pods evenly across zones when the scheduler can (topologySpreadConstraints, ScheduleAnyway). @default false */
  readonly zoneSpread: boolean;
  /** Database the application uses, created at first initialisation. @default "project_template" */
  readonly database: string;
  /**
   * The role applications log in as: LOGIN and nothing else, owner of `database`
   * (docs/credentials.md). Its password is in the Secret postgresql-app. @default "app"
   */
  readonly applicationRole: string;
  /** Who may connect to port 5432. @default [{ podSelector: {} }]: every pod of the namespace */
  readonly allowedClients: readonly NetworkPolicyPeer[];
  /**
   * Automatic failover by Patroni, used when replicas > 1 (docs/replication-and-failover.md).
   * A dead primary is replaced about `ttl` seconds after its last renewal of the leader lock.
   */
  readonly patroni: {
    /** Seconds the leader lock lives without renewal; at least 20, and at least loopWait + 2 × retryTimeout. @default 30 */
    readonly ttl: number;
    /** Seconds between two runs of each member's HA loop. @default 10 */
    readonly loopWait: number;
    /** Seconds a Kubernetes API or PostgreSQL call is retried before Patroni gives up on it. @default 10 */
    readonly retryTimeout: number;
    /**
     * A commit returns once one standby has it, and only that standby may be promoted: a failover
     * loses no acknowledged write. Without a healthy standby the primary goes on alone (not strict). @default true
     */
    readonly synchronousMode: boolean;
    /** A standby further behind than this many bytes of WAL is never promoted. @default 1048576 */
    readonly maximumLagOnFailover: number;
  };
  /** Logical backups to a PersistentVolumeClaim, as the kustomize Component "backup". */
  readonly backup: {
    /** @default false */
    readonly enabled: boolean;
    /** Cron schedule, in UTC. @default "0 2 * * *" */
    readonly schedule: string;
    /** Backups older than this many days are deleted after a successful backup. @default 7 */
    readonly retentionDays: number;
    /** @default { size: "20Gi", storageClassName: "standard" } */
    readonly storage: { readonly size: string; readonly storageClassName: string };
  };
  /** Point-in-time recovery: WAL archiving and backups to S3 with pgBackRest, as the kustomize Component "pitr" (docs/backups-and-restore.md). */
  readonly pitr: PitrSettings;
  /** postgres_exporter and scrape annotations, as the kustomize Component "monitoring". */
  readonly monitoring: {
    /** @default false */
    readonly enabled: boolean;
    /**
     * The cluster runs prometheus-operator: a ServiceMonitor and the alerts' PrometheusRule as well
     * (Component "prometheus-operator"). Off, no custom resource is rendered. @default false
     */
    readonly serviceMonitor: boolean;
    /**
     * Who may reach the exporter's port 9187.
     * @default [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]: any pod of
     * the namespace "monitoring"
     */
    readonly allowedScrapers: readonly NetworkPolicyPeer[];
    /**
     * Labels added to the ServiceMonitor and the PrometheusRule, for a Prometheus that selects them by
     * label, such as kube-prometheus-stack's `release: <its release name>`. @default {}
     */
    readonly labels: Readonly<Record<string, string>>;
    /** The exporter image's digest (sha256:...), rendered `...postgres-exporter:v0.17.1@digest`. @default none */
    readonly exporterDigest?: string;
  };
  /** TLS for every connection from another host (docs/tls.md): a cert-manager Certificate, hostssl only. */
  readonly tls: TlsSettings;
  /** Where the credentials Secret comes from (docs/credentials.md). */
  readonly credentials: CredentialsSettings;
  /** How Argo CD and Flux sync this environment (docs/delivery.md). */
  readonly delivery: DeliverySettings;
  /**
   * Changes against the committed `generated/<env>.yaml` that the build refuses until they are
   * listed here, once their runbook is followed (docs/day-2.md#when-a-change-needs-a-manual-step).
   * Remove an entry when the build says it matches nothing. @default []
   */
  readonly acknowledge: readonly AcknowledgeableChange[];
}

/** Objects merge key by key, at any depth; lists and plain values replace. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Overrides of {@link Settings}; `postgresql` parameters merge by name. */
export type SettingsOverrides = DeepPartial<Settings>;

/** What an environment file exports. */
export interface EnvironmentConfig extends SettingsOverrides {
  /** Overlay directory and rendered file name: `overlays/<name>/`, `generated/<name>.yaml`. */
  readonly name: string;
}

/** A validated environment: its name, where it came from, and complete settings. */
export interface Environment extends Settings {
  readonly name: string;
  readonly source: string;
  /** Source sealed-secrets: the two SealedSecret files, read and checked when the environment is loaded (config/sealed-secret.ts). */
  readonly sealedSecrets?: { readonly server: SealedSecretFile; readonly application: SealedSecretFile };
}

/** Identity helper so environment files get type checking and completion. */
export function defineEnvironment(config: EnvironmentConfig): EnvironmentConfig {
  return config;
}
