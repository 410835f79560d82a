import { defaults } from './defaults.ts';
import { didYouMean } from './suggest.ts';

/**
 * Objects whose keys are the user's own (checked by their own rules, not against defaults):
 * PostgreSQL parameters (parameterProblem, with its own "did you mean") and remote refs by Secret key.
 */
const OPEN_MAPS: readonly string[] = [
  'postgresql',
  'credentials.externalSecrets.remoteRefs',
  'monitoring.labels',
  'pitr.credentials.externalSecrets.remoteRefs',
];

/** Settings that have no default, so `defaults` cannot show them: by the object that holds them. */
export const OPTIONAL_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  credentials: ['sealedSecretFile', 'applicationSealedSecretFile'],
  image: ['digest'],
  monitoring: ['exporterDigest'],
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Keys an environment file sets that Settings does not have, at every depth, and objects replaced
 * by something else, as [field path, message] pairs. The shape is the one of `defaults`, so a new
 * setting is known here as soon as it has a default. Without this, a misspelt nested key
 * (`backup: { enabeld: true }`) would be merged beside the real one and the default rendered.
 */
export function shapeProblems(config: object): [string, string][] {
  return checkShape(config).problems;
}

/**
 * The problems above, and the config without the keys they name: what the other checks can still
 * read, so that one run reports every problem (an unknown key here and a bad value there).
 */
export function checkShape(config: object): { problems: [string, string][]; wellShaped: Record<string, unknown> } {
  const problems: [string, string][] = [];
  const walk = (
    override: Record<string, unknown>,
    shape: Record<string, unknown>,
    path: string,
  ): Record<string, unknown> => {
    const kept: Record<string, unknown> = {};
    // The environment's own name comes first at the top: it is not a setting but is always there.
    const allowed = [...(path === '' ? ['name'] : []), ...Object.keys(shape), ...(OPTIONAL_SETTINGS[path] ?? [])];
    for (const [key, value] of Object.entries(override)) {
      const field = path ? `${path}.${key}` : key;
      if (!allowed.includes(key)) {
        problems.push([field, `unknown setting; allowed: ${allowed.join(', ')}${didYouMean(key, allowed)}`]);
        continue;
      }
      const expected = shape[key];
      if (value === undefined || !isPlainObject(expected) || OPEN_MAPS.includes(field)) {
        kept[key] = value;
      } else if (!isPlainObject(value)) {
        problems.push([
          field,
          `must be an object with ${Object.keys(expected).join(', ') || 'entries'}, got ${JSON.stringify(value)}`,
        ]);
      } else {
        kept[key] = walk(value, expected, field);
      }
    }
    return kept;
  };
  const wellShaped = walk(config as Record<string, unknown>, defaults as unknown as Record<string, unknown>, '');
  return { problems, wellShaped };
}
