#!/bin/bash
# Hub discovery over real mDNS (sync/discovery, docs/protocol.md "Shelter hubs"): a
# "shelter LAN" (veth) between a hub and a kiosk network namespace, each
# side with its own system bus (dbus-daemon) and avahi-daemon.
#   - `shelter-discovery publish` on the hub; `find` on the kiosk prints the
#     hub's URL (its address and port), device and CA fingerprint;
#   - a hub of another shelter is not returned (but is found for its own);
#   - a name collision (same daemon, and across the LAN) takes "... #N";
#   - avahi-daemon restarting on the hub: the publisher announces again;
#   - the kiosk's avahi-daemon killed: find exits 2 naming the sync.toml
#     fallback.
# Nothing leaves the namespaces: the script re-runs itself under
# `unshare --net --mount --pid` (private tmpfs on /run/dbus,
# /run/avahi-daemon and /run/netns); every process it starts is stopped at
# exit, and dies with the PID namespace anyway. Needs root, dbus-daemon,
# avahi-daemon and veth (skipped, exit 77, without them).
# usage: test_discovery.sh BUILD_DIR
set -u
if [ "${1:-}" != --inside ]; then
  build=$(cd "${1:?usage: test_discovery.sh BUILD_DIR}" && pwd)
  [ "$(id -u)" = 0 ] && command -v dbus-daemon >/dev/null && command -v avahi-daemon >/dev/null \
    && command -v unshare >/dev/null && command -v ip >/dev/null \
    || { echo "skip: needs root, dbus-daemon, avahi-daemon (deploy/packages.txt), unshare, ip"; exit 77; }
  unshare --net --mount true 2>/dev/null || { echo "skip: cannot make network and mount namespaces"; exit 77; }
  SHELTER_CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd -P)
  export SHELTER_CHECKOUT
  work=$(mktemp -d /tmp/shelter-discovery.XXXXXX)
  # When unshare goes (killed, or by `timeout`), --kill-child kills the
  # namespace's first process, and with it the kernel kills every process
  # in the namespace.
  timeout -k 5 45 unshare --net --mount --pid --fork --kill-child --mount-proc "$0" --inside "$build" "$work" &
  inside=$!
  trap 'kill -TERM $inside 2>/dev/null; wait $inside; rm -rf "$work"' EXIT
  trap 'exit 143' TERM INT
  wait $inside
  rc=$?
  [ $rc = 124 ] && echo "FAIL timed out after 45 s"
  exit $rc
fi

build=$2 work=$3
disco=$build/sync/shelter-discovery
[ -x "$disco" ] || { echo "FAIL no $disco (build shelter-discovery)"; exit 1; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
# wait_for FILE PATTERN: up to 10 s for PATTERN to appear in FILE.
wait_for() {
  for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2
  sed 's/^/  | /' "$1" >&2
  return 1
}
wait_for_count() {  # wait_for_count FILE PATTERN N: up to 10 s for N lines
  for _ in $(seq 100); do [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $3 x '$2' in $1:" >&2
  sed 's/^/  | /' "$1" >&2
  return 1
}
die() { echo "FAIL $*"; exit 1; }

# No way to the host's system bus or avahi-daemon, whatever a library tries.
for d in /run/dbus /run/avahi-daemon /run/netns; do
  mkdir -p "$d" && mount -t tmpfs -o mode=755 shelter-test "$d" || die "cannot mount a tmpfs on $d"
done

# The shelter LAN: the hub (this namespace) 10.77.0.1, the kiosk 10.77.0.2.
ip link set lo up
ip netns add kiosk || die "ip netns add"
ip link add shelter0 type veth peer name kiosk0 netns kiosk || die "no veth"
ip addr add 10.77.0.1/24 dev shelter0 && ip link set shelter0 up
ip netns exec kiosk sh -c 'ip link set lo up && ip addr add 10.77.0.2/24 dev kiosk0 && ip link set kiosk0 up'

# A system bus per side, allowing everything, with no service activation
# (so nothing but this test starts avahi-daemon).
cat >"$work/bus.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <!-- unused: each side's socket is given on the command line -->
  <listen>unix:path=/run/dbus/unused</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
for side in hub kiosk; do
  dbus-daemon --config-file="$work/bus.conf" --address="unix:path=$work/$side.bus" --nofork --nopidfile \
    >"$work/$side-dbus.log" 2>&1 &
  pids+=($!)
  cat >"$work/$side-avahi.conf" <<EOF
[server]
host-name=shelter-$side
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$([ $side = hub ] && echo shelter0 || echo kiosk0)
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=$([ $side = hub ] && echo yes || echo no)
publish-hinfo=no
publish-workstation=no
EOF
done
for side in hub kiosk; do
  for _ in $(seq 50); do [ -S "$work/$side.bus" ] && break; sleep 0.1; done
  [ -S "$work/$side.bus" ] || die "the $side's dbus-daemon did not start: $(cat "$work/$side-dbus.log")"
done
hub_env="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/hub.bus"
kiosk_env="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/kiosk.bus"
start_hub_avahi() {  # a fresh log, so that a restart is waited for anew
  env "$hub_env" avahi-daemon --no-drop-root --no-chroot -f "$work/hub-avahi.conf" >"$work/hub-avahi.log" 2>&1 &
  hub_avahi=$!
  pids+=($hub_avahi)
}
start_hub_avahi
# Its own /run/avahi-daemon (pid file, socket) in the kiosk's mount namespace.
ip netns exec kiosk sh -c 'mount -t tmpfs shelter-test /run/avahi-daemon && exec env "$1" avahi-daemon --no-drop-root --no-chroot -f "$2"' \
  sh "$kiosk_env" "$work/kiosk-avahi.conf" >"$work/kiosk-avahi.log" 2>&1 &
kiosk_avahi=$!
pids+=($kiosk_avahi)
wait_for "$work/hub-avahi.log" "Server startup complete" || die "the hub's avahi-daemon did not start"
wait_for "$work/kiosk-avahi.log" "Server startup complete" || die "the kiosk's avahi-daemon did not start"

ca=5f2b8c0e9d4a7b61c3e8f0a2d4b6c8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1
CA=$(echo "$ca" | tr a-f A-F | sed 's/../&:/g; s/:$//')
publish() {  # publish LOG ENV ARGS...
  local log=$1 envvar=$2
  shift 2
  env "$envvar" "$disco" publish "$@" >"$log" 2>&1 &
  pids+=($!)
  last_publisher=$!
}
publish "$work/pub-tama.log" "$hub_env" --shelter tama-01 --device hub-tama-01 --port 8443 --ca-sha256 "$ca"
tama=$last_publisher
publish "$work/pub-other.log" "$hub_env" --shelter other-02 --device hub-other-02 --port 9443 --ca-sha256 "$ca"
other=$last_publisher
wait_for "$work/pub-tama.log" "^published as Shelter hub tama-01$" || die "the hub was not published"
wait_for "$work/pub-other.log" "^published as Shelter hub other-02$" || die "the other shelter's hub was not published"

find_on_kiosk() {  # find_on_kiosk OUT SHELTER: exit code of find run on the kiosk
  ip netns exec kiosk env "$kiosk_env" "$disco" find --shelter "$2" --timeout-ms 5000 >"$1" 2>"$1.err"
}
find_on_kiosk "$work/find" tama-01
rc=$?
check "find on the kiosk: exit 0" '[ $rc = 0 ]'
check "the first line is the hub's URL, device and CA fingerprint" \
  'head -1 "$work/find" | grep -qx "https://10.77.0.1:8443 device=hub-tama-01 ca=$CA host=shelter-hub.local"'
check "a hub of another shelter is not returned" '! grep -q -e other-02 -e ":9443" "$work/find"'
check "every line is the tama-01 hub (IPv4, then any IPv6)" \
  '[ "$(grep -c "device=hub-tama-01 ca=$CA" "$work/find")" = "$(wc -l <"$work/find")" ]'
find_on_kiosk "$work/find-other" other-02
check "the other shelter's hub is found for its own shelter" \
  'head -1 "$work/find-other" | grep -q "^https://10.77.0.1:9443 device=hub-other-02 "'
find_on_kiosk "$work/find-none" nowhere-99
rc=$?
check "no hub of a shelter: exit 1, nothing printed" '[ $rc = 1 ] && [ ! -s "$work/find-none" ]'

# Collisions: the same name on the same daemon, and on another host.
publish "$work/pub-local2.log" "$hub_env" --shelter tama-01 --device hub-b --port 8443 --ca-sha256 "$ca"
local2=$last_publisher
check "a second hub on the same host takes the name '... #2'" \
  'wait_for "$work/pub-local2.log" "^published as Shelter hub tama-01 #2$"'
publish "$work/pub-lan.log" "$kiosk_env" --shelter tama-01 --device hub-c --port 8443 --ca-sha256 "$ca"
lan=$last_publisher
# Run in this namespace but through the kiosk's avahi-daemon, so on the
# kiosk's side of the LAN.
check "a hub across the LAN with a taken name takes '... #N'" \
  'wait_for "$work/pub-lan.log" "^published as Shelter hub tama-01 #[0-9]$"'
kill -TERM "$local2" "$lan"
wait "$local2" "$lan" 2>/dev/null

# avahi-daemon restarts on the hub: the publisher waits, then announces again.
kill -TERM "$hub_avahi"
wait "$hub_avahi" 2>/dev/null
check "the publisher waits for avahi-daemon when it is gone" \
  'wait_for "$work/pub-tama.log" "^waiting for avahi-daemon"'
start_hub_avahi
wait_for "$work/hub-avahi.log" "Server startup complete" || die "the hub's avahi-daemon did not restart"
check "and publishes again when it is back" \
  'wait_for_count "$work/pub-tama.log" "^published as Shelter hub tama-01$" 2'
find_on_kiosk "$work/find-again" tama-01
check "the kiosk finds the hub again" 'head -1 "$work/find-again" | grep -q "^https://10.77.0.1:8443 device=hub-tama-01 "'

# The publisher stops on SIGTERM, withdrawing the service.
kill -TERM "$other"
wait "$other"
rc=$?
check "publish stops on SIGTERM with exit 0" '[ $rc = 0 ] && tail -1 "$work/pub-other.log" | grep -qx stopped'

# Without avahi-daemon on the kiosk: exit 2 and the fallback named.
kill -TERM "$kiosk_avahi"
wait "$kiosk_avahi" 2>/dev/null
find_on_kiosk "$work/find-down" tama-01
rc=$?
check "find without avahi-daemon: exit 2" '[ $rc = 2 ]'
check "and the message names the sync.toml fallback" \
  'grep -qF "set hub = \"https://ADDR:8443\" in sync.toml" "$work/find-down.err"'
[ $fail = 0 ] || for f in "$work"/*.log "$work"/find*; do echo "--- $f"; cat "$f"; done
exit $fail
