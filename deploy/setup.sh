#!/bin/bash
# One entry point for a fresh Debian 12 machine, run as root from the checkout:
#   deploy/setup.sh run    install what is missing, build, run the main job
#   deploy/setup.sh test   install what is missing, build, run every test
# Installing is idempotent and quiet when everything is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case "$mode" in run|test|install|build) ;; *)
  echo "usage: deploy/setup.sh run|test|install|build" >&2; exit 2 ;;
esac

install_packages() {
  local wanted missing=()
  wanted=$(grep -v '^\s*#' "$root/deploy/packages.txt" | grep -v '^\s*$')
  for p in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [cmake args...]: configure once, then rebuild only what changed.
build() {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
  # Progress lines are dropped; warnings and errors stay. With pipefail the
  # pipeline fails when the build does.
  cmake --build "$dir" -- -j"$(nproc)" | { grep -v '^\[' || true; }
}

# The dashboard test drives Debian's Chromium with playwright-core from the
# npm registry (pinned by tests/dashboard/package-lock.json; no browser download).
install_node_packages() {
  if ! command -v npm >/dev/null; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing Node.js and npm from Debian"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  local dir="$root/tests/dashboard"
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
}

install_packages
[ "$mode" = test ] || [ "$mode" = install ] && install_node_packages
[ "$mode" = install ] && exit 0
build "$root/build"
[ "$mode" = build ] && exit 0

if [ "$mode" = run ]; then
  exec "$root/deploy/run-main.sh"
fi

# No test may leave a process running: after each pass, anything the tests
# started from this checkout and left fails the run, named with its pid and
# command line (tests/tree/check_no_leftovers.sh; ctest's own no_leftovers
# test does the same at the end of a ctest run). SHELTER_CHECKOUT marks
# every process the tests start as this checkout's, so that tests of another
# checkout running at the same time are not taken for ours.
export SHELTER_CHECKOUT
SHELTER_CHECKOUT=$(cd "$root" && pwd -P)
no_leftovers() {
  "$root/tests/tree/check_no_leftovers.sh" "$root" >&2 || { echo "setup: a test left a process running" >&2; exit 1; }
}

# test: the normal build, a second pass under ASan + UBSan, a bounded fuzz run.
echo "== tests"
ctest --test-dir "$root/build" --output-on-failure -j"$(nproc)"
no_leftovers
echo "== tests under AddressSanitizer + UBSan"
build "$root/build-asan" -DSHELTER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 LSAN_OPTIONS=suppressions="$root/tests/sanitizers/lsan.supp" \
  ctest --test-dir "$root/build-asan" --output-on-failure -j"$(nproc)" -LE slow
no_leftovers
echo "== fuzzing for ${FUZZ_SECONDS:-60} s per target"
"$root/tests/fuzz/run_fuzzers.sh"
echo "setup: all tests passed"
