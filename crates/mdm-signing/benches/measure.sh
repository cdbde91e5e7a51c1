#!/usr/bin/env bash
# Measures sign/verify of a 4 KiB profile (criterion, short run) next to OpenSSL's raw key
# operations on the same machine in the same run, and prints operations per second.
# Usage: crates/mdm-signing/benches/measure.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/mdm-signing}"

speed() {
  openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null |
    awk '/^rsa 2048 bits/ {printf "  openssl speed rsa2048:  sign %s/s  verify %s/s\n", $6, $7}
         /bits ecdsa \(nistp256\)/ {printf "  openssl speed p256:     sign %s/s  verify %s/s\n", $7, $8}'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (cores: $(nproc))"
speed
cargo bench -q -p mdm-signing --bench sign_verify -- \
  --warm-up-time 1 --measurement-time 3 --output-format bencher 2>/dev/null |
  awk '/^test / {ns=$5; gsub(",", "", ns); printf "  %-40s %10.1f us  %9.0f ops/s\n", $2, ns/1000, 1e9/ns}'
speed
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
