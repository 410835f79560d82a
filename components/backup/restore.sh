#!/bin/sh
# Restores a backup written by backup.sh into the server at PGHOST (docs/backups-and-restore.md).
#
#   restore.sh                         lists the backups, oldest first
#   restore.sh BACKUP                  every database of BACKUP and its roles (onto a fresh server)
#   restore.sh BACKUP DATABASE [NEW]   one database of BACKUP, as the new database NEW (default: DATABASE)
#
# BACKUP is a directory name under $BACKUP_DIR, such as 20240601T020000Z, or "latest".
# Restore never overwrites data: a target database must not exist yet or must be empty (as the
# one the image creates on a fresh server is). Each database is restored in one transaction, so a
# failure leaves it empty, and gets the owner it had. Roles come back without passwords, which the
# backup does not hold; database-level settings and grants (ALTER DATABASE ... SET, GRANT ... ON
# DATABASE) do not come back either.
# Connection: PGHOST, PGPORT, PGUSER and PGPASSWORD of a superuser.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
MAINTENANCE_DB=${PGDATABASE:-postgres}
export PGAPPNAME="${PGAPPNAME:-postgresql-restore}"

log() { echo "restore: $*"; }
fail() { echo "restore: FAILED: $*" >&2; exit 1; }

# A libpq connection string naming one database, whatever characters its name holds.
dbname_conninfo() { printf "dbname='%s'" "$(printf '%s' "$1" | sed "s/[\\\\']/\\\\&/g")"; }
# One SQL statement ($3) in database $1; psql quotes $2 where the statement says :'name' or :"name".
run_sql() { printf '%s\n' "$3" | psql -X -A -t -q -w -v ON_ERROR_STOP=1 -v "name=$2" -d "$(dbname_conninfo "$1")"; }
backups() { ls -1 "$BACKUP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z$' || true; }

if [ $# -eq 0 ]; then
  [ -n "$(backups)" ] || { echo "no backups in $BACKUP_DIR"; exit 0; }
  for name in $(backups); do
    databases=$(cd "$BACKUP_DIR/$name" && ls -- *.dump 2> /dev/null | sed 's/\.dump$//' | tr '\n' ' ')
    printf '%s  %6s  %s\n' "$name" "$(du -sh "$BACKUP_DIR/$name" | cut -f1)" "$databases"
  done
  exit 0
fi

backup=$1
[ "$backup" != latest ] || backup=$(backups | tail -n 1)
dir=$BACKUP_DIR/$backup
[ -n "$backup" ] && [ -f "$dir/SHA256SUMS" ] || fail "no backup \"$1\" in $BACKUP_DIR; list them with: restore.sh"
checked=$(cd "$dir" && sha256sum -c SHA256SUMS 2>&1) || fail "$backup does not match its checksums, the files are damaged:
$checked"
log "backup $backup: checksums match"

restore_roles() {
  log "restoring roles and tablespaces"
  errors=$(mktemp)
  # Roles a fresh server already has (the superuser, the monitoring role) fail their CREATE ROLE
  # with SQLSTATE 42710 and keep their passwords; the ALTER ROLE that follows each CREATE sets the
  # attributes of the backup. Any other error stops the restore.
  psql -X -q -w -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -d "$(dbname_conninfo "$MAINTENANCE_DB")" \
    -f "$dir/globals.sql" > /dev/null 2> "$errors" || { cat "$errors" >&2; fail "roles"; }
  unexpected=$(grep 'ERROR:' "$errors" | grep -v 'ERROR:  42710:' || true)
  rm -f "$errors"
  [ -z "$unexpected" ] || fail "roles: $unexpected"
}

# Refuses a target that exists and holds relations: checked for every database before any restore.
check_target() {
  exists=$(run_sql "$MAINTENANCE_DB" "$1" "SELECT count(*) FROM pg_database WHERE datname = :'name'")
  [ "$exists" != 0 ] || return 0
  relations=$(run_sql "$1" '' "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'")
  [ "$relations" = 0 ] || fail "database $1 exists and holds $relations relations; restore never overwrites: name a new database (restore.sh $backup DATABASE NEW)"
}

restore_database() {
  file=$1 target=$2
  if [ "$(run_sql "$MAINTENANCE_DB" "$target" "SELECT count(*) FROM pg_database WHERE datname = :'name'")" = 0 ]; then
    log "creating database $target"
    run_sql "$MAINTENANCE_DB" "$target" 'CREATE DATABASE :"name" TEMPLATE template0'
  fi
  log "restoring ${file##*/} into $target"
  pg_restore --no-password --exit-on-error --single-transaction --dbname="$(dbname_conninfo "$target")" "$file" \
    || fail "pg_restore into $target was rolled back, $target is empty (a missing role? restore the roles with the whole backup on a fresh server)"
  # The database was created here, not by pg_restore: give it the owner the dump names.
  owner=$(pg_restore --create --schema-only --file=- "$file" | sed -n 's/^-- Name: .*; Type: DATABASE; Schema: -; Owner: //p' | head -n 1)
  if [ -n "$owner" ]; then
    printf '%s\n' 'ALTER DATABASE :"name" OWNER TO :"owner"' \
      | psql -X -q -w -v ON_ERROR_STOP=1 -v "name=$target" -v "owner=$owner" -d "$(dbname_conninfo "$MAINTENANCE_DB")" \
      || fail "$target is restored, but its owner $owner could not be set"
  fi
  # A dump holds no planner statistics.
  run_sql "$target" '' 'ANALYZE'
}

if [ $# -eq 1 ]; then
  for file in "$dir"/*.dump; do
    name=${file##*/}
    check_target "${name%.dump}"
  done
  restore_roles
  for file in "$dir"/*.dump; do
    name=${file##*/}
    restore_database "$file" "${name%.dump}"
  done
else
  [ -f "$dir/$2.dump" ] || fail "backup $backup holds no database \"$2\"; it holds: $(cd "$dir" && ls -- *.dump | sed 's/\.dump$//' | tr '\n' ' ')"
  check_target "${3:-$2}"
  restore_database "$dir/$2.dump" "${3:-$2}"
fi
log "complete: backup $backup restored into ${PGHOST:-the local socket}:${PGPORT:-5432}"
