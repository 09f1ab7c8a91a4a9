#!/usr/bin/env bash
# seecitv
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the fuzz targets as libFuzzer binaries (clang, ASan + UBSan) in their
# own build directory and fuzzes each one for a while. Every fuzz-* program
# the build produces is run, so a new target only needs its line in
# tests/fuzz/meson.build and a seed corpus in tests/fuzz/corpus/<name>/. Each
# run starts from a copy of the committed corpus, which is never written to;
# what a run finds (new corpus entries, crash-*/leak-*/timeout-* files) stays
# in <build dir>/fuzz-runs/<name>/. Without -Dfuzzing the same targets only
# replay their corpus: that is `meson test --suite fuzz`, not this script.
#
# Usage: bench/fuzz.sh [SECONDS [BUILD_DIR]]
#   SECONDS    fuzzing time per target (default 30)
#   BUILD_DIR  build directory, relative to the source root (default
#              build-fuzz; also $FUZZ_BUILD_DIR)
# Extra libFuzzer flags may be given in $FUZZ_ARGS (e.g. "-jobs=4").
# Exits non-zero when the build fails or any target crashed, leaked, timed
# out or found no input at all.

set -euo pipefail

seconds=${1:-30}
build_dir=${2:-${FUZZ_BUILD_DIR:-build-fuzz}}

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS [BUILD_DIR]]" >&2
  exit 2
fi

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src_dir"

for tool in clang clang++ meson ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: $tool not found (Debian: apt-get install clang" \
      "libclang-rt-14-dev meson ninja-build)" >&2
    exit 2
  fi
done

# shellcheck disable=SC2054 # the commas are meson's, not array separators
setup_args=(
  -Dfuzzing=true
  -Db_sanitize=address,undefined
  -Db_lundef=false
  -Dopencv=disabled
  -Dtests=disabled
)

if [[ -f $build_dir/build.ninja ]]; then
  meson setup --reconfigure "$build_dir" "${setup_args[@]}" >/dev/null
else
  CC=clang CXX=clang++ meson setup "$build_dir" "${setup_args[@]}"
fi
meson compile -C "$build_dir"

mapfile -t targets < <(find "$build_dir" -type f -name 'fuzz-*' \
  -perm -u+x ! -name '*.*' | sort)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz.sh: no fuzz-* binary in $build_dir" >&2
  exit 1
fi

mkdir -p "$build_dir/fuzz-runs"
run_root=$(cd "$build_dir/fuzz-runs" && pwd)

# Leaks that are the loader's and GLib's on purpose, not the targets'.
supp=$run_root/lsan.supp
{
  echo "leak:_dl_init"
  if [[ -f tests/lsan.supp ]]; then
    grep -v '^leak:_dl_init$' tests/lsan.supp || true
  fi
} >"$supp"
asan_defaults=detect_leaks=1:halt_on_error=1:symbolize=1
asan_defaults+=:allocator_may_return_null=1
lsan_defaults=suppressions=$supp:print_suppressions=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_defaults}
export LSAN_OPTIONS=${LSAN_OPTIONS:-$lsan_defaults}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A failed g_return_if_fail () in a target is a bug: abort, so it is a crash.
export G_DEBUG=${G_DEBUG:-fatal-criticals}

# One target: fuzzes it, prints its report, writes its table row to
# <work>/row; fails if the target failed.
fuzz_one() {
  local bin=$1 exe name seeds work n_seeds status done_line execs cov ft
  local n_corpus n_artifacts
  exe=$(basename "$bin")
  name=${exe#fuzz-}
  seeds=tests/fuzz/corpus/$name
  work=$run_root/$name
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  if [[ -d $seeds ]]; then
    cp -R "$seeds/." "$work/corpus/"
  else
    echo "fuzz.sh: warning: no seed corpus $seeds for $exe" >&2
  fi
  n_seeds=$(find "$work/corpus" -type f | wc -l)

  echo "=== $exe: ${seconds}s from $n_seeds seeds"
  status=ok
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} \
      "$work/corpus" >"$work/log" 2>&1; then
    status=FAILED
  fi

  # The last line of a clean run is "#<execs> DONE cov: <c> ft: <f> ...".
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -n 1 ||
    true)
  if [[ -n $done_line ]]; then
    execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done_line")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  else
    # No DONE line: it died; report how far it got.
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' \
      "$work/log" | tail -n 1)
    if [[ -z $execs ]]; then
      execs=$(grep -oE '^#[0-9]+' "$work/log" | tail -n 1 | tr -d '#' ||
        true)
    fi
    cov=$(grep -oE 'cov: [0-9]+' "$work/log" | tail -n 1 |
      awk '{print $2}' || true)
    ft=$(grep -oE 'ft: [0-9]+' "$work/log" | tail -n 1 |
      awk '{print $2}' || true)
    status=FAILED
  fi
  if [[ -z $execs || $execs -eq 0 ]]; then
    status=FAILED
  fi
  n_corpus=$(find "$work/corpus" -type f | wc -l)
  n_artifacts=$(find "$work/artifacts" -type f | wc -l)

  if [[ $status != ok ]]; then
    echo "--- $exe failed; end of $work/log:" >&2
    tail -n 40 "$work/log" >&2
    if [[ $n_artifacts -gt 0 ]]; then
      echo "--- reproduce with: $bin $(find "$work/artifacts" -type f |
        head -n 1)" >&2
    fi
  fi
  printf '%-24s %-7s %12s %8s %8s %7s %7s\n' "$exe" "$status" \
    "${execs:--}" "${cov:--}" "${ft:--}" "$n_seeds->$n_corpus" \
    "$n_artifacts" >"$work/row"
  [[ $status == ok ]]
}

# Targets run $FUZZ_JOBS at a time (default: the number of CPUs, at most
# 4), each on one core; their reports are printed in order afterwards.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  jobs=1
fi
if [[ $jobs -gt 4 ]]; then
  jobs=4
fi
echo "fuzzing ${#targets[@]} targets, $jobs at a time"
pids=()
for bin in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
    wait -n || true
  done
  name=$(basename "$bin")
  name=${name#fuzz-}
  mkdir -p "$run_root/$name"
  fuzz_one "$bin" >"$run_root/$name.report" 2>&1 &
  pids+=($!)
done

failed=0
rows=()
for i in "${!targets[@]}"; do
  name=$(basename "${targets[$i]}")
  name=${name#fuzz-}
  if ! wait "${pids[$i]}"; then
    failed=1
  fi
  cat "$run_root/$name.report"
  if [[ -f $run_root/$name/row ]]; then
    rows+=("$(cat "$run_root/$name/row")")
  else
    rows+=("$(printf '%-24s %-7s' "fuzz-$name" FAILED)")
    failed=1
  fi
done

echo
printf '%-24s %-7s %12s %8s %8s %7s %7s\n' target status execs cov ft \
  corpus crashes
for row in "${rows[@]}"; do
  echo "$row"
done
echo "(${seconds}s per target; logs and findings in $run_root/)"

exit "$failed"
