#!/usr/bin/env bash
# Builds vopsearch with a sanitizer (CMakePresets.json) and runs the tests it covers.
#
#   tools/sanitize.sh asan [ctest args...]   ASan+UBSan, build-asan/, the whole suite (ctest -LE bench)
#   tools/sanitize.sh tsan [ctest args...]   TSan, build-tsan/, the threaded tests (TSAN_TESTS below)
#   VOPSEARCH_SANITIZE_STEP=build|test        only build, or only run the tests of an existing build
#   VOPSEARCH_SANITIZE_TESTS="test_a test_b"  only these test executables: a part of the suite on a
#                                             busy machine
#
# The build is heavy: it runs under `nice -n 10` with VOPSEARCH_JOBS (default 2) jobs and uses
# ccache when it is installed. Suppressions: tools/sanitizers/*.supp (one reason per entry).
# docs/RELIABILITY.md records what ran, for how long, and what was found.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind="${1:-}"
shift || true
case "$kind" in
  asan|tsan) ;;
  *) echo "usage: tools/sanitize.sh asan|tsan [ctest args...]" >&2; exit 2 ;;
esac
build="$root/build-$kind"
supp="$root/tools/sanitizers"
jobs="${VOPSEARCH_JOBS:-2}"
step="${VOPSEARCH_SANITIZE_STEP:-all}"

# TSan covers the code that runs threads of its own: the indexing pipeline, the services'
# search-while-indexing and jobs, the store, and the trainer's data loading.
# Not by default: the GUI's job adapters (test_jobrunner, test_librarytab, test_training).
# Debian's Qt is not built with TSan, so the hand-offs through QThread::wait, QtConcurrent/QFuture
# results and queued lambdas (Qt's futex-based QMutex and event queue) are invisible to it and it
# reports each of them as a race (469 reports in one run of the three, docs/RELIABILITY.md).
# They need a Qt configured with -sanitize thread; name them in VOPSEARCH_SANITIZE_TESTS to run
# them anyway.
TSAN_TESTS=(test_library_pipeline test_services test_store test_train_datasets test_train_e2e)

# The tests to build and run: all (asan), TSAN_TESTS (tsan), or VOPSEARCH_SANITIZE_TESTS.
TESTS=()
if [[ -n "${VOPSEARCH_SANITIZE_TESTS:-}" ]]; then
  read -r -a TESTS <<<"$VOPSEARCH_SANITIZE_TESTS"
elif [[ "$kind" == tsan ]]; then
  TESTS=("${TSAN_TESTS[@]}")
fi

configure_and_build() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  nice -n 10 cmake --preset "$kind" -S "$root" "${launcher[@]}" >/dev/null
  if [[ ${#TESTS[@]} -gt 0 ]]; then
    # (the tests that start vopsearch-cli depend on it, so it is built when they need it)
    nice -n 10 cmake --build "$build" -j "$jobs" --target "${TESTS[@]}"
  else
    nice -n 10 cmake --build "$build" -j "$jobs"
  fi
}

# Runs the selected tests (TESTS, or the whole suite less benchmarks) in two ctest calls: those
# named in $1 with the variable $2 set to $3, the others with it set to $4.
ctest_split() {
  local set=" $1 " var="$2" with_value="$3" without_value="$4" all=() with=() without=() t rc=0
  shift 4
  all=("${TESTS[@]}")
  if [[ ${#all[@]} -eq 0 ]]; then
    mapfile -t all < <(ctest -N -LE bench | sed -n 's/^ *Test *#[0-9]*: //p')
  fi
  for t in "${all[@]}"; do
    if [[ "$set" == *" $t "* ]]; then with+=("$t"); else without+=("$t"); fi
  done
  if [[ ${#with[@]} -gt 0 ]]; then
    env "$var=$with_value" ctest -LE bench --output-on-failure -j "$jobs" \
      -R "^($(IFS='|'; echo "${with[*]}"))\$" "$@" || rc=$?
  fi
  if [[ ${#without[@]} -gt 0 ]]; then
    env "$var=$without_value" ctest -LE bench --output-on-failure -j "$jobs" \
      -R "^($(IFS='|'; echo "${without[*]}"))\$" "$@" || rc=$?
  fi
  return "$rc"
}

run_tests() {
  cd "$build"
  export QT_QPA_PLATFORM=offscreen
  if [[ "$kind" == asan ]]; then
    local opts="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:check_initialization_order=1:suppressions=$supp/asan.supp"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
    # The test that plays video (Qt Multimedia) runs with the slow unwinder: Qt Multimedia's
    # process-wide leaks (tools/sanitizers/lsan.supp) are allocated inside libraries without
    # frame pointers, where the fast unwinder stops before the frame a suppression can name.
    ctest_split "test_search_tab" ASAN_OPTIONS "$opts:fast_unwind_on_malloc=0" "$opts" "$@"
  else
    # LibTorch's OpenMP pool and OpenBLAS's threads are not instrumented: TSan cannot see their
    # barriers and reports races between their workers. One thread each removes that noise
    # without changing which of our threads run.
    export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
    local opts="halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$supp/tsan.supp"
    # The tests that insert into hnswlib run without the lock-order (deadlock) detector: hnswlib
    # keeps its per-element locks in std::vector<std::mutex>, re-creates them when the index grows
    # and never destroys them (std::mutex has a trivial destructor), so TSan keeps the old lock
    # graph for the new mutexes at reused addresses and prints hundreds of stack-less lock-order
    # reports that no suppression can match (docs/RELIABILITY.md). Data races are still checked.
    ctest_split "test_library_pipeline test_services test_store test_librarytab test_training" \
      TSAN_OPTIONS "$opts:detect_deadlocks=0" "$opts" "$@"
  fi
}

start=$(date +%s)
[[ "$step" == test ]] || configure_and_build
built=$(date +%s)
[[ "$step" == build ]] || run_tests "$@"
end=$(date +%s)
echo "sanitize $kind: build $((built - start)) s, tests $((end - built)) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
