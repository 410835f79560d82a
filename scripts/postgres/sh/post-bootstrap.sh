#!/bin/sh
# Patroni's post_bootstrap (scripts/postgres/patroni.ts): runs once, on the member that initialised
# the cluster, right after initdb, with a superuser connection URL as $1 (and PGPASSFILE set).
# It does what the official image's entrypoint does on a first start, so the features built for
# that entrypoint work the same under Patroni: it creates the application database, then runs the
# first-start scripts other features mount into /docker-entrypoint-initdb.d (the monitoring role,
# ...), executable ones as programs and the others sourced, with the environment they expect.
# A failure fails the bootstrap: Patroni removes the data directory and the next attempt starts over.
set -eu

log() { printf 'post-bootstrap: %s\n' "$*" >&2; }

psql -X -q -v ON_ERROR_STOP=1 -d "$1" --set=db="$POSTGRES_DB" --set=owner="$POSTGRES_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
log "database $POSTGRES_DB ready"

# The entrypoint's scripts connect with psql's defaults (the local socket) and PGPASSWORD.
export PGPASSWORD="$POSTGRES_PASSWORD"
for script in "${INITDB_DIR:-/docker-entrypoint-initdb.d}"/*; do
  case $script in
    *.sh)
      if [ -x "$script" ]; then
        log "running $script"
        "$script"
      else
        log "sourcing $script"
        . "$script"
      fi
      ;;
    *.sql)
      log "running $script"
      psql -X -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" -f "$script"
      ;;
    *)
      if [ -e "$script" ]; then log "ignoring $script"; fi
      ;;
  esac
done
