#!/bin/sh
# Builds (if needed) and runs crypto-bench: seecitvcryptsink's encryption
# throughput against OpenSSL's raw AES-256-GCM, and seecitvsink's CPU per
# 1080p frame against splitmuxsink writing the same H.264 in clear, both as
# ratios (see bench/README.md). Also prints `openssl speed` on the same
# chunk size, for reference. Arguments go to crypto-bench (try --help).
# BUILD_DIR picks the build directory (default: build/ at the top of the
# source tree; set up with meson if missing).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top"
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" crypto-bench gstseecitvcrypto gstseecitv >&2

if command -v openssl >/dev/null 2>&1; then
  echo "== openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 (one thread)"
  openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 2>/dev/null |
    tail -n 2
fi

GST_PLUGIN_PATH="$build/ext/openssl:$build/gst/seecitv${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec "$build/bench/crypto-bench" "$@"
