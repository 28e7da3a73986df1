#!/bin/bash
# No test may leave a process running. Lists the processes this checkout's
# tests started and that still run: the servers, daemons, kiosks, displays
# and databases the tests start (by name), and anything run from the
# checkout's build folders or tests/ (by path), once a short grace for
# processes that are exiting has passed.
#
# A process is this checkout's when its command line holds the checkout's
# path, its working folder is inside the checkout, or its environment has
# SHELTER_CHECKOUT=<checkout> (deploy/setup.sh and tests/sync/with_postgres.sh
# export it, for processes such as postgres that run from /tmp and keep
# nothing of the checkout's path). The system's own daemons and the tests of
# another checkout running at the same time are none of these, and are left
# alone. The script itself, its parents and its children are never listed.
#
# usage: check_no_leftovers.sh CHECKOUT [GRACE_SECONDS]   (default 5)
# Prints one line per process left ("pid N (name, M s old): command");
# exit 1 if any.
set -uo pipefail
root=$(cd "${1:?usage: check_no_leftovers.sh CHECKOUT [GRACE_SECONDS]}" && pwd -P) || exit 2
grace=${2:-5}
names='^(shelter-server|shelter-sync|shelter-kiosk|shelterctl|cage|grim|Xvfb|Xwayland|nginx|postgres|postmaster|pg_ctl|merge_sim|crash_writer|xdotool)$'

# Fields of /proc/PID/stat after the name in parentheses (which may hold
# spaces): 1 state, 2 parent, 20 start time in clock ticks after boot.
stat_field() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  read -r -a f <<<"$s"
  echo "${f[$2 - 1]}"
}
parent_of() { stat_field "$1" 2; }
state_of() { stat_field "$1" 1; }

# This script's ancestors: never listed (ctest, deploy/setup.sh, a shell).
declare -A mine=()
p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  mine[$p]=1
  p=$(parent_of "$p")
done

# A child of this script (the pipelines below) is not a leftover.
descends_from_me() {
  local p=$1
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    [ "$p" = $$ ] && return 0
    p=$(parent_of "$p") || return 1
  done
  return 1
}

leftovers() {
  local dir pid name cmd cwd age now argv
  now=$(awk '{print int($1)}' /proc/uptime)
  local hz
  hz=$(getconf CLK_TCK)
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ -n "${mine[$pid]:-}" ] && continue
    { read -r name <"$dir/comm" && mapfile -d '' -t argv <"$dir/cmdline"; } 2>/dev/null || continue
    [ ${#argv[@]} -gt 0 ] || continue # a kernel thread, or gone
    # Candidates: the programs the tests start, and anything run from here.
    if ! [[ $name =~ $names ]] && [[ "${argv[0]:-}" != "$root/"* ]] && [[ "${argv[1]:-}" != "$root/"* ]]; then
      continue
    fi
    cmd="${argv[*]}"
    [ "$(state_of "$pid")" = Z ] && continue # exited; its parent reaps it
    descends_from_me "$pid" && continue
    # Ours: the checkout's path, working folder or mark.
    cwd=$(readlink "$dir/cwd" 2>/dev/null)
    if [[ $cmd != *"$root/"* ]] && [[ $cwd != "$root" ]] && [[ $cwd != "$root/"* ]] &&
      ! { tr '\0' '\n' <"$dir/environ"; } 2>/dev/null | grep -qxF "SHELTER_CHECKOUT=$root"; then
      continue
    fi
    age=$((now - $(stat_field "$pid" 20 || echo 0) / hz))
    echo "pid $pid ($name, $age s old): $cmd"
  done
}

left=""
for _ in $(seq $((grace * 2 + 1))); do
  left=$(leftovers)
  [ -z "$left" ] && exit 0
  sleep 0.5
done
echo "check_no_leftovers: tests left these processes running:"
echo "$left"
exit 1
