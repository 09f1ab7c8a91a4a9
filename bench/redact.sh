#!/bin/sh
# Builds (if needed) and runs a redaction benchmark against gst-plugins-bad's
# faceblur on the same frames:
#
#   bench/redact.sh [ARGS]         redact-bench (issue 3): speed and face
#                                  recall on messi5.jpg and astronaut.png
#   bench/redact.sh scenes [ARGS]  redact-scene-bench (issue 13): CPU per
#                                  1080p15 frame of seecitvmotion !
#                                  seecitvredact, busy and idle, typical
#
# Fetches the test pictures with ./run testdata when they are missing.
# Arguments go to the program (try --help). BUILD_DIR picks the build
# directory (default: build/ at the top of the source tree; set up with
# meson if missing).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

program=redact-bench
pictures="messi5.jpg astronaut.png"
if [ "${1:-}" = scenes ]; then
  shift
  program=redact-scene-bench
  pictures="messi5.jpg astronaut.png fruits.jpg"
fi
for f in $pictures; do
  [ -s "$top/testdata/$f" ] || { "$top/run" testdata >&2; break; }
done

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" "$program" gstseecitvopencv >&2

GST_PLUGIN_PATH="$build/ext/opencv${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
# Every new faceblur first loads its default profile, whose path is broken
# on 1.22, and OpenCV logs an error line for it (once per pipeline). OpenCV
# reads this before main () runs, so it is set here.
OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-FATAL}
export OPENCV_LOG_LEVEL
exec "$build/bench/$program" --testdata "$top/testdata" "$@"
