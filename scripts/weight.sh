#!/usr/bin/env bash
# What the dashboard weighs in a browser and how soon it answers clicks, cold and warm, at
# 10 Mbit/s and on a slow phone profile (Chromium's network and CPU emulation), from the release
# build. Usage: bash scripts/weight.sh (builds first unless WEIGHT_NO_BUILD=1).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ "${WEIGHT_NO_BUILD:-}" != 1 ]; then
  say "building (release, precompressed)"
  cargo leptos build --release --precompress
fi
node end2end/weight.mjs
