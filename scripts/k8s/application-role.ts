import type { EnvVar, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import { names } from '../vocabulary/names.ts';

/**
 * The application role: what applications log in as, instead of the superuser. An ordinary role
 * (LOGIN and nothing else) that owns the application database; application-role.sh creates it.
 * Its name and password are in the Secret postgresql-app; the server's Secret stays with the pods.
 */
export const applicationRoleScript = { source: 'application-role.sh', initScript: '10-application-role.sh' } as const;

const appSecretKey = (key: string): EnvVar['valueFrom'] => ({ secretKeyRef: { name: names.applicationSecret, key } });

/** What the script reads in the database container: the role's name and password, from the applications' Secret. */
export const applicationRoleEnv: readonly EnvVar[] = [
  { name: 'APP_USER', valueFrom: appSecretKey('username') },
  { name: 'APP_PASSWORD', valueFrom: appSecretKey('password') },
];

// One file by subPath: other features mount their own init scripts into the same directory.
export const applicationInitMount: VolumeMount = {
  name: 'application-init',
  mountPath: `/docker-entrypoint-initdb.d/${applicationRoleScript.initScript}`,
  subPath: applicationRoleScript.initScript,
  readOnly: true,
};
export const applicationInitVolume: Volume = {
  name: 'application-init',
  configMap: { name: names.applicationInitConfigMap },
};
