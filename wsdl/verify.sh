#!/usr/bin/env bash
# Fails when regenerating wsdl/types.go would change it (the committed code is stale).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bash generate.sh "$tmp"
if ! diff -u types.go "$tmp"; then
  echo "wsdl/types.go is stale: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "wsdl: generated types are up to date"
