#!/bin/bash
# The kiosk as a process, under Xvfb: cold start to live preview, memory,
# and CPU while idle on the welcome screen with the camera running: 720p
# colour MJPEG frames (4:2:2, sensor noise in each, no Huffman tables) played
# at 30 fps as a webcam sends them, with nobody in front.
# usage: bench_kiosk_window.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
trap 'kill $kiosk $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
for n in $(seq 150 199); do [ -e /tmp/.X11-unix/X$n ] || { display=:$n; break; }; done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.05; done
cat >"$work/k.toml" <<TOML
db = "$work/k.db"
fullscreen = false
sounds = false
replay_fps = 30
TOML
"$build/tests/bench/bench_camera" --write-frames "$work/frames" --count 30
DISPLAY=$display "$build/kiosk/shelter-kiosk" --config "$work/k.toml" --replay "$work/frames" \
  --stats-file "$work/stats.json" >"$work/log" 2>&1 & kiosk=$!
sleep 4
ticks() { awk '{print $14 + $15}' "/proc/$kiosk/stat"; }
t0=$(ticks); sleep 10; t1=$(ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$kiosk/status")
kill -TERM $kiosk; wait $kiosk || true
python3 - "$work/stats.json" "$t0" "$t1" "$hz" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t0, t1, hz, rss = (float(x) for x in sys.argv[2:6])
print(f"kiosk cold start to live preview: {s['first_preview_ms']:.0f} ms")
print(f"kiosk RSS while running: {rss / 1024:.0f} MB (peak {s['max_rss_kb'] / 1024:.0f} MB)")
print(f"kiosk idle CPU on the welcome screen, 720p MJPEG camera at 30 fps: {100 * (t1 - t0) / hz / 10:.1f}% of one core "
      f"({s['camera_frames']} frames captured, {s['frames_held_back']} held back by the motion gate, "
      f"{s['frames_decoded']} decoded for QR codes, {s['frames_drawn']} drawn)")
PY
