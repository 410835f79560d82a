/**
 * What the official PostgreSQL 16 image (docker-library "postgres", Alpine and Debian) ships that a
 * configuration can name: the contrib modules' shared libraries. test/startup-rules-server.test.ts
 * compares this list with the libraries of the PostgreSQL 16 build the tests run.
 */
export const OFFICIAL_IMAGE_LIBRARIES: readonly string[] = [
  '_int',
  'adminpack',
  'amcheck',
  'auth_delay',
  'auto_explain',
  'autoinc',
  'basebackup_to_shell',
  'basic_archive',
  'bloom',
  'btree_gin',
  'btree_gist',
  'citext',
  'cube',
  'dblink',
  'dict_int',
  'dict_xsyn',
  'earthdistance',
  'file_fdw',
  'fuzzystrmatch',
  'hstore',
  'insert_username',
  'isn',
  'lo',
  'ltree',
  'moddatetime',
  'old_snapshot',
  'pageinspect',
  'passwordcheck',
  'pg_buffercache',
  'pg_freespacemap',
  'pg_prewarm',
  'pg_stat_statements',
  'pg_surgery',
  'pg_trgm',
  'pg_visibility',
  'pg_walinspect',
  'pgcrypto',
  'pgrowlocks',
  'pgstattuple',
  'pgxml',
  'postgres_fdw',
  'refint',
  'seg',
  'sslinfo',
  'tablefunc',
  'tcn',
  'test_decoding',
  'tsm_system_rows',
  'tsm_system_time',
  'unaccent',
  'uuid-ossp',
  'plpgsql',
];

/** The official image, or a mirror of it: its repository's last path part is "postgres". */
export const isOfficialImage = (name: string) => name.slice(name.lastIndexOf('/') + 1) === 'postgres';

/**
 * Is `zone` a time zone the server will accept? Area/Location names are checked against the
 * IANA database (ICU's copy, aliases included); abbreviations and POSIX zones ("EST5EDT",
 * "UTC+3") are left to the server.
 */
export function unknownTimeZone(zone: string): boolean {
  if (!zone.includes('/')) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return false;
  } catch {
    return true;
  }
}
