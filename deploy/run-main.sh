#!/bin/bash
# The main job on embedded defaults: a local municipal server
# (shelter-server on 127.0.0.1:8470, SQLite), the sync daemon, and the kiosk
# on its own SQLite file, all under build/demo/. Without a webcam the kiosk
# plays the demo frames (an empty view, then a household card); without a
# display it runs under Xvfb and saves a screenshot of each screen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SHELTER_DEMO_DIR:-$root/build/demo}
port=${SHELTER_PORT:-8470}
mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$root/build/kiosk/shelterctl" demo --dir "$dir/shelterctl" >/dev/null
echo "run: shelterctl demo done (cards and a sample store in $dir/shelterctl)"
server=("$root/build/sync/shelter-server" --db "$dir/server.db")
"${server[@]}" --port "$port" 2>>"$dir/server.log" &
pids+=($!)
# The kiosk creates its database (demo-01 / demo-01-k1) on start; then the
# daemon enrols with a one-time code, once, and syncs every 10 s.
( until [ -e "$dir/shelter-kiosk.db" ]; do sleep 1; done
  sync=("$root/build/sync/shelter-sync" --db "$dir/shelter-kiosk.db" --server "http://127.0.0.1:$port")
  # Enrolled: its token is in the secrets file beside the database.
  if ! grep -qs '"sync_token"' "$dir/shelter-kiosk.db.secret"; then
    until "${sync[@]}" --enrol "$("${server[@]}" enrol-code --shelter demo-01 --device demo-01-k1)"; do sleep 2; done
  fi
  exec "${sync[@]}" --interval 10 ) 2>>"$dir/sync.log" &
pids+=($!)
"${server[@]}" set-shelter --shelter demo-01 --name "Demo shelter" --capacity 50
hq_password=${SHELTER_HQ_PASSWORD:-demo-hq-password}
echo "$hq_password" | "${server[@]}" add-user --name demo-hq --role roster --password-stdin >/dev/null
echo "run: server on 127.0.0.1:$port; headquarters dashboard http://127.0.0.1:$port/ (user demo-hq, password $hq_password)"
echo "run: sync daemon logging to $dir/sync.log"

# --demo: the only kiosk with a short staff PIN. The lead "demo" signs in
# with 0000, and the PIN screen says so. A real kiosk has no default PIN:
# its leads are enrolled with `shelterctl enrol --lead` / `add-volunteer`.
kiosk=("$root/build/kiosk/shelter-kiosk" --db "$dir/shelter-kiosk.db" --demo)
if [ -n "${DISPLAY:-}" ]; then
  echo "run: starting the kiosk on $DISPLAY (demo: staff sign-in \"demo\", PIN 0000; close the window to stop)"
  "${kiosk[@]}"
  exit
fi
for n in $(seq 50 99); do [ -e /tmp/.X11-unix/X$n ] || { display=:$n; break; }; done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.05; done
echo "run: no display, so the kiosk runs under Xvfb $display; screenshots of each screen go to $dir/screens; demo staff PIN 0000; Ctrl-C stops"
DISPLAY=$display SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy} "${kiosk[@]}" --windowed --screenshot-dir "$dir/screens"
