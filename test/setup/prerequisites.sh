#!/bin/sh
# What the tests need beyond `npm ci`, in one place: `npm test` runs this first (pretest), and so
# does CI (.ci/run). Each Debian package, the command that proves it is there, and why:
#   postgresql-15  pg_basebackup, pg_rewind, pg_dump, psql: the PostgreSQL 16 npm package is a server only;
#                  and the server Patroni 3.0.2 runs (it predates PostgreSQL 16)
#   busybox        the alpine image's shell: the bundle's scripts run under it
#   patroni        Debian's 3.0.2: real failovers (docs/testing.md)
#   etcd-server    Patroni's store in the tests, standing in for the Kubernetes API
#   python3-etcd   the client library Patroni's etcd3 store imports
#   pgbackrest     archiving, backups and point-in-time restores
#   openssl        the tests' own CA and certificates
#   prometheus     promtool: evaluates the rendered alert rules on observed metric values (pitr-alert);
#                  the package's server is not used (PROMTOOL=/path overrides where the test looks)
#   locales        localedef: the image's locale (en_US.utf8), which the rendered lc_* parameters name
# As root with apt-get (CI, a fresh container) it installs what is missing; otherwise it stops at
# once and prints the one command to run.
set -eu

missing=''
need() { command -v "$2" > /dev/null 2>&1 || [ -x "$2" ] || missing="$missing $1"; }
need postgresql-15 /usr/lib/postgresql/15/bin/pg_basebackup
need busybox busybox
need patroni patroni
need etcd-server etcd
need pgbackrest pgbackrest
need openssl openssl
need prometheus "${PROMTOOL:-/usr/bin/promtool}"
need locales localedef
/usr/bin/python3 -c 'import etcd' 2> /dev/null || missing="$missing python3-etcd"

# The locale the rendered configuration names: a server refuses lc_messages of a locale the machine lacks.
has_locale() { locale -a 2> /dev/null | grep -qx 'en_US.utf8'; }

if [ -z "$missing" ] && has_locale; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then
  echo "Installing what the tests need:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package must not create and start a cluster of its own: the tests start theirs.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf
  if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq --no-install-recommends $missing > /dev/null
  fi
  has_locale || localedef -i en_US -f UTF-8 en_US.UTF-8
  exit 0
fi

echo "The tests need what this machine lacks:${missing:- (no Debian package)}$(has_locale || echo ', and the en_US.utf8 locale')" >&2
echo "Install it (Debian 12), then run npm test again:" >&2
echo "  sudo sh -c 'mkdir -p /etc/postgresql-common/createcluster.d && echo create_main_cluster = false > /etc/postgresql-common/createcluster.d/no-main-cluster.conf && apt-get update && apt-get install -y --no-install-recommends${missing:- locales} && localedef -i en_US -f UTF-8 en_US.UTF-8'" >&2
exit 1
