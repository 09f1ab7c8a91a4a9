#!/bin/sh
# Builds (if needed) and runs redact-bench: seecitvredact against
# gst-plugins-bad's faceblur on the same frames, speed and face recall.
# Fetches the test pictures (messi5.jpg, astronaut.png) with ./run testdata
# when they are missing. Arguments go to redact-bench (try --help).
# BUILD_DIR picks the build directory (default: build/ at the top of the
# source tree; set up with meson if missing).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -s "$top/testdata/messi5.jpg" ] || [ ! -s "$top/testdata/astronaut.png" ]
then
  "$top/run" testdata >&2
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" redact-bench gstseecitvopencv >&2

GST_PLUGIN_PATH="$build/ext/opencv${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
# Every new faceblur first loads its default profile, whose path is broken
# on 1.22, and OpenCV logs an error line for it (once per pipeline). OpenCV
# reads this before main () runs, so it is set here.
OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-FATAL}
export OPENCV_LOG_LEVEL
exec "$build/bench/redact-bench" --testdata "$top/testdata" "$@"
