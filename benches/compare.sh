#!/bin/sh
# Builds and runs our decoders and verifier, the Rust plist crate, libplist (C, Debian
# libplist-dev), Python's plistlib and `openssl speed` on the same generated inputs, and
# prints one table of ratios. Not run by CI: timings depend on the machine and its load.
# When `go` is on PATH it also times the Go peers (benches/compare/go, built in GOPATH mode
# against Debian's packages): CMS verify with github.com/fullsailor/pkcs7 and, with nginx,
# APNs push client CPU with golang.org/x/net/http2 against `mdmctl push`.
#
#   benches/compare.sh [OUT_DIR]     (default /tmp/mdm-compare; needs cc, pkg-config,
#                                     libplist-dev, python3, openssl; for the Go rows
#                                     golang-go, golang-github-fullsailor-pkcs7-dev,
#                                     golang-golang-x-net-dev and nginx)
#
# CARGO_TARGET_DIR, when set, is used instead of OUT_DIR/target; MDM_COMPARE_PUSHES sets N
# for the push rows (default 10000).
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

# The Go peers, built before anything is timed; no stale figures from an earlier run when
# they are skipped.
rm -f "$out/go_pkcs7" "$out/go_push" "$out/go_pkcs7.tsv" "$out/push.tsv"
nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
if command -v go > /dev/null; then
    # A build that fails (a Debian package missing, a Go too old) skips its rows only.
    gobuild() {
        (cd "$here/compare/go" &&
            GO111MODULE=off GOFLAGS= GOPATH="${GOPATH:+$GOPATH:}/usr/share/gocode" \
                go build -o "$2" "./$1") ||
            { echo "compare.sh: go build of go/$1 failed, skipping its rows (needs $3)" >&2; }
    }
    gobuild pkcs7 "$out/go_pkcs7" golang-github-fullsailor-pkcs7-dev
    if [ -n "$nginx" ]; then
        gobuild push "$out/go_push" golang-golang-x-net-dev
        if [ -x "$out/go_push" ]; then
            cargo build -q --release --manifest-path "$here/../Cargo.toml" --target-dir "$target" \
                -p mdm-examples --example mdmctl
        fi
    else
        echo "compare.sh: no nginx, skipping the APNs push rows (apt-get install nginx)" >&2
    fi
else
    echo "compare.sh: no go, skipping the Go peer rows (see docs/performance.md)" >&2
fi

inputs="$out/apps.plist $out/token_update.plist $out/profile.plist"
"$bin" time "$out" > "$out/ours.tsv"
# Right after ours, so that the verify rows of both see about the same load.
if [ -x "$out/go_pkcs7" ]; then "$out/go_pkcs7" "$out" > "$out/go_pkcs7.tsv"; fi
"$out/libplist_bench" $inputs > "$out/libplist.tsv"
python3 "$here/compare/plistlib_bench.py" $inputs > "$out/plistlib.tsv"
openssl speed -seconds 3 rsa2048 ecdsap256 2> /dev/null > "$out/openssl.txt"

if [ -x "$out/go_push" ]; then
    MDM_COMPARE_NGINX=$nginx python3 "$here/compare/push_cpu.py" "$out" \
        "$target/release/examples/mdmctl" "$out/go_push" "${MDM_COMPARE_PUSHES:-10000}" \
        > "$out/push.tsv"
fi

python3 "$here/compare/table.py" "$out"
