/**
 * Cross-setting rules behind "an environment the build accepts boots": what PostgreSQL 16 checks at
 * start (postmaster.c's PostmasterMain, xlog.c, the GUC check hooks), and what the bundle's pods,
 * backups and replication need. Each rule is [field path, why, what works]. Single values that are
 * malformed are left to parameterProblem and the other checks: these rules read valid values only.
 */
import type { ParameterValue, Settings } from './environment.ts';
import { quantityValue } from './quantity.ts';
import { catalogEntry } from '../postgres/catalog.ts';
import { isOfficialImage, OFFICIAL_IMAGE_LIBRARIES, unknownTimeZone } from '../postgres/image-contents.ts';
import { closestName } from './suggest.ts';
import { normalizedSetting, parameterBaseValue, parameterBytes, parameterProblem } from '../postgres/parameters.ts';

/** The WAL the server may keep (max_wal_size plus what is retained for standbys) may take at most this share of the data volume. */
export const WAL_MAX_SHARE = 0.5;
/** Template databases: backup.sh skips them, and every new database is a copy of template1. */
const TEMPLATE_DATABASES = ['template0', 'template1'];

const GiB = 1024 ** 3;
const size = (bytes: number) =>
  bytes >= GiB ? `${Number((bytes / GiB).toFixed(2))}GiB` : `${Math.ceil(bytes / 1024 ** 2)}MiB`;

export function startupProblems(s: Settings): [string, string][] {
  const problems: [string, string][] = [];
  const report = (field: string, message: string) => problems.push([field, message]);
  if (s.postgresql === null || typeof s.postgresql !== 'object') return problems;
  // A valid explicit value, else PostgreSQL's own default; undefined when the value is refused elsewhere.
  const value = (name: string): ParameterValue | undefined => {
    const configured = s.postgresql[name] ?? catalogEntry(name)?.boot_val ?? undefined;
    return configured !== undefined && parameterProblem(name, configured) === undefined ? configured : undefined;
  };
  const setting = (name: string) => {
    const v = value(name);
    return v === undefined ? undefined : normalizedSetting(name, v);
  };
  const number = (name: string) => {
    const v = value(name);
    return v === undefined ? undefined : parameterBaseValue(name, v);
  };
  const standbys = Number.isInteger(s.replicas) ? s.replicas - 1 : 0;

  // postmaster.c: "superuser_reserved_connections (3) plus reserved_connections (0) must be less than max_connections".
  const [connections, superuserReserved, reserved] = [
    number('max_connections'),
    number('superuser_reserved_connections'),
    number('reserved_connections'),
  ];
  if (
    connections !== undefined &&
    superuserReserved !== undefined &&
    reserved !== undefined &&
    superuserReserved + reserved >= connections
  ) {
    report(
      'postgresql.max_connections',
      `PostgreSQL refuses to start: superuser_reserved_connections (${superuserReserved}) plus reserved_connections (${reserved}) must be less than max_connections (${connections}); ` +
        `set max_connections to at least ${superuserReserved + reserved + 1}, or lower the reserved connections`,
    );
  }

  // postmaster.c: WAL streaming and archiving both need more than minimal WAL.
  const walLevel = setting('wal_level');
  const archiveMode = setting('archive_mode');
  const walSenders = number('max_wal_senders');
  if (walLevel === 'minimal' && walSenders !== undefined && walSenders > 0) {
    report(
      'postgresql.wal_level',
      `PostgreSQL refuses to start: WAL streaming (max_wal_senders ${walSenders} > 0) requires wal_level "replica" or "logical"; ` +
        'keep "replica", or set max_wal_senders: 0 as well (no standby and no pg_basebackup can attach then)',
    );
  }
  if (walLevel === 'minimal' && archiveMode !== undefined && archiveMode !== 'off') {
    report(
      'postgresql.wal_level',
      'PostgreSQL refuses to start: WAL archival (archive_mode on) cannot be enabled when wal_level is "minimal"; keep "replica"',
    );
  }

  // Archiving that cannot archive: the server keeps every WAL segment until it is archived. With
  // pitr on, archiving is the bundle's (components/pitr) and its parameters are refused in pitr.ts.
  const bundleArchives = s.pitr?.enabled === true;
  const command = bundleArchives ? '' : String(value('archive_command') ?? '');
  const library = String(value('archive_library') ?? '');
  if (
    !bundleArchives &&
    archiveMode !== undefined &&
    archiveMode !== 'off' &&
    command.trim() === '' &&
    library.trim() === ''
  ) {
    report(
      'postgresql.archive_mode',
      `"${archiveMode}" without archive_command or archive_library keeps every WAL segment until it is archived, so pg_wal grows until the volume is full; ` +
        'leave archive_mode off, or set an archive_command that copies %p',
    );
  }
  if (command.trim() !== '' && !command.includes('%p')) {
    report(
      'postgresql.archive_command',
      `must copy the segment it is given: the command never names "%p" (the segment's path), so nothing is archived, got ${JSON.stringify(command)}`,
    );
  }
  if (command.trim() !== '' && library.trim() !== '') {
    report(
      'postgresql.archive_command',
      'PostgreSQL refuses to archive when both archive_command and archive_library are set; set one of them',
    );
  }
  if ((command.trim() !== '' || library.trim() !== '') && archiveMode === 'off') {
    report(
      'postgresql.archive_mode',
      `is off, so the ${command.trim() !== '' ? 'archive_command' : 'archive_library'} set here is never run; set archive_mode: "on", or remove it`,
    );
  }

  // Settings with which the server does not start in the bundle's pod.
  if (setting('ssl') === 'on' && ['ssl_cert_file', 'ssl_key_file'].some((name) => s.postgresql[name] === undefined)) {
    report(
      'postgresql.ssl',
      'PostgreSQL refuses to start: ssl on needs a certificate and key (ssl_cert_file, ssl_key_file), and the bundle mounts none; ' +
        'leave ssl off (the NetworkPolicy limits who connects), or mount a certificate and set both files',
    );
  }
  if (setting('huge_pages') === 'on') {
    report(
      'postgresql.huge_pages',
      'PostgreSQL refuses to start with huge_pages "on" unless the node reserves huge pages and the pod requests hugepages-2Mi, which the bundle does not; ' +
        'use "try" (the default: huge pages when available) or "off"',
    );
  }

  // Names the server resolves at start: a library it cannot load or a zone it does not know stops it.
  const image = typeof s.image?.name === 'string' ? s.image.name : '';
  for (const name of ['shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries']) {
    const libraries = String(value(name) ?? '')
      .split(',')
      .map((library) =>
        library
          .trim()
          .replace(/^"|"$/g, '')
          .replace(/^\$libdir\//, ''),
      )
      .filter(Boolean);
    const missing = libraries.filter((library) => !OFFICIAL_IMAGE_LIBRARIES.includes(library));
    if (isOfficialImage(image) && missing.length) {
      const guesses = missing.map((m) => closestName(m, OFFICIAL_IMAGE_LIBRARIES)).filter(Boolean);
      report(
        `postgresql.${name}`,
        `PostgreSQL refuses to start: ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length > 1 ? 'are not libraries' : 'is not a library'} of the official postgres image${guesses.length ? ` (did you mean ${guesses.map((g) => `"${g}"`).join(', ')}?)` : ''}; ` +
          'use its contrib libraries (such as pg_stat_statements, auto_explain), or an image that ships the library (image.name)',
      );
    }
  }
  for (const name of ['timezone', 'log_timezone']) {
    const zone = value(name);
    if (typeof zone === 'string' && unknownTimeZone(zone)) {
      report(
        `postgresql.${name}`,
        `PostgreSQL refuses to start: ${JSON.stringify(zone)} is not a time zone of the IANA database; use a name such as "UTC" or "Europe/Paris"`,
      );
    }
  }

  // What the bundle's pods, backups and failover need.
  const encryption = setting('password_encryption');
  if (encryption !== undefined && encryption !== 'scram-sha-256') {
    report(
      'postgresql.password_encryption',
      `"${encryption}" stores new passwords in a form the bundle's pg_hba.conf (scram-sha-256 on every line) never accepts, so no new or changed password can log in; keep "scram-sha-256"`,
    );
  }
  if (setting('fsync') === 'off') {
    report(
      'postgresql.fsync',
      'off risks unrecoverable corruption on a crash or a node failure (the docs: "consider restoring from a backup"); keep fsync on; for speed, synchronous_commit: off loses only the last transactions',
    );
  }
  if (standbys > 0 && setting('full_page_writes') === 'off') {
    report(
      'postgresql.full_page_writes',
      `must be on with replicas > 1: pg_rewind, which turns a former primary into a standby after a failover, refuses to run without it`,
    );
  }
  if (typeof s.database === 'string' && TEMPLATE_DATABASES.includes(s.database)) {
    report(
      'database',
      `"${s.database}" is a template database, which backup.sh skips: the application's data would never be backed up (and template1 is copied into every new database); ` +
        'name the application\'s own database, such as "app"',
    );
  }

  // WAL that cannot fit its volume: a full volume stops the server (PANIC: could not write to file "pg_wal/...").
  const volume = quantityValue(String(s.storage?.size));
  const maxWal = value('max_wal_size');
  const keep = value('wal_keep_size');
  const slotCap = value('max_slot_wal_keep_size');
  if (volume !== undefined && maxWal !== undefined && keep !== undefined) {
    const slots =
      standbys > 0 && slotCap !== undefined ? Math.max(0, parameterBytes('max_slot_wal_keep_size', slotCap)) : 0;
    const retained = Math.max(parameterBytes('wal_keep_size', keep), slots);
    const wal = parameterBytes('max_wal_size', maxWal) + retained;
    if (wal > volume * WAL_MAX_SHARE) {
      const parts = `max_wal_size ${JSON.stringify(maxWal)} + ${slots > parameterBytes('wal_keep_size', keep) ? `max_slot_wal_keep_size ${JSON.stringify(slotCap)}` : `wal_keep_size ${JSON.stringify(keep)}`}`;
      report(
        maxWal === s.postgresql.max_wal_size ? 'postgresql.max_wal_size' : 'storage.size',
        `pg_wal may hold ${parts} = ${size(wal)}, more than ${WAL_MAX_SHARE * 100}% of the ${s.storage.size} data volume (the database needs the rest); ` +
          `use storage.size of at least ${size(wal / WAL_MAX_SHARE)}, or lower them`,
      );
    }
  }
  return problems;
}
