#!/bin/sh
# Creates the role the metrics exporter logs in as: it may log in and holds pg_monitor, nothing
# else (no superuser, no CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, at most 3 connections).
#
# The image's entrypoint sources this file from /docker-entrypoint-initdb.d/ when it initialises
# an empty data directory, so it neither exits nor sets shell options. Running it again is safe:
# it also turns monitoring on for a database initialised before (docs/monitoring.md).
#
# Needs MONITORING_PASSWORD (the Secret's monitoring-password) and a superuser's POSTGRES_USER and
# PGPASSWORD or POSTGRES_PASSWORD; PGHOST and PGPORT when not the local socket.

create_monitoring_role() {
  if [ -z "${MONITORING_PASSWORD:-}" ]; then
    echo "monitoring-role: MONITORING_PASSWORD is empty: set the Secret's monitoring-password" >&2
    return 1
  fi
  # The password goes in as a psql variable, quoted by psql: no shell or SQL quoting to get wrong.
  PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}" psql -X -q -v ON_ERROR_STOP=1 --no-password \
    --username="${POSTGRES_USER:-postgres}" --dbname="${POSTGRES_DB:-postgres}" \
    -v role=postgres_exporter -v password="$MONITORING_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT 3 PASSWORD :'password';
GRANT pg_monitor TO :"role";
SQL
}

create_monitoring_role
