#!/bin/bash
# The main job on embedded defaults. Until the kiosk window and the local
# server land (issues 3 and 4), this is shelterctl's end-to-end demo: cards
# printed from a residents list, a store initialised, a household checked in
# with one scan, a walk-in registered, counts for headquarters.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SHELTER_DEMO_DIR:-$root/build/demo}
exec "$root/build/kiosk/shelterctl" demo --dir "$dir"
