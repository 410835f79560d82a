#!/bin/sh
# Logical backup of every database of one PostgreSQL server (the postgresql-backup CronJob).
#
# Writes $BACKUP_DIR/<UTC timestamp>/ holding one custom-format dump per database (<name>.dump),
# the roles and tablespaces (globals.sql, without passwords) and SHA256SUMS. The directory gets
# its final name only once every file in it is written and flushed to disk, so a listed backup is
# always complete. Any failure exits non-zero, leaves no partial directory and deletes nothing;
# only after a successful backup are backups older than $BACKUP_RETENTION_DAYS days deleted.
#
# Connection: the libpq variables PGHOST, PGPORT, PGUSER and PGPASSWORD. Restore: restore.sh.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-7}
MAINTENANCE_DB=${PGDATABASE:-postgres}
# Shown in pg_stat_activity: the long-running-transaction alert leaves the dump's snapshot alone.
export PGAPPNAME="${PGAPPNAME:-postgresql-backup}"

log() { echo "backup: $*"; }
fail() { echo "backup: FAILED: $*" >&2; exit 1; }

# A libpq connection string naming one database, whatever characters its name holds.
dbname_conninfo() { printf "dbname='%s'" "$(printf '%s' "$1" | sed "s/[\\\\']/\\\\&/g")"; }

case $RETENTION_DAYS in
  '' | *[!0-9]* | 0) fail "BACKUP_RETENTION_DAYS must be a whole number of days, at least 1, got '$RETENTION_DAYS'" ;;
esac
[ -d "$BACKUP_DIR" ] && [ -w "$BACKUP_DIR" ] || fail "$BACKUP_DIR is not a writable directory"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final=$BACKUP_DIR/$stamp
work=$BACKUP_DIR/.partial-$stamp
[ ! -e "$final" ] || fail "$final already exists"

# concurrencyPolicy: Forbid means one run at a time: anything a killed run left behind is stale.
rm -rf "$BACKUP_DIR"/.partial-* "$BACKUP_DIR"/.expired-*
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM INT
mkdir "$work"

version=$(psql -X -A -t -w -d "$MAINTENANCE_DB" -c 'SHOW server_version') || fail "cannot connect to ${PGHOST:-the local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)}"
log "PostgreSQL $version at ${PGHOST:-local socket}:${PGPORT:-5432}, into $final"

databases=$(psql -X -A -t -w -v ON_ERROR_STOP=1 -d "$MAINTENANCE_DB" \
  -c 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname') || fail "cannot list the databases"

count=0
while IFS= read -r database; do
  [ -n "$database" ] || continue
  case $database in */*) fail "database \"$database\": a name with \"/\" cannot be a file name" ;; esac
  log "dumping $database"
  pg_dump --no-password --format=custom --lock-wait-timeout=10min \
    --file="$work/$database.dump" --dbname="$(dbname_conninfo "$database")" || fail "pg_dump of $database"
  # A dump pg_restore cannot read is no backup.
  pg_restore --list "$work/$database.dump" > /dev/null || fail "the dump of $database is unreadable"
  count=$((count + 1))
done <<EOF
$databases
EOF
[ "$count" -gt 0 ] || fail "no database to back up"

log "dumping roles and tablespaces"
pg_dumpall --no-password --globals-only --no-role-passwords --dbname="$(dbname_conninfo "$MAINTENANCE_DB")" \
  --file="$work/globals.sql" || fail "pg_dumpall --globals-only"

(cd "$work" && sha256sum ./*.dump ./globals.sql > SHA256SUMS) || fail "checksums"
# Files, then their directory, then the rename in the parent: each step durable before the next.
# (A busybox built without file arguments to sync flushes everything instead: slower, as durable.)
sync "$work"/* "$work" 2> /dev/null || sync || fail "fsync"
mv "$work" "$final" || fail "rename to $final"
sync "$BACKUP_DIR" 2> /dev/null || sync || fail "fsync of $BACKUP_DIR"
log "complete: $stamp, $count databases, $(du -sh "$final" | cut -f1)"

# Retention, by the timestamp in each backup's name (file times change when volumes are copied).
# Only names of this script's exact format are considered: nothing else on the volume is touched.
digits() { stripped=${1%Z}; echo "${stripped%T*}${stripped#*T}"; }
cutoff=$(date -u -d "@$(($(date -u +%s) - RETENTION_DAYS * 86400))" +%Y%m%dT%H%M%SZ)
for backup in "$BACKUP_DIR"/*; do
  name=${backup##*/}
  case $name in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
    *) continue ;;
  esac
  [ -d "$backup" ] && [ "$name" != "$stamp" ] || continue
  if [ "$(digits "$name")" -lt "$(digits "$cutoff")" ]; then
    # Renamed first, so a deletion cut short never leaves a backup that looks complete.
    mv "$backup" "$BACKUP_DIR/.expired-$name" && rm -rf "$BACKUP_DIR/.expired-$name"
    log "deleted $name (older than $RETENTION_DAYS days)"
  fi
done
