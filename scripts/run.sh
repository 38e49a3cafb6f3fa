#!/usr/bin/env bash
# Installs whatever is missing, builds (release), and serves Couponry on http://127.0.0.1:3000
# with an embedded SQLite file under data/ (created and migrated on first start).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
say "building (release)"
cargo leptos build --release --precompress
# The server reads its site folder and address from these (cargo leptos serve sets the same).
export LEPTOS_SITE_ROOT="target/site" LEPTOS_SITE_PKG_DIR="pkg" LEPTOS_OUTPUT_NAME="couponry"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec target/release/couponry "$@"
