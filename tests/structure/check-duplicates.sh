#!/bin/sh
# seecitv
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 14's duplicate check, run by the suite (test "structure-duplicates"):
# `duplicates` (a developer command, not a Debian package) over the tree
# without tests/ must find at most MAX pairs that are not boilerplate.
# Skipped (77) where the command is not installed. MAX is a ratchet: lower
# it when a change removes pairs, never raise it (issue 14 asks for 15).
#
# Usage: check-duplicates.sh SOURCE_ROOT MAX
set -eu
root=$1
max=$2
command -v duplicates >/dev/null 2>&1 || {
  echo "duplicates is not installed: skipped"
  exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The files git tracks (else every file), without tests/ and test media.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files
else
  (cd "$root" && find . -type f ! -path './.git/*' | sed 's|^\./||')
fi | grep -v -e '^tests/' -e '^testdata/' -e '^build' | while read -r f; do
  [ -f "$root/$f" ] || continue
  mkdir -p "$tmp/$(dirname "$f")"
  cp "$root/$f" "$tmp/$f"
done
out=$(cd "$tmp" && duplicates --most 200 --seconds 120)
echo "$out"
head=$(echo "$out" | head -n 1)
case "$head" in
  "no duplicates"*) echo "0 pairs that are not boilerplate (at most $max)"; exit 0 ;;
esac
pairs=$(echo "$head" | sed -n 's/^\([0-9]*\) pairs.*/\1/p')
boiler=$(echo "$head" | sed -n 's/.* \([0-9]*\) of those marked boilerplate.*/\1/p')
[ -n "$pairs" ] || { echo "cannot read: $head"; exit 1; }
[ -n "$boiler" ] || boiler=0
if echo "$out" | grep -q '^incomplete:'; then
  echo "duplicates did not read everything: raise --seconds"
  exit 1
fi
left=$((pairs - boiler))
echo "$left pairs that are not boilerplate (at most $max)"
[ "$left" -le "$max" ]
