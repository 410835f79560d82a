import type { ParameterValue } from '../config/environment.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { formatParameterValue } from './parameters.ts';
import { paths } from '../vocabulary/paths.ts';

/** The file an overlay adds to the ConfigMap with only its changed parameters; included last, so it wins. */
export const ENVIRONMENT_CONF = 'environment.conf';

/**
 * Parameters whose values the bundle decides, because the StatefulSet's mounts, ports and
 * probes depend on them. User config may not set them.
 */
export const bundleParameters: Readonly<Record<string, ParameterValue>> = {
  listen_addresses: '*',
  port: POSTGRES_PORT,
  unix_socket_directories: paths.socket,
};

function parameterLines(parameters: Readonly<Record<string, ParameterValue>>): string[] {
  return Object.entries(parameters).map(([name, value]) => `${name} = ${formatParameterValue(value)}`);
}

/** The base postgresql.conf: bundle-owned settings, the shared defaults, then the environment's file. */
export function postgresqlConf(parameters: Readonly<Record<string, ParameterValue>>): string {
  return [
    `# PostgreSQL configuration of the ${names.statefulSet} StatefulSet, rendered by \`npm run build:overlays\``,
    '# from scripts/config/defaults.ts. Edit that file, not this one.',
    '',
    "# Owned by the bundle: the pod's ports, probes and mounts rely on these.",
    ...parameterLines(bundleParameters),
    '',
    '# Shared defaults of every environment, then what scripts/postgres/tuning.ts derives from the volume, memory and medium.',
    ...parameterLines(parameters),
    '',
    '# The tls component adds tls.conf (ssl = on and the certificate files) where the environment serves TLS.',
    "include_if_exists 'tls.conf'",
    '# The pitr component adds archiving.conf (WAL archiving to pgBackRest): absent, nothing is archived.',
    "include_if_exists 'archiving.conf'",
    '',
    `# Each environment's overlay adds ${ENVIRONMENT_CONF} with the parameters it changes; later lines win.`,
    `include_if_exists '${ENVIRONMENT_CONF}'`,
    '',
  ].join('\n');
}

/**
 * An overlay's environment.conf: only the parameters whose values differ from the defaults.
 * Its text is ConfigMap data, so it names nothing that could change without a parameter changing:
 * any change rolls the pods.
 */
export function environmentConf(environment: string, parameters: Readonly<Record<string, ParameterValue>>): string {
  return [
    `# Parameters of the ${environment} environment that differ from the defaults.`,
    ...parameterLines(parameters),
    '',
  ].join('\n');
}
