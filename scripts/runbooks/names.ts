import type { Environment } from '../config/environment.ts';
import { argocdFile, deliveryName, fluxFile } from '../delivery/manifests.ts';
import { podLabels } from '../vocabulary/labels.ts';
import { names, REPLICATION_ROLE } from '../vocabulary/names.ts';
import { backupNames, monitoringNames, MONITORING_ROLE } from '../vocabulary/feature-names.ts';
import { paths } from '../vocabulary/paths.ts';

/** A StatefulSet's pod: `<statefulset>-<ordinal>` (the ordinal may be a shell variable, "$standby"). */
export const podName = (ordinal: number | string) => `${names.statefulSet}-${ordinal}`;

/** A pod's data claim, as the StatefulSet names what its volumeClaimTemplate creates: `<template>-<pod>`. */
export const dataClaimName = (ordinal: number | string) => `${names.dataVolumeClaim}-${podName(ordinal)}`;

/** A member's replication slot on the primary: its pod name with every character but a-z, 0-9 and "_" made "_" (Patroni's slot_name_from_member_name). */
export const slotName = (ordinal: number) => podName(ordinal).replace(/[^a-z0-9_]/g, '_');

/**
 * The primary's ordinal in a command: under Patroni any pod may be the primary, so the commands ask
 * the `primary` helper (the pod Patroni labels role=primary) when they run; with one replica it is 0.
 */
export const PRIMARY_NOW = '"$(primary)"';

/** The label selector of the database's pods and data claims (not the backup volume, whose component differs). */
export const databaseSelector = Object.entries(podLabels)
  .map(([key, value]) => `${key}=${value}`)
  .join(',');

/** Everything an environment's runbook commands name, computed as the renderer computes it. */
export interface EnvironmentNames {
  readonly environment: string;
  readonly source: string;
  readonly namespace: string;
  readonly replicas: number;
  /** Patroni runs the pods (replicas > 1): failover, switchover and re-seeding are its. */
  readonly patroni: boolean;
  /** The primary's ordinal, or PRIMARY_NOW under Patroni. */
  readonly primary: number | string;
  readonly standbys: readonly number[];
  readonly ordinals: readonly number[];
  readonly statefulSet: string;
  readonly container: string;
  readonly exporterContainer: string;
  readonly service: string;
  readonly readService: string;
  readonly secret: string;
  /** The applications' Secret: the application role's username and password. */
  readonly applicationSecret: string;
  /** kustomize's secretGenerator (source "generator") appends a hash of the content to the Secret's name. */
  readonly secretNameHashed: boolean;
  readonly dataMount: string;
  readonly replicationRole: string;
  readonly monitoringRole: string;
  readonly backupCronJob: string;
  readonly restoreCronJob: string;
  readonly backupClaim: string;
  /** Name of the Argo CD Application, and of the Flux GitRepository and Kustomization. */
  readonly delivery: string;
  readonly argocdNamespace: string;
  readonly fluxNamespace: string;
  readonly argocdFile: string;
  readonly fluxFile: string;
}

export function environmentNames(e: Environment): EnvironmentNames {
  const ordinals = Array.from({ length: e.replicas }, (_, ordinal) => ordinal);
  return {
    environment: e.name,
    source: e.source,
    namespace: e.namespace,
    replicas: e.replicas,
    patroni: e.replicas > 1,
    primary: e.replicas > 1 ? PRIMARY_NOW : 0,
    standbys: ordinals.filter((ordinal) => ordinal !== 0),
    ordinals,
    statefulSet: names.statefulSet,
    container: names.container,
    exporterContainer: monitoringNames.container,
    service: names.service,
    readService: names.readService,
    secret: names.secret,
    applicationSecret: names.applicationSecret,
    secretNameHashed: e.credentials.source === 'generator',
    dataMount: paths.dataMount,
    replicationRole: REPLICATION_ROLE,
    monitoringRole: MONITORING_ROLE,
    backupCronJob: backupNames.cronJob,
    restoreCronJob: backupNames.restoreCronJob,
    backupClaim: backupNames.claim,
    delivery: deliveryName(e.name),
    argocdNamespace: e.delivery.argocd.namespace,
    fluxNamespace: e.delivery.flux.namespace,
    argocdFile: argocdFile(e.name),
    fluxFile: fluxFile(e.name),
  };
}
