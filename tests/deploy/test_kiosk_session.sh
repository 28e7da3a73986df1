#!/bin/bash
# The kiosk session as deploy/systemd/shelter-kiosk.service starts it: the
# cage Wayland compositor running shelter-kiosk fullscreen as an
# unprivileged user. Here cage uses wlroots' headless backend (no screen,
# no GPU); grim takes the compositor's picture. Screenshots go to
# tests/artifacts/deploy/.  usage: test_kiosk_session.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
art="$root/tests/artifacts/deploy"
mkdir -p "$art"
for p in cage grim Xwayland; do command -v $p >/dev/null || { echo "FAIL $p is missing (deploy/setup.sh installs it)"; exit 1; }; done
user=nobody
[ "$(id -u)" -eq 0 ] || user=$(id -un)  # cage refuses to run as root
dir=$(mktemp -d /tmp/shelter-cage.XXXXXX)
chmod 777 "$dir"
mkdir -m 700 "$dir/run"
[ "$(id -u)" -eq 0 ] && chown "$user" "$dir/run"
as_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
# The session (runuser, cage, the kiosk, any Xwayland) runs in a session of
# its own, so that ending it is one kill of that session, whatever runuser
# passes on; and anything with this run's folder on its command line goes
# too. A watchdog outside the session does the same if this script is
# killed without running its trap (ctest's timeout sends SIGKILL).
end_session() {
  local sid=$1 sig
  for sig in TERM KILL; do
    [ -n "$sid" ] && pkill -"$sig" -s "$sid" 2>/dev/null
    pkill -"$sig" -f -- "$dir/" 2>/dev/null
    for _ in $(seq 30); do
      { [ -n "$sid" ] && pgrep -s "$sid" >/dev/null; } || pgrep -f -- "$dir/" >/dev/null || return 0
      sleep 0.1
    done
  done
}
cleanup() {
  [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
  end_session "${session:-}"
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The unit's command line, with the headless backend and a software renderer.
run_as=()
[ "$(id -u)" -eq 0 ] && run_as=(runuser -u "$user" --)
setsid "${run_as[@]}" env XDG_RUNTIME_DIR="$dir/run" WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
  LIBGL_ALWAYS_SOFTWARE=1 SDL_VIDEODRIVER=wayland,x11 SDL_AUDIODRIVER=dummy \
  cage -d -- "$build/kiosk/shelter-kiosk" --db "$dir/kiosk.db" --screenshot-dir "$dir/shots" >"$dir/cage.log" 2>&1 &
session=$! # setsid does not fork here (a background job leads no group), so its pid is the session's id
# The watchdog: its own session, and this run's folder only in its environment.
SESSION_DIR=$dir setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
  pkill -KILL -s "$2"; pkill -KILL -f -- "$SESSION_DIR/"; rm -rf "$SESSION_DIR"' watchdog $$ "$session" </dev/null >/dev/null 2>&1 &
watchdog=$!
for _ in $(seq 150); do [ -e "$dir/shots/1-welcome.png" ] && break; sleep 0.1; done
sleep 2
check "the kiosk starts fullscreen under cage as an unprivileged user and shows the welcome screen" '[ -e "$dir/shots/1-welcome.png" ]'
as_user env XDG_RUNTIME_DIR="$dir/run" WAYLAND_DISPLAY=wayland-0 grim "$dir/screen.png" 2>/dev/null
# A black 1280x720 PNG is under 3 KB; the welcome screen is about 100 KB.
check "the compositor shows it (grim: $(stat -c %s "$dir/screen.png" 2>/dev/null) bytes)" '[ "$(stat -c %s "$dir/screen.png")" -gt 20000 ]'
cp "$dir/screen.png" "$art/kiosk-under-cage.png" 2>/dev/null
cp "$dir/shots/1-welcome.png" "$art/kiosk-under-cage-own.png" 2>/dev/null
check "the database is the kiosk user's own ($(stat -c %a "$dir/kiosk.db" 2>/dev/null))" '[ "$(stat -c %a "$dir/kiosk.db")" = 600 ]'
echo "$fails failure(s)"
exit $((fails > 0))
