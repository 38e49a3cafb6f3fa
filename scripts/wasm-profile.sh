#!/usr/bin/env bash
# Where the browser's wasm goes: builds the hydrate library as the release build does (same
# profile, same flags, before wasm-bindgen and wasm-opt, so every function keeps its name), then
# sums twiggy's per-function sizes by what the code is for. The shares are what to cut; the
# bytes on the wire are `node end2end/weight.mjs`'s job.
#
#   bash scripts/wasm-profile.sh            # build (about 20 minutes on 2 cores) and profile
#   WASM=path/to/couponry.wasm bash scripts/wasm-profile.sh   # profile a module already built
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/usr/bin:$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1 LEPTOS_OUTPUT_NAME=couponry
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/wasm-profile}"
TWIGGY_VERSION="0.8.0"

if [ -z "${WASM:-}" ]; then
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --lib --no-default-features --features hydrate \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --profile wasm-release)
  WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/couponry.wasm"
fi
if ! twiggy --version 2>/dev/null | grep -q " $TWIGGY_VERSION"; then
  cargo install twiggy --version "$TWIGGY_VERSION" --locked
fi

table="$(mktemp)"
trap 'rm -f "$table"' EXIT
twiggy top -f csv -o "$table" "$WASM"
python3 - "$table" "$WASM" <<'EOF'
import collections, csv, re, sys

# First match wins: the cross-cutting costs first, then the crate the function belongs to.
KINDS = [
    ("async hydration (the vtable of every view erased to AnyView)", lambda n: "hydrate_async" in n),
    ("JSON decoding from &str (resources hydrated from the page)", lambda n: "StrRead" in n),
    ("JSON decoding from bytes (server-function answers)", lambda n: "SliceRead" in n),
    ("URL encoding (server-function arguments)", lambda n: re.search(r"serde_qs|serde_urlencoded|form_urlencoded", n)),
    ("time-zone rules (chrono-tz code)", lambda n: "chrono_tz" in n),
]
FRAMEWORK = {"tachys", "leptos", "leptos_router", "leptos_meta", "leptos_server", "reactive_graph",
             "either_of", "server_fn", "hydration_context", "any_spawner", "throw_error", "oco_ref"}
STD = {"core", "alloc", "std", "compiler_builtins", "dlmalloc"}

def kind(name):
    for label, test in KINDS:
        if test(name):
            return label
    crate = re.match(r"[<&(\s]*(?:mut\s+|dyn\s+)?([a-z_0-9]+)\[", name)
    crate = crate.group(1) if crate else ""
    if crate == "couponry":
        return "this crate's pages and rules"
    if crate in FRAMEWORK or name.startswith("<_ as tachys"):
        return "the framework, instantiated for our views (tachys, reactive_graph, leptos)"
    if crate in STD:
        return "the standard library"
    if crate in ("serde", "serde_core", "serde_json"):
        return "serde, other"
    return "other crates and glue"

code, data, total = collections.Counter(), 0, 0
for row in csv.DictReader(open(sys.argv[1])):
    name, size = row["Name"], int(row["ShallowSize"])
    if name.startswith('data segment'):
        data += size
    # wasm-bindgen removes its describe functions; they never reach the browser.
    elif name.startswith(('"function names"', "custom section", "__wbindgen_describe", "export ", "import ", "type[", "table[", "elem[", "memory[", "global[")):
        continue
    else:
        code[kind(name)] += size
        total += size

print(f"module: {sys.argv[2]}")
print(f"code: {total:,} bytes in functions; data: {data:,} bytes (before wasm-bindgen and wasm-opt)\n")
print(f"| {'what':<80} | {'bytes':>11} | share |")
print(f"|{'-' * 82}|{'-' * 13}|-------|")
for label, size in code.most_common():
    print(f"| {label:<80} | {size:>11,} | {100 * size / total:4.1f}% |")
EOF
