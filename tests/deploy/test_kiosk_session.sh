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
# cage and the kiosk run below runuser, which does not pass a kill on: end
# every process started with this run's folder on its command line.
cleanup() {
  pkill -TERM -f -- "$dir/" 2>/dev/null
  for _ in $(seq 30); do pgrep -f -- "$dir/" >/dev/null || break; sleep 0.1; done
  pkill -KILL -f -- "$dir/" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# The unit's command line, with the headless backend and a software renderer.
as_user env XDG_RUNTIME_DIR="$dir/run" WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
  LIBGL_ALWAYS_SOFTWARE=1 SDL_VIDEODRIVER=wayland,x11 SDL_AUDIODRIVER=dummy \
  cage -d -- "$build/kiosk/shelter-kiosk" --db "$dir/kiosk.db" --screenshot-dir "$dir/shots" >"$dir/cage.log" 2>&1 &
cage=$!
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
