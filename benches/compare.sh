#!/bin/sh
# Builds and runs our decoders and verifier, the Rust plist crate, libplist (C, Debian
# libplist-dev), Python's plistlib and `openssl speed` on the same generated inputs, and
# prints one table of ratios. Not run by CI: timings depend on the machine and its load.
#
#   benches/compare.sh [OUT_DIR]     (default /tmp/mdm-compare; needs cc, pkg-config,
#                                     libplist-dev, python3, openssl)
#
# CARGO_TARGET_DIR, when set, is used instead of OUT_DIR/target.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/mdm-compare}
mkdir -p "$out"

target=${CARGO_TARGET_DIR:-$out/target}
cargo build -q --release --manifest-path "$here/compare/Cargo.toml" --target-dir "$target"
bin="$target/release/mdm-compare"
"$bin" gen "$out"
cc -O2 -o "$out/libplist_bench" "$here/compare/libplist_bench.c" \
    $(pkg-config --cflags --libs libplist-2.0)

inputs="$out/apps.plist $out/token_update.plist $out/profile.plist"
"$bin" time "$out" > "$out/ours.tsv"
"$out/libplist_bench" $inputs > "$out/libplist.tsv"
python3 "$here/compare/plistlib_bench.py" $inputs > "$out/plistlib.tsv"
openssl speed -seconds 3 rsa2048 ecdsap256 2> /dev/null > "$out/openssl.txt"

python3 "$here/compare/table.py" "$out"
