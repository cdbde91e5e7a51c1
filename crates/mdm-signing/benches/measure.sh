#!/usr/bin/env bash
# Measures sign/verify of a 4 KiB profile (criterion, short run) next to OpenSSL's raw key
# operations on the same machine in the same run, and prints operations per second.
# Usage: crates/mdm-signing/benches/measure.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/mdm-signing}"

# openssl speed divides by CPU time unless -elapsed is given; criterion measures wall-clock
# time. On a busy machine only the -elapsed figures compare with criterion's.
speed() {
  openssl speed "$@" -seconds 2 rsa2048 ecdsap256 2>/dev/null |
    awk -v tag="${1:-cpu-time}" '
      /^rsa 2048 bits/ {printf "  openssl speed %-9s rsa2048: sign %8s/s  verify %8s/s\n", tag, $6, $7}
      /bits ecdsa \(nistp256\)/ {printf "  openssl speed %-9s p256:    sign %8s/s  verify %8s/s\n", tag, $7, $8}'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (cores: $(nproc))"
speed
speed -elapsed
cargo bench -q -p mdm-signing --bench sign_verify -- \
  --warm-up-time 1 --measurement-time 3 --output-format bencher 2>/dev/null |
  awk '/^test / {ns=$5; gsub(",", "", ns); printf "  %-40s %10.1f us  %9.0f ops/s\n", $2, ns/1000, 1e9/ns}'
speed
speed -elapsed
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
