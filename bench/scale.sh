#!/bin/sh
# Builds (if needed) and runs scale-bench: how many 1080p 15 fps cameras one
# core carries through seecitvmotion ! seecitvredact ! seecitvsink, with N =
# 1, 2, 4, 8, 16 cameras in one process, next to gst-plugins-bad's
# motioncells ! faceblur ! splitmuxsink. The process is pinned to one CPU
# with taskset (SCALE_CPU, default: the last CPU this shell may use).
# --quick takes about half a minute; the default (full) run takes about ten
# minutes of one core. Arguments go to scale-bench (try --help). BUILD_DIR
# picks the build directory (default: build/ at the top of the source tree;
# set up with meson if missing). Fetches vtest.avi and astronaut.png with
# ./run testdata when they are missing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -s "$top/testdata/vtest.avi" ] || [ ! -s "$top/testdata/astronaut.png" ]
then
  "$top/run" testdata >&2
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
# Only what the benchmark needs, so that a half-finished file elsewhere in
# the tree does not stop it.
meson compile -C "$build" scale-bench gstseecitvopencv gstseecitv \
  gstseecitvcrypto >&2

GST_PLUGIN_PATH="$build/ext/opencv:$build/gst/seecitv:$build/ext/openssl${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
# faceblur first loads its broken default profile and OpenCV logs an error
# line for it per instance (see bench/README.md, redact-bench); OpenCV reads
# this before main () runs.
OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-FATAL}
OPENCV_FOR_THREADS_NUM=${OPENCV_FOR_THREADS_NUM:-1}
export OPENCV_LOG_LEVEL OPENCV_FOR_THREADS_NUM

cpu=${SCALE_CPU:-$(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
  sed 's/.*-//' | sort -n | tail -1)}
exec taskset -c "$cpu" "$build/bench/scale-bench" --testdata "$top/testdata" \
  "$@"
