#!/bin/sh
# Puts the credentials Secret's new passwords into effect (runbook "Rotate passwords"). Runs in a
# database container, started with `kubectl exec -i` (never -t), and reads the Secret on standard
# input, one "<key> <base64 value>" line per key, as this prints it:
#   kubectl get secret postgresql-secret -o go-template='{{range $k, $v := .data}}{{$k}} {{$v}}{{"\n"}}{{end}}'
# followed by the applications' Secret, its keys prefixed with "app-" (app-username, app-password):
#   kubectl get secret postgresql-app -o go-template='{{range $k, $v := .data}}app-{{$k}} {{$v}}{{"\n"}}{{end}}'
#
#   rotate-password.sh roles KEY...   on the primary: set the password of the role each Secret key
#                                     belongs to (password, replication-password, monitoring-password,
#                                     app-password: the application role, postgresql-app's username)
#
# Under Patroni the standbys need nothing here: each member's Patroni writes the replication
# password it read from its environment at start into the password file its WAL receiver uses, so
# the pod roll that follows gives each one the new value (runbook: why in that order).
#
# Passwords never appear on a command line or in SQL text: psql's \password computes the SCRAM
# verifier here and sends only that, so the server's log and pg_stat_activity never see one.
# Safe to run again: a role whose password already is the Secret's is left alone.
set -eu
umask 077

# The role the exporter logs in as: monitoring-role.sh creates it.
MONITORING_ROLE=postgres_exporter

log() { echo "rotate-password: $*"; }
fail() { echo "rotate-password: FAILED: $*" >&2; exit 1; }

# The Secret's value of key $1, decoded (empty when the Secret has no such key).
secret_value() {
  encoded=$(printf '%s\n' "$secret" | sed -n "s/^$1 //p")
  [ -z "$encoded" ] || printf '%s' "$encoded" | base64 -d
}

# Role and Secret key of each password.
role_of() {
  case $1 in
    password) printf '%s' "$POSTGRES_USER" ;;
    replication-password) printf '%s' "${PATRONI_REPLICATION_USERNAME:?this pod runs no Patroni: no replication role to rotate}" ;;
    monitoring-password) printf '%s' "$MONITORING_ROLE" ;;
    app-password)
      app_user=$(secret_value app-username)
      [ -n "$app_user" ] || fail "no app-username on standard input: pipe the Secret postgresql-app too, its keys prefixed with app-"
      [ "$app_user" != "$POSTGRES_USER" ] || fail "the application role \"$app_user\" is the superuser: it must be an ordinary role (docs/credentials.md)"
      printf '%s' "$app_user" ;;
    *) fail "unknown Secret key \"$1\": use password, replication-password, monitoring-password or app-password" ;;
  esac
}

# A libpq connection-string value: single-quoted, with \ and ' escaped.
quote_conninfo() { printf "'%s'" "$(printf '%s' "$1" | sed -e "s/[\\\\']/\\\\&/g")"; }

# Whether role $1 can log in with password $2, over TCP as clients do (pg_hba.conf admits the
# replication role only to replication connections).
logs_in() {
  if [ "$1" = "${PATRONI_REPLICATION_USERNAME:-}" ]; then
    set -- "host=127.0.0.1 user=$(quote_conninfo "$1") dbname=replication replication=true" "$2" IDENTIFY_SYSTEM
  else
    set -- "host=127.0.0.1 user=$(quote_conninfo "$1") dbname=$(quote_conninfo "$POSTGRES_DB")" "$2" 'SELECT 1'
  fi
  PGPASSWORD=$2 psql -X -A -t -q -w -d "$1" -c "$3" >/dev/null 2>&1
}

# The superuser's password that works now: the one this container started with, or, when the
# superuser was rotated since, the Secret's.
superuser_password() {
  for candidate in "${POSTGRES_PASSWORD:-}" "$(secret_value password)"; do
    if PGPASSWORD=$candidate psql -X -A -t -q -w -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c 'SELECT 1' >/dev/null 2>&1; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  fail "cannot connect as $POSTGRES_USER with this container's password or the Secret's"
}

# SQL on stdin, as the superuser; psql quotes the variables given as arguments where it says :'name'.
admin_sql() { PGPASSWORD=$admin_password psql -X -A -t -q -w -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$@"; }

# \password reads the new password twice from standard input when there is no terminal.
set_password() {
  printf '%s\n%s\n' "$2" "$2" | PGPASSWORD=$admin_password psql -X -q -w -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" \
    -d "$POSTGRES_DB" -v role="$1" -c '\password :"role"' >/dev/null 2>&1 \
    || fail "could not set the password of $1"
}

rotate_role() {
  key=$1
  role=$(role_of "$key")
  new=$(secret_value "$key")
  [ -n "$new" ] || fail "the Secret has no $key"
  if logs_in "$role" "$new"; then
    log "$role: already has the Secret's $key"
    return 0
  fi
  [ "$(echo "SELECT count(*) FROM pg_roles WHERE rolname = :'role'" | admin_sql -v role="$role")" = 1 ] || fail "no role $role on this server"
  set_password "$role" "$new"
  # The superuser's next connections need its new password too.
  [ "$role" != "$POSTGRES_USER" ] || admin_password=$new
  logs_in "$role" "$new" || fail "$role: the new password was set but does not log in"
  log "$role: password set from the Secret's $key; it logs in with it"
}

secret=$(cat)
[ -n "$secret" ] || fail "no Secret on standard input (pipe kubectl get secret ... into kubectl exec -i)"
mode=${1:-}
[ $# -gt 0 ] && shift

case $mode in
  roles)
    [ $# -gt 0 ] || fail "name the Secret keys to rotate: password, replication-password, monitoring-password, app-password"
    user=$(secret_value username)
    [ "$user" = "$POSTGRES_USER" ] || fail "the Secret's username is \"$user\", this server's is \"$POSTGRES_USER\": a new user name is a new role, not a rotation"
    admin_password=$(superuser_password)
    [ "$(echo 'SELECT pg_is_in_recovery()' | admin_sql)" = f ] || fail "this instance is a standby: run roles on the primary"
    for key in "$@"; do rotate_role "$key"; done
    ;;
  *) fail "usage: rotate-password.sh roles KEY..." ;;
esac
