#!/bin/sh
# Builds (if needed) and runs src-bench: seecitvsrc against gst-plugins-good's
# souphttpsrc ! multipartdemux on the same local MJPEG stream from
# tools/seecitv-device (CPU per frame and the ratio), then seecitvsrc's time
# from a device restart to its next frame against retry-delay. Arguments go
# to src-bench (try --help). BUILD_DIR picks the build directory (default:
# build/ at the top of the source tree; set up with meson if missing).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" src-bench seecitv-device gstseecitvsoup >&2

GST_PLUGIN_PATH="$build/ext/soup${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec "$build/bench/src-bench" "$@"
