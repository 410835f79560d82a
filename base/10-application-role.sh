#!/bin/sh
# Creates the role applications log in as, and makes it the owner of the application database:
# it may log in and nothing else (no superuser, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS).
# As the database's owner it creates tables in it (PostgreSQL 15+: the public schema belongs to
# pg_database_owner); other databases' tables, roles and server settings stay out of its reach.
#
# Two callers, one script: the official image's entrypoint sources it from
# /docker-entrypoint-initdb.d/ after creating POSTGRES_DB (dev), and Patroni's post_bootstrap runs
# it (replicated environments). So it neither exits nor sets shell options, reads only environment
# variables (a sourced file sees the entrypoint's own arguments as $1...), and is safe to run again:
# it also gives a database initialised before this role existed its application role.
#
# Needs APP_USER and APP_PASSWORD (the Secret postgresql-app), APP_DATABASE or POSTGRES_DB (created
# when missing, owned by APP_USER), a superuser's POSTGRES_USER and PGPASSWORD or POSTGRES_PASSWORD;
# PGHOST and PGPORT when not the local socket.

create_application_role() {
  if [ -z "${APP_USER:-}" ] || [ -z "${APP_PASSWORD:-}" ]; then
    echo "application-role: APP_USER or APP_PASSWORD is empty: set the Secret postgresql-app's username and password" >&2
    return 1
  fi
  if [ "$APP_USER" = "${POSTGRES_USER:-postgres}" ]; then
    echo "application-role: APP_USER \"$APP_USER\" is the superuser's name: the application role must be another role" >&2
    return 1
  fi
  # Values go in as psql variables, quoted by psql (:'x', :"x"): no shell or SQL quoting to get wrong.
  # A role that exists with any elevated attribute is refused rather than quietly stripped of it:
  # it may be an administrator's role that happens to share the name.
  PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}" psql -X -q -v ON_ERROR_STOP=1 --no-password \
    --username="${POSTGRES_USER:-postgres}" --dbname=postgres \
    -v role="$APP_USER" -v password="$APP_PASSWORD" -v database="${APP_DATABASE:-${POSTGRES_DB:-$APP_USER}}" <<'SQL'
SELECT set_config('application_role.name', :'role', false) \g /dev/null
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_setting('application_role.name')
             AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)) THEN
    RAISE EXCEPTION 'the role "%" exists with elevated attributes; refusing to make it the application role', current_setting('application_role.name');
  END IF;
END $$;
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
ALTER DATABASE :"database" OWNER TO :"role";
SQL
}

create_application_role
