#!/usr/bin/env bash
# Installs whatever this project needs that the machine lacks, and nothing it already has.
# Idempotent: every step checks first. Safe to run on every start and every test run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's Rust 1.96 (with std sources for -Zbuild-std) must win over rustup's 1.95.
export PATH="/usr/bin:$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION="0.3.11"
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# binaryen: cargo-leptos runs its wasm-opt on release builds (the run command).
apt_packages=(rustc-web cargo-web rust-web-src rust-web-clippy rustfmt-web lld-22 binaryen chromium nodejs npm)
missing=()
for pkg in "${apt_packages[@]}"; do
  # Node may come from elsewhere (nvm, NodeSource); only ask apt when the command is absent.
  case "$pkg" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

rustc_version="$(rustc --version | awk '{print $2}')"
case "$rustc_version" in
  1.9[6-9]*|1.[1-9][0-9][0-9]*) ;;
  *) echo "rustc $rustc_version found first on PATH; Debian's rustc-web (>= 1.96) is needed" >&2; exit 1 ;;
esac

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 25 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads --force
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock; about 6 minutes, once)"
  # --locked fails for this crate (a pinned dependency no longer builds).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ -f "$ROOT/end2end/package-lock.json" ]; then
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] ||
     [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing npm packages for end2end/"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Browser libraries the app serves itself (ECharts for the analytics charts), from npm.
if [ ! -f "$ROOT/vendor/node_modules/echarts/dist/echarts.min.js" ] ||
   [ "$ROOT/vendor/package-lock.json" -nt "$ROOT/vendor/node_modules/.package-lock.json" ]; then
  say "installing browser libraries for public/vendor/"
  (cd "$ROOT/vendor" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$ROOT/public/vendor"
cp -u "$ROOT/vendor/node_modules/echarts/dist/echarts.min.js" "$ROOT/public/vendor/echarts.min.js"

say "toolchain ready: $(rustc --version), $(cargo leptos --version), $(wasm-bindgen --version)"
