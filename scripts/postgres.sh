#!/usr/bin/env bash
# Sourced by the test script: finds a PostgreSQL for the tests, or starts a throwaway one, and
# exports TEST_DATABASE_URL (a server URL; each test creates and drops its own database).
# Order: $TEST_DATABASE_URL, a postgres $DATABASE_URL, a server on 127.0.0.1:5432, our own cluster.

pg_accepts() { # url
  psql "$1" -Atqc 'select 1' >/dev/null 2>&1
}

pg_find_or_start() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    return 0
  fi
  case "${DATABASE_URL:-}" in
    postgres:*|postgresql:*) export TEST_DATABASE_URL="$DATABASE_URL"; return 0 ;;
  esac
  if ! command -v psql >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian package)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client
  fi
  if pg_accepts "postgres://postgres@127.0.0.1:5432/postgres"; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    say "using the PostgreSQL on 127.0.0.1:5432"
    return 0
  fi

  local bin port dir run_as=()
  bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  dir="$(mktemp -d /tmp/couponry-pg.XXXXXX)"
  # initdb refuses to run as root: run the cluster as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    run_as=(runuser -u postgres --)
  fi
  say "starting a throwaway PostgreSQL in $dir on port $port"
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  PG_STOP=("${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop)
  PG_DIR="$dir"
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

pg_stop_own() {
  if [ -n "${PG_STOP+x}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
