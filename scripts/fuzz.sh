#!/usr/bin/env bash
# Runs every go fuzz target for a bounded time each. Usage: scripts/fuzz.sh 10s
set -euo pipefail
dur=${1:-10s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
    echo "fuzz $pkg $f for $dur"
    go test -run "^$" -fuzz "^${f}\$" -fuzztime "$dur" -fuzzminimizetime 100x "$pkg"
  done
done
