#!/bin/sh
# Runs beside PostgreSQL (the tls-reload sidecar) and reloads it when the kubelet has put a renewed
# certificate into the Secret volume. PostgreSQL re-reads ssl_cert_file and ssl_key_file on a reload
# (pg_reload_conf, SIGHUP): open connections stay up, new ones get the new certificate. Without a
# reload the server would serve the old certificate until it expires, long after cert-manager renewed it.
#
# Needs TLS_DIR (the Secret's mount), the superuser's POSTGRES_USER and POSTGRES_PASSWORD, PGHOST (the
# socket directory the database container shares) and optionally TLS_RELOAD_SECONDS (how often it looks).
set -u

fingerprint() { cat "$TLS_DIR/tls.crt" "$TLS_DIR/tls.key" 2>/dev/null | sha256sum; }

reload() {
  PGPASSWORD=$POSTGRES_PASSWORD psql -X -q -A -t -w -U "$POSTGRES_USER" -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
}

served=$(fingerprint)
echo "tls-reload: watching $TLS_DIR every ${TLS_RELOAD_SECONDS:-60}s"
while sleep "${TLS_RELOAD_SECONDS:-60}"; do
  now=$(fingerprint)
  [ "$now" != "$served" ] || continue
  # Retried at the next look when the server is not up yet (a restart, a recovery).
  if reload; then
    served=$now
    echo "tls-reload: the certificate changed; PostgreSQL reloaded"
  else
    echo "tls-reload: the certificate changed, but the reload failed; retrying" >&2
  fi
done
