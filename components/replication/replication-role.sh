#!/bin/sh
# Run once by the image's entrypoint from /docker-entrypoint-initdb.d, when it initialises an empty
# data directory: on the first primary only, since standbys are clones and have the role already.
# The role may connect for replication and do nothing else (pg_hba.conf rejects it everywhere else).
set -eu
psql -v ON_ERROR_STOP=1 -X -q --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" \
  --set=role="$REPLICATION_USER" --set=password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"role" WITH LOGIN REPLICATION PASSWORD :'password';
SQL
