#!/usr/bin/env bash
# Regenerates wsdl/types.go from drs-service.wsdl: gowsdl (version pinned in go.mod), then the
# fix-ups of internal/gowsdlfix. Usage: generate.sh [OUT.go] (default: types.go here).
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-types.go}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wsdl"
go tool gowsdl -p wsdl -o types.go -d "$tmp" drs-service.wsdl >/dev/null
go run ./internal/gowsdlfix "$tmp/wsdl/types.go" "$out"
