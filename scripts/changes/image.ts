import { majorVersion } from '../config/image.ts';
import { change, consequence, type Consequence } from './consequence.ts';
import { databaseContainer, findStatefulSet, rollout, type RenderedObject } from './rendered-objects.ts';

/** The tag of an image reference; a registry's port ("host:5000/postgres") is not one. */
function tagOf(reference: string): string {
  // name:tag@sha256:... pins a digest: the tag is before the "@".
  const image = reference.split('@')[0];
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : 'latest';
}

export { majorVersion } from '../config/image.ts';

/** The official image's Alpine variants link against musl, the others against glibc: they sort text differently. */
const isAlpine = (tag: string) => /alpine/.test(tag);

/**
 * A new database image. Within one major version the data directory is compatible and the rollout
 * applies it; across major versions PostgreSQL refuses to start on the old data directory, so
 * every pod the rollout reaches would crash-loop.
 */
export function imageConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  const [from, to] = [old && databaseContainer(old)?.image, now && databaseContainer(now)?.image];
  if (!from || !to || from === to) return [];
  const [oldMajor, newMajor] = [majorVersion(tagOf(from)), majorVersion(tagOf(to))];
  const images = `image ${change(from, to)}`;
  if (oldMajor === undefined || newMajor === undefined) {
    return [
      consequence(
        environment,
        'major-upgrade',
        `${images}: the tag does not say which PostgreSQL major version it is, so the build cannot tell whether the data directory still fits it; ` +
          'a server of another major version refuses to start on it. Pin a tag such as "16-alpine", or check by hand and acknowledge.',
        'majorUpgrade',
      ),
    ];
  }
  if (oldMajor !== newMajor) {
    return [
      consequence(
        environment,
        'major-upgrade',
        `${images}: PostgreSQL ${newMajor} refuses to start on a data directory of PostgreSQL ${oldMajor}, ` +
          'so every pod the rollout reaches would crash-loop. Upgrade the data first (pg_upgrade, or a dump restored into a new environment).',
        'majorUpgrade',
      ),
    ];
  }
  const libc =
    isAlpine(tagOf(from)) !== isAlpine(tagOf(to))
      ? " The C library changes (Alpine's musl and Debian's glibc sort text differently): rebuild every index on text (REINDEX) before trusting them."
      : '';
  return [
    consequence(
      environment,
      'minor-upgrade',
      `${images}: same major version (${newMajor}), so the data directory fits; ${rollout(now!)}. ` +
        `Read the release notes of every version in between: some ask for a REINDEX or another step.${libc}`,
      'minorUpgrade',
    ),
  ];
}
