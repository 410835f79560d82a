#!/bin/sh
# Copies every role and database of an older PostgreSQL server into this freshly initialised one
# (runbook "Major upgrade"): pg_dumpall from the source, psql into this server, then every table's
# row count compared on both sides, and planner statistics gathered.
#
#   upgrade-copy.sh SOURCE_HOST [SOURCE_PORT]
#
# Runs in the new primary's database container, so pg_dumpall is the newer major's, as PostgreSQL's
# upgrade documentation recommends. Both servers are reached as the Secret's superuser
# (POSTGRES_USER, POSTGRES_PASSWORD): the new environment reads the same credentials. Nothing may
# write to the source meanwhile (the runbook fences it first). Role passwords come along as the
# source's SCRAM verifiers.
set -eu

[ $# -ge 1 ] || { echo "usage: upgrade-copy.sh SOURCE_HOST [SOURCE_PORT]" >&2; exit 2; }
source_host=$1
source_port=${2:-5432}
export PGPASSWORD="$POSTGRES_PASSWORD"

log() { echo "upgrade-copy: $*"; }
fail() { echo "upgrade-copy: FAILED: $*" >&2; exit 1; }

# SQL on stdin, into database $1, on the source or on this server.
on_source() { psql -X -A -t -q -w -v ON_ERROR_STOP=1 -h "$source_host" -p "$source_port" -U "$POSTGRES_USER" -d "$1"; }
on_target() { psql -X -A -t -q -w -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$1"; }

from=$(echo 'SHOW server_version_num' | on_source postgres) || fail "cannot connect to $source_host:$source_port as $POSTGRES_USER"
to=$(echo 'SHOW server_version_num' | on_target postgres)
[ "$from" -le "$to" ] || fail "the source runs PostgreSQL $from, newer than this server's $to"
log "PostgreSQL $from at $source_host:$source_port into PostgreSQL $to here (pg_dumpall $(pg_dumpall --version | sed 's/.* //'))"

# Only what initialisation creates may exist here: the copy never merges into data.
extra=$(on_target postgres <<SQL
SELECT string_agg(datname, ' ') FROM pg_database
WHERE NOT datistemplate AND datname NOT IN ('postgres', '$(printf '%s' "$POSTGRES_DB" | sed "s/'/''/g")')
SQL
)
[ -z "$extra" ] || fail "this server already holds the databases $extra: copy only into a fresh one"
relations=$(echo "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'" | on_target "$POSTGRES_DB")
[ "$relations" = 0 ] || fail "$POSTGRES_DB here holds $relations relations: copy only into a fresh server"

errors=$(mktemp)
status=$(mktemp)
trap 'rm -f "$errors" "$status"' EXIT
log "copying every role and database"
# Roles and the database that initialisation created already exist here: their CREATE fails
# (SQLSTATE 42710, 42P04) and the ALTER and GRANT statements that follow apply the source's
# attributes and owners. Any other error fails the copy.
{ pg_dumpall -w -h "$source_host" -p "$source_port" -U "$POSTGRES_USER" || echo "$?" >"$status"; } \
  | psql -X -q -w -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -U "$POSTGRES_USER" -d postgres >/dev/null 2>"$errors"
[ ! -s "$status" ] || fail "pg_dumpall exited with status $(cat "$status")"
unexpected=$(grep 'ERROR:' "$errors" | grep -v -e 'ERROR:  42710:' -e 'ERROR:  42P04:' || true)
[ -z "$unexpected" ] || fail "$unexpected"

# Every table's exact row count, on both sides, database by database.
row_counts() {
  "$1" "$2" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) FROM %s', c.oid::regclass::text, c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
ORDER BY 1 \gexec
SQL
}
databases=$(echo 'SELECT datname FROM pg_database WHERE datallowconn AND datname <> $$template1$$ ORDER BY 1' | on_source postgres)
printf '%s\n' "$databases" | while IFS= read -r database; do
  counts=$(row_counts on_target "$database")
  [ "$(row_counts on_source "$database")" = "$counts" ] || fail "database $database: the row counts differ between the source and this server"
  log "database $database: $(printf '%s' "$counts" | grep -c .) tables, every row count equal"
done

# A dump carries no planner statistics.
vacuumdb -w -U "$POSTGRES_USER" --all --analyze-only --quiet
log "complete: analysed; point the applications at this server"
