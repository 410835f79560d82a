#!/bin/sh
# The init container of every pod when replicas > 1. It brings the data directory in line with the
# primary declared in git (PRIMARY_ORDINAL) before the image's entrypoint starts PostgreSQL on it:
#
#   this pod is   its data directory    action
#   primary       empty                 none: the entrypoint initialises it (refused while another instance runs)
#   primary       a standby's           promote it: the failover the config declares
#   primary       a primary's           none
#   standby       empty                 clone the primary with pg_basebackup, through a new slot
#   standby       a standby's           point it at the declared primary, which may have changed
#   standby       a primary's           it was the primary before a failover: pg_rewind, else a fresh clone
#
# Arguments: the postgres container's server options (-c config_file=... -c hba_file=...), for the
# socket-only server that promotion runs. Each must be one word.
. "$(dirname "$0")/replication-lib.sh"

refuse_if_peer_running() {
  for peer in $(peer_addresses); do
    status=0
    pg_isready -q -h "${peer%:*}" -p "${peer##*:}" -t 5 || status=$?
    # 0 accepting, 1 starting or stopping: either way that instance holds a database.
    if [ "$status" -le 1 ]; then
      log "refusing to initialise an empty database: $POD_NAME is the declared primary but $peer runs PostgreSQL."
      log "Declare an instance that has the data primary, or delete every volume to start over (README, \"Replication and failover\")."
      exit 1
    fi
  done
}

clone_primary() {
  clone=$PGDATA.clone
  rm -rf "$clone"
  log "waiting for the primary $primary"
  retry "$wait_seconds" primary_answers || { log "the primary $primary did not answer in ${wait_seconds}s"; exit 1; }
  reserve_slot
  log "cloning $primary into $PGDATA (slot $slot)"
  PGPASSWORD=$REPLICATION_PASSWORD pg_basebackup --pgdata="$clone" --dbname="$(replication_conninfo)" \
    --wal-method=stream --slot="$slot" --write-recovery-conf --checkpoint=fast
  configure_standby "$clone"
  # Renamed only once complete: an interrupted clone never looks like a data directory.
  rm -rf "$PGDATA"
  mv "$clone" "$PGDATA"
}

follow_primary() {
  log "starting as a standby of $primary"
  configure_standby "$PGDATA"
  ensure_slot
}

# With a socket-only server, so no client writes before the promotion is complete.
promote() {
  log "promoting $POD_NAME: it is the declared primary"
  pg_ctl --pgdata="$PGDATA" --wait --timeout="$wait_seconds" --options="$* -c listen_addresses=''" start
  pg_ctl --pgdata="$PGDATA" --wait --timeout="$wait_seconds" promote
  pg_ctl --pgdata="$PGDATA" --wait --timeout="$wait_seconds" --mode=fast stop
  drop_settings "$PGDATA" primary_conninfo primary_slot_name
}

# The primary ordinal moved away from this pod (the former primary, not running while this runs).
# Promote the declared primary if it is still a standby (the rollout restarts pods from the highest
# ordinal down, so this pod may come before it), then rewind onto its timeline. When rewinding is
# impossible (another system, missing WAL, no wal_log_hints), keep the old data aside and clone.
rejoin_as_standby() {
  log "$POD_NAME was a primary; waiting for the declared primary $primary"
  retry "$wait_seconds" primary_sql 'SELECT 1' >/dev/null 2>&1 || { log "$primary did not answer in ${wait_seconds}s"; exit 1; }
  if [ "$(primary_sql 'SELECT pg_is_in_recovery()')" = t ]; then
    log "promoting the declared primary $primary"
    [ "$(primary_sql 'SELECT pg_promote()')" = t ] || { log "$primary did not complete its promotion"; exit 1; }
  fi
  # pg_rewind reads the new timeline from the primary's control file, written by the first checkpoint
  # after a promotion: without one it would find "the same timeline" and rewind nothing.
  primary_sql 'CHECKPOINT'
  if PGPASSWORD=$POSTGRES_PASSWORD pg_rewind --target-pgdata="$PGDATA" --source-server="$(superuser_conninfo)" --progress; then
    # The slots of its time as primary would hold WAL for standbys that stream from elsewhere now.
    rm -rf "$PGDATA"/pg_replslot/*
    follow_primary
  else
    log "pg_rewind failed: keeping the old data in $PGDATA.diverged and cloning $primary"
    rm -rf "$PGDATA.diverged"
    mv "$PGDATA" "$PGDATA.diverged"
    clone_primary
  fi
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if is_declared_primary; then refuse_if_peer_running; else clone_primary; fi
elif [ -f "$PGDATA/standby.signal" ]; then
  if is_declared_primary; then promote "$@"; else follow_primary; fi
elif ! is_declared_primary; then
  rejoin_as_standby
fi
