#!/usr/bin/env bash
# Sourced by the run and test scripts: installs what is missing, then sets the build environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# Debian's Rust 1.96 first; -Zbuild-std (the wasm build) is a nightly flag this stable compiler allows.
export PATH="/usr/bin:$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
say() { printf '\033[1;34m[%s]\033[0m %s\n' "$(basename "$0" .sh)" "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export LEPTOS_OUTPUT_NAME=couponry  # as cargo-leptos sets it, so cargo test and cargo leptos share one build
