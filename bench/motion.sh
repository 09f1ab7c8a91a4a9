#!/bin/sh
# Builds (if needed) and runs motion-bench: seecitvmotion against
# gst-plugins-bad's motioncells on the same frames. Arguments go to
# motion-bench (try --help). BUILD_DIR picks the build directory (default:
# build/ at the top of the source tree; set up with meson if missing).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top"
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" motion-bench gstseecitvopencv >&2

GST_PLUGIN_PATH="$build/ext/opencv${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec "$build/bench/motion-bench" "$@"
