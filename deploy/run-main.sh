#!/bin/bash
# The main job on embedded defaults: the kiosk on a local SQLite file
# (build/demo/shelter-kiosk.db). Without a webcam it plays the demo frames
# (an empty view, then a household card); without a display it runs under
# Xvfb and saves screenshots. The local server arrives with the sync issue.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SHELTER_DEMO_DIR:-$root/build/demo}
mkdir -p "$dir"
"$root/build/kiosk/shelterctl" demo --dir "$dir/shelterctl" >/dev/null
echo "run: shelterctl demo done (cards and a sample store in $dir/shelterctl)"
kiosk=("$root/build/kiosk/shelter-kiosk" --db "$dir/shelter-kiosk.db")
if [ -n "${DISPLAY:-}" ]; then
  echo "run: starting the kiosk on $DISPLAY (Staff PIN 0000; close the window to stop)"
  exec "${kiosk[@]}"
fi
for n in $(seq 50 99); do [ -e /tmp/.X11-unix/X$n ] || { display=:$n; break; }; done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.05; done
echo "run: no display, so the kiosk runs under Xvfb $display; screenshots of each screen go to $dir/screens"
echo "run: watch it with: DISPLAY=$display xdotool ... or stop with Ctrl-C"
DISPLAY=$display SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy} "${kiosk[@]}" --windowed --screenshot-dir "$dir/screens"
