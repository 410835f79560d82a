import type { NetworkPolicyPeer } from 'kubernetes-types/networking/v1';
import type { AcknowledgeableChange } from './acknowledge.ts';
import type { CredentialsSettings } from './credentials.ts';
import type { DeliverySettings } from './delivery.ts';
import type { PitrSettings } from './pitr.ts';

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
  /** Container image of the database. @default { name: "postgres", tag: "16-alpine" } */
  readonly image: { readonly name: string; readonly tag: string };
  /** Each pod's data volume. @default { size: "10Gi", storageClassName: "standard" } */
  readonly storage: { readonly size: string; readonly storageClassName: string };
  /** @default requests 250m/512Mi, limits 500m/1Gi */
  readonly resources: { readonly requests: ComputeResources; readonly limits: ComputeResources };
  /** Size limit of the memory-backed /dev/shm (PostgreSQL's dynamic shared memory). @default "64Mi" */
  readonly sharedMemorySize: string;
  /** postgresql.conf parameters, by their PostgreSQL name. */
  readonly postgresql: Readonly<Record<string, ParameterValue>>;
  /** Where pods of one environment may be placed relative to each other. @default "none" */
  readonly podAntiAffinity: 'none' | 'preferred' | 'required';
  /** Spread pods evenly across zones when the scheduler can (topologySpreadConstraints, ScheduleAnyway). @default false */
  readonly zoneSpread: boolean;
  /** Database the application uses, created at first initialisation. @default "project_template" */
  readonly database: string;
  /** Who may connect to port 5432. @default [{ podSelector: {} }]: every pod of the namespace */
  readonly allowedClients: readonly NetworkPolicyPeer[];
  /** Streaming replication, used when replicas > 1. */
  readonly replication: {
    /** The StatefulSet ordinal that is the primary; changing it is a failover (README). @default 0 */
    readonly primaryOrdinal: number;
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
  /** Point-in-time recovery: WAL archiving and backups to S3 with pgBackRest, as the kustomize Component "pitr" (README, "Backups and restore"). */
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
    /** Who may reach the exporter's port 9187. @default [{ namespaceSelector: {} }]: any pod of any namespace */
    readonly allowedScrapers: readonly NetworkPolicyPeer[];
  };
  /** Where the credentials Secret comes from (README, "Credentials"). */
  readonly credentials: CredentialsSettings;
  /** How Argo CD and Flux sync this environment (README, "Argo CD and Flux"). */
  readonly delivery: DeliverySettings;
  /**
   * Changes against the committed `generated/<env>.yaml` that the build refuses until they are
   * listed here, once their runbook is followed (README, "When a change needs a manual step").
   * Remove an entry when the build says it matches nothing. @default []
   */
  readonly acknowledge: readonly AcknowledgeableChange[];
}

/** Objects merge key by key, at any depth; lists and plain values replace. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

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
}

/** Identity helper so environment files get type checking and completion. */
export function defineEnvironment(config: EnvironmentConfig): EnvironmentConfig {
  return config;
}
