#!/usr/bin/env bash
# Runs a benchmark (default: all of them) in release mode against SQLite and a PostgreSQL found
# or started like the tests' one. Usage: bash scripts/bench.sh [redeem]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
pg_find_or_start
trap pg_stop_own EXIT

if [ $# -eq 0 ]; then
  cargo bench --features ssr
else
  for bench in "$@"; do
    cargo bench --features ssr --bench "$bench"
  done
fi
