#!/bin/sh
# A kustomize that reports a version but fails every build: proves a failed render writes nothing.
case "$1" in
  version) echo "v5.0.0-failing" ;;
  *) echo "simulated kustomize failure" >&2; exit 1 ;;
esac
