#!/bin/sh
# The postgresql-patroni-config Job (scripts/k8s/patroni.ts): applies dcs.yml, the dynamic
# configuration rendered from git, to the running cluster, so a parameter Patroni keeps in its store
# (max_connections, wal_level, ...) or a timing changes by a commit and a sync, never by hand.
# Argo CD runs it after every sync (PostSync hook); Flux re-creates it when its pod template changes,
# which it does with every change of the ConfigMap it mounts. A parameter that needs a restart is
# then shown as "Pending restart" by `patronictl list` (the runbook "Apply a restart-only parameter").
set -eu

config=${PATRONI_CONFIG:-/etc/patroni/patroni.yml}
dcs=${PATRONI_DCS_FILE:-/etc/patroni/dcs.yml}

if ! patronictl -c "$config" show-config > /dev/null 2>&1; then
  # No configuration in the store yet. With no member either, the cluster is not initialised: its
  # bootstrap takes this same configuration from patroni.yml. A store that cannot be read fails here.
  members=$(patronictl -c "$config" list --format json)
  if [ "$members" = "[]" ]; then
    echo "apply-dcs: the cluster is not initialised yet; its bootstrap applies this configuration"
    exit 0
  fi
  echo "apply-dcs: the cluster has members but no configuration yet (bootstrap in progress?); retrying later: $members" >&2
  exit 1
fi
patronictl -c "$config" edit-config --apply "$dcs" --force
patronictl -c "$config" list
