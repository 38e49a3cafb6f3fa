#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with schemathesis (PyPI), every check on, on a
# fresh SQLite file and a fresh PostgreSQL database, each for a bounded time. Fails when any
# request got a 5xx answer; prints how many requests were tried.
#
#   bash scripts/fuzz.sh [SECONDS per database]        (default 60; the test script runs it short)
#
# Needs the server binary (COUPONRY_BIN, default target/release/couponry, else target/debug).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${1:-60}"
say() { printf '\033[1;34m[fuzz]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

VENV="${COUPONRY_FUZZ_VENV:-$HOME/.cache/couponry-fuzz}"
SCHEMATHESIS_VERSION="4.32.5"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI (once)"
  # Debian's python3 makes virtual environments only with python3-venv.
  python3 -m venv "$VENV" 2>/dev/null || {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    python3 -m venv "$VENV"
  }
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

BIN="${COUPONRY_BIN:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/couponry ]; then BIN=target/release/couponry; else BIN=target/debug/couponry; fi
fi
[ -x "$BIN" ] || { echo "no server binary at $BIN: build it first" >&2; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the server on $1 (a database URL) with a key of every scope; sets BASE and KEY. Runs
# in this shell (not a subshell), so the clean-up knows the server's process.
start() {
  local url="$1" port
  port="$(free_port)"
  BASE="http://127.0.0.1:$port"
  KEY="$(DATABASE_URL="$url" "$BIN" --new-api-key fuzz)"
  DATABASE_URL="$url" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_OUTPUT_NAME=couponry \
    LEPTOS_SITE_ROOT=target/site RUST_LOG=warn "$BIN" >"$WORK/server-$port.log" 2>&1 &
  PIDS+=("$!")
  python3 - "$BASE/login" <<'EOF'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        break
    except Exception:
        time.sleep(0.1)
EOF
}

# Runs schemathesis against one server; prints "requests 5xx".
fuzz() {
  local base="$1" key="$2" name="$3" events="$WORK/$name.ndjson"
  "$VENV/bin/schemathesis" run "$base/api/v1/openapi.json" --url "$base/api/v1" \
    -H "Authorization: Bearer $key" --checks all --max-time "$SECONDS_EACH" --workers 2 \
    --generation-allow-x00 true --request-timeout 30 --no-color --seed 1 \
    --report ndjson --report-ndjson-path "$events" >"$WORK/$name.out" 2>&1 || true
  python3 - "$events" <<'EOF'
import json, sys
tried = errors = 0
def walk(node):
    global tried, errors
    if isinstance(node, dict):
        response = node.get("response")
        if isinstance(response, dict) and isinstance(response.get("status_code"), int):
            tried += 1
            if response["status_code"] >= 500:
                errors += 1
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
with open(sys.argv[1]) as f:
    for line in f:
        walk(json.loads(line))
print(tried, errors)
EOF
}

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
pg_find_or_start
trap 'cleanup; pg_stop_own' EXIT
PG_DB="couponry_fuzz_$$"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
PG_URL="${TEST_DATABASE_URL%/*}/$PG_DB"

failed=0
for target in "sqlite sqlite://$WORK/fuzz.db?mode=rwc" "postgres $PG_URL"; do
  read -r name url <<<"$target"
  start "$url"
  read -r tried errors < <(fuzz "$BASE" "$KEY" "$name")
  say "$name: $tried requests over ${SECONDS_EACH}s, $errors answered 5xx"
  if [ "$errors" != "0" ] || [ "$tried" = "0" ]; then
    failed=1
    grep -iE "server error|5[0-9][0-9]" "$WORK/$name.out" | head -40 || true
    tail -40 "$WORK"/server-*.log || true
  fi
done
psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
exit "$failed"
