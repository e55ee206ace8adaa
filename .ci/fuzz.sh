#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 3s).
# Each package's test binary is built once (go test -c) and run per target, so a short run
# costs seconds per target instead of a compile per target. The fuzz cache lives in a
# temporary folder: a quick run neither reads nor grows the user's cache.
set -euo pipefail
t=${1:-3s}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log
n=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  [ -n "$targets" ] || continue
  bin=$work/$(echo "$pkg" | tr '/.' '__').test
  echo "fuzz: building $pkg"
  # -fuzz builds the coverage instrumentation that guides the fuzzing engine.
  go test -c -fuzz=. -o "$bin" "$pkg"
  for f in $targets; do
    echo "fuzz: $pkg $f ($t)"
    # The binary runs in the package's folder, as go test would run it (testdata/ paths).
    fuzz() {
      (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${f}\$" -test.fuzztime="$t" \
        -test.fuzzcachedir="$work/cache" -test.timeout=10m) >"$log" 2>&1
    }
    if ! fuzz; then
      # On a loaded machine the fuzzing engine can run out of time while it is still
      # measuring the seed corpus ("context deadline exceeded") without having found
      # anything; only that case is tried once more. A real failure names a failing input.
      if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input' "$log"; then
        echo "fuzz: $f ran out of time before fuzzing; once more"
        fuzz || { cat "$log"; exit 1; }
      else
        cat "$log"
        exit 1
      fi
    fi
    n=$((n + 1))
  done
done
echo "fuzz: $n targets, $t each: no failures"
