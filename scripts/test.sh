#!/usr/bin/env bash
# Runs every test: unit, integration on SQLite and on PostgreSQL, and the Playwright journeys
# in Debian's Chromium. Installs whatever is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
pg_find_or_start
trap pg_stop_own EXIT

say "unit and integration tests (SQLite, and PostgreSQL at ${TEST_DATABASE_URL##*@})"
cargo test --features ssr --no-fail-fast

# The journeys drive the release build, the one the run command serves: its wasm goes through
# wasm-opt, which the debug build skips (and which once broke hydration only there).
say "building the app (release) for the browser journeys"
cargo leptos build --release --precompress

say "Playwright journeys in Debian's Chromium"
mkdir -p end2end/screenshots
(cd end2end && COUPONRY_BIN="${COUPONRY_BIN:-target/release/couponry}" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test)
# A short fuzz run of the API from its OpenAPI document (schemathesis, every check): no 5xx on
# either database. `bash scripts/fuzz.sh 300` runs it longer.
say "fuzzing the API from its OpenAPI document (schemathesis, 20 s per database)"
COUPONRY_BIN="${COUPONRY_BIN:-target/release/couponry}" bash scripts/fuzz.sh 20
say "all tests passed"
