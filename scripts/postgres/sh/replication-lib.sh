# Functions shared by the replication scripts; sourced, never run. POSIX sh: the image's shell is
# busybox ash. The pod's environment (scripts/k8s/replication.ts sets it):
#   PGDATA                                    the data directory
#   POD_NAME                                  <statefulset>-<ordinal>, from the downward API
#   PRIMARY_ORDINAL                           the primary declared in git
#   HEADLESS_SERVICE                          gives every pod the DNS name <pod>.<service>
#   REPLICATION_USER, REPLICATION_PASSWORD    the role standbys stream with
#   POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB
#                                             the superuser: pg_rewind reads the new primary's files with it
#   PEER_ADDRESSES (optional)                 "host:port" of every instance by ordinal, instead of the
#                                             DNS names: the tests run every instance on 127.0.0.1
#   WAIT_SECONDS (optional, default 300)      how long to wait for the primary before giving up
set -eu
umask 077

ordinal=${POD_NAME##*-}
# Slot names allow lowercase letters, digits and "_" only.
slot=$(printf '%s' "$POD_NAME" | tr -c 'a-z0-9_' '_')
wait_seconds=${WAIT_SECONDS:-300}

log() { printf '%s: %s\n' "$POD_NAME" "$*" >&2; }

is_declared_primary() { [ "$ordinal" = "$PRIMARY_ORDINAL" ]; }

# "host:port" of the instance with ordinal $1.
address_of() {
  if [ -n "${PEER_ADDRESSES:-}" ]; then
    printf '%s\n' $PEER_ADDRESSES | sed -n "$(($1 + 1))p"
  else
    printf '%s-%s.%s:5432\n' "${POD_NAME%-*}" "$1" "$HEADLESS_SERVICE"
  fi
}

# Addresses that reach every other instance: in the pod, the headless Service's name resolves to all of them.
peer_addresses() {
  if [ -n "${PEER_ADDRESSES:-}" ]; then printf '%s\n' $PEER_ADDRESSES; else printf '%s:5432\n' "$HEADLESS_SERVICE"; fi
}

primary=$(address_of "$PRIMARY_ORDINAL")
primary_host=${primary%:*}
primary_port=${primary##*:}

# A libpq connection-string value: single-quoted, with \ and ' escaped.
quote_conninfo() { printf "'%s'" "$(printf '%s' "$1" | sed -e "s/[\\\\']/\\\\&/g")"; }
# A postgresql.conf string: single-quoted, with \ doubled and ' written twice.
quote_conf() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"; }

# Passwords travel in PGPASSWORD, never on a command line.
replication_conninfo() {
  printf 'host=%s port=%s user=%s application_name=%s connect_timeout=10' \
    "$primary_host" "$primary_port" "$(quote_conninfo "$REPLICATION_USER")" "$POD_NAME"
}
superuser_conninfo() {
  printf 'host=%s port=%s user=%s dbname=%s connect_timeout=10' \
    "$primary_host" "$primary_port" "$(quote_conninfo "$POSTGRES_USER")" "$(quote_conninfo "$POSTGRES_DB")"
}

# Runs "$@" until it succeeds, for at most $1 seconds.
retry() {
  deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 2
  done
}

primary_answers() { pg_isready -q -h "$primary_host" -p "$primary_port" -t 5; }

# Runs one SQL statement on the declared primary as the superuser; prints the result unaligned.
primary_sql() {
  PGPASSWORD=$POSTGRES_PASSWORD psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$(superuser_conninfo)" -c "$1"
}

# Removes settings from the data directory $1's postgresql.auto.conf (which PostgreSQL reads last).
drop_settings() {
  conf=$1/postgresql.auto.conf
  shift
  touch "$conf"
  pattern=$(printf '%s|' "$@")
  grep -v -E "^[[:space:]]*(${pattern%|})[[:space:]]*=" "$conf" >"$conf.new" || true
  mv "$conf.new" "$conf"
}

# The replication password, in a libpq password file that primary_conninfo names: the WAL receiver
# reads it at each connection, so rotate-password.sh rotates it by rewriting the file, with no
# restart; and primary_conninfo, which pg_read_all_settings (the exporter's pg_monitor) may read,
# holds no password. Beside the data directory: neither pg_basebackup nor pg_rewind copies it.
# rotate-password.sh writes the same file the same way.
passfile=${PGDATA%/*}/replication.pgpass
write_passfile() {
  printf '*:*:*:*:%s\n' "$(printf '%s' "$1" | sed 's/[\\:]/\\&/g')" >"$passfile.new"
  chmod 600 "$passfile.new"
  mv "$passfile.new" "$passfile"
}

# Makes the data directory $1 a standby of the declared primary. Rewritten at every start, so a
# standby follows a failover and reads the Secret's current password; default_transaction_read_only
# is the fence the switchover runbook sets.
configure_standby() {
  drop_settings "$1" primary_conninfo primary_slot_name default_transaction_read_only
  write_passfile "$REPLICATION_PASSWORD"
  conninfo="$(replication_conninfo) passfile=$(quote_conninfo "$passfile")"
  printf 'primary_conninfo = %s\nprimary_slot_name = %s\n' "$(quote_conf "$conninfo")" "$(quote_conf "$slot")" >>"$1/postgresql.auto.conf"
  touch "$1/standby.signal"
}

# The slot keeps the primary's WAL until this standby has it. A new primary (after a failover) has
# none for its standbys yet. Best effort: a standby also starts while its primary is down.
ensure_slot() {
  if ! retry 30 env PGPASSWORD="$REPLICATION_PASSWORD" pg_receivewal --create-slot --if-not-exists \
    --slot="$slot" --dbname="$(replication_conninfo)"; then
    log "could not create the slot $slot on $primary; starting anyway (restart this pod once the primary is up)"
  fi
}

# Runs a replication command (CREATE_REPLICATION_SLOT, DROP_REPLICATION_SLOT) on the declared primary.
replication_command() {
  PGPASSWORD=$REPLICATION_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -d "$(replication_conninfo) replication=true" -c "$1"
}

# A fresh slot for a new clone, reserving WAL from now on: pg_basebackup -C would reserve only once
# the backup has started, and a checkpoint in between (another standby's clone) may remove WAL it needs.
# A slot left by an earlier copy of this pod goes first: its WAL is of no use to a new clone.
reserve_slot() {
  replication_command "DROP_REPLICATION_SLOT $slot" 2>/dev/null || true
  replication_command "CREATE_REPLICATION_SLOT $slot PHYSICAL RESERVE_WAL" >/dev/null
}
