#!/bin/bash
# `apt install ./pkg.deb` on a fresh Debian 12: debootstrap a minimal
# bookworm into a throwaway folder (Debian's mirror is the one network this
# machine has), install the four packages there with apt, and check what
# their installation made: users, folders and modes, configs, enabled units,
# a server that starts from its packaged config behind the packaged nginx
# edge and serves the dashboard and /v1 over HTTPS only, a kiosk enrolling
# with the city CA pinned,
# the kiosk's programs; then remove and purge, and the data stays.
# Needs root. usage: test_install_chroot.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (chroot)"; exit 0; }
command -v debootstrap >/dev/null || { echo "FAIL debootstrap is missing (deploy/setup.sh installs it)"; exit 1; }
dir=$(mktemp -d /tmp/shelter-chroot.XXXXXX)
chmod 755 "$dir"  # the new system's / (services run as their own users in it)
# Whatever still runs inside the new system (nginx's workers, a server) is
# stopped before it goes: a process rooted there would outlive the test.
stop_rooted() {
  for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && kill -9 "${p#/proc/}" 2>/dev/null; done
  return 0
}
cleanup() { stop_rooted; umount "$dir/proc" 2>/dev/null; [ -n "${KEEP:-}" ] && { echo "kept $dir"; return; }; rm -rf --one-file-system "$dir"; }
trap cleanup EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
in_root() { chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || { echo "FAIL debootstrap: $(tail -3 "$dir.log")"; exit 1; }
rm -f "$dir.log"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
mkdir -p "$dir/tmp/debs"
(cd "$build" && cpack -G DEB -B "$dir/tmp/debs" >/dev/null 2>&1) || { echo "FAIL cpack"; exit 1; }
mount -t proc proc "$dir/proc"
log=$(in_root sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb' 2>&1)
check "apt installs the four packages on a fresh Debian 12 ($(tail -1 <<<"$log"))" '[ $? -eq 0 ] && in_root dpkg -s shelter-kiosk shelter-sync shelter-server shelterctl >/dev/null'
noise=$(grep -i -e warning -e error <<<"$log" | grep -v -e "Download is performed unsandboxed" -e "^debconf" \
        -e "invoke-rc.d: WARNING: No init system" || true)  # apt as root, and dependencies' (dbus, seatd) scripts in a chroot
check "no warnings from the maintainer scripts${noise:+: $noise}" '[ -z "$noise" ]'
check "users shelter-kiosk (in video) and shelter-server exist" \
  'in_root id shelter-kiosk | grep -q video && in_root id shelter-server >/dev/null'
mode() { in_root stat -c '%a %U %G' "$1"; }  # names from the new system's users
check "state folders are 0750 and their service's ($(mode /var/lib/shelter-kiosk), $(mode /var/lib/shelter-server))" \
  '[ "$(mode /var/lib/shelter-kiosk)" = "750 shelter-kiosk shelter-kiosk" ] && [ "$(mode /var/lib/shelter-server)" = "750 shelter-server shelter-server" ]'
check "configs are made from the defaults, readable by the service only ($(mode /etc/shelter-checkin/kiosk.toml))" \
  '[ "$(mode /etc/shelter-checkin/kiosk.toml)" = "640 root shelter-kiosk" ] && [ "$(mode /etc/shelter-checkin/sync.toml)" = "640 root shelter-kiosk" ] && [ "$(mode /etc/shelter-checkin/server.toml)" = "640 root shelter-server" ]'
check "units are enabled" \
  '[ -L "$dir/etc/systemd/system/multi-user.target.wants/shelter-server.service" ] && [ -L "$dir/etc/systemd/system/multi-user.target.wants/shelter-sync.service" ] && [ -L "$dir/etc/systemd/system/graphical.target.wants/shelter-kiosk.service" ]'
check "shelter-hub.service is installed, not enabled; its state folder is the server user's ($(mode /var/lib/shelter-hub))" \
  '[ -f "$dir/lib/systemd/system/shelter-hub.service" ] && [ ! -e "$dir/etc/systemd/system/multi-user.target.wants/shelter-hub.service" ] && [ "$(mode /var/lib/shelter-hub)" = "750 shelter-server shelter-server" ] && [ "$(mode /etc/shelter-checkin/hub.toml)" = "640 root shelter-server" ]'
check "the udev rule for the webcam is in place" '[ -f "$dir/lib/udev/rules.d/70-shelter-webcam.rules" ]'
check "a USB stick is mounted at the export folder: rule, unit and helper" '[ -f "$dir/lib/udev/rules.d/71-shelter-usb-stick.rules" ] && [ -f "$dir/lib/systemd/system/shelter-usb-stick@.service" ] && [ -x "$dir/usr/lib/shelter-checkin/usb-stick" ]'

# The edge: shelter-tls made a city CA and a certificate, nginx has the site.
check "the package made a city CA and a server certificate ($(mode /etc/shelter-checkin/tls/server.key))" \
  '[ -f "$dir/etc/shelter-checkin/tls/ca.pem" ] && [ "$(mode /etc/shelter-checkin/tls/server.key)" = "600 root root" ] && [ "$(mode /etc/shelter-checkin/tls/ca.key)" = "600 root root" ] && in_root openssl verify -CAfile /etc/shelter-checkin/tls/ca.pem /etc/shelter-checkin/tls/server.pem >/dev/null'
check "the nginx site is installed and nginx accepts the configuration" \
  '[ -f "$dir/etc/nginx/conf.d/shelter-checkin.conf" ] && in_root nginx -t -q'
check "the packaged server listens on loopback only" 'grep -q "^host = \"127.0.0.1\"" "$dir/etc/shelter-checkin/server.toml"'

# The server as its unit would run it (its user, its packaged config, on its
# packaged port), and nginx as the system would start it, but without the
# stock port-80 welcome site (not ours, and the port may be taken here).
chroot --userspec=shelter-server:shelter-server "$dir" /usr/bin/shelter-server --config /etc/shelter-checkin/server.toml \
  2>"$dir/tmp/server.log" &
server=$!
rm -f "$dir/etc/nginx/sites-enabled/default"
in_root nginx -g 'daemon off;' 2>"$dir/tmp/nginx.log" &
edge=$!
ca="$dir/etc/shelter-checkin/tls/ca.pem"
for _ in $(seq 100); do curl -sf --cacert "$ca" "https://localhost:8443/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
# Pages are read whole before grep: with pipefail, `curl | grep -q` fails
# whenever grep has matched and gone while curl still writes (seen 7 in 200).
get() { curl -sf --cacert "$ca" "https://localhost:8443$1"; }
check "the server answers over HTTPS, with the city CA" 'page=$(get /v1/health) && grep -q true <<<"$page"'
check "it serves the dashboard over HTTPS, with HSTS" \
  'page=$(get /) && grep -q "data-testid=\"signin\"" <<<"$page" && curl -sfI --cacert "$ca" https://localhost:8443/ | grep -qi "^strict-transport-security"'
check "a client without the city CA is refused" '! curl -sf https://localhost:8443/v1/health >/dev/null 2>&1'
check "plain HTTP to the HTTPS port is refused" \
  '[ "$(curl -s -o /dev/null -w "%{http_code}" http://localhost:8443/v1/health)" = 400 ]'
lan=$(hostname -I 2>/dev/null | awk "{print \$1}")
check "the server itself is not reachable across the network (${lan:-no address})" \
  '[ -z "$lan" ] || ! curl -s -m 3 "http://$lan:8470/v1/health" >/dev/null 2>&1'
code=$(chroot --userspec=shelter-server:shelter-server "$dir" /usr/bin/shelter-server --config /etc/shelter-checkin/server.toml \
  enrol-code --shelter chroot-01 --device chroot-01-a 2>/dev/null)
fp=$(in_root shelter-tls fingerprint)
check "a kiosk enrols over HTTPS, pinning the city CA's fingerprint" \
  'in_root sh -c "echo 246810 | shelterctl --db /var/lib/shelter-kiosk/kiosk.db enrol --shelter chroot-01 --device chroot-01-a --server https://127.0.0.1:8443 --code $code --lead Lead --ca-sha256 $fp --sync-config /etc/shelter-checkin/sync.toml" >/dev/null && grep -q "^ca-file" "$dir/etc/shelter-checkin/sync.toml"'
check "and its daemon syncs over HTTPS with that CA" 'chroot --userspec=shelter-kiosk:shelter-kiosk "$dir" /usr/bin/shelter-sync --config /etc/shelter-checkin/sync.toml --once >/dev/null 2>&1'
in_root nginx -s quit 2>/dev/null; wait "$edge" 2>/dev/null
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
stop_rooted
check "its database is private to it ($(mode /var/lib/shelter-server/server.db))" '[ "$(mode /var/lib/shelter-server/server.db)" = "600 shelter-server shelter-server" ]'
check "shelterctl and the kiosk run (--help)" 'in_root shelterctl --help >/dev/null && in_root shelter-kiosk --help >/dev/null && in_root shelter-sync --help >/dev/null'
check "the kiosk finds its packaged translations" '[ -f "$dir/usr/share/shelter-checkin/assets/i18n/ja.json" ] && grep -q "assets = \"/usr/share/shelter-checkin/assets\"" "$dir/etc/shelter-checkin/kiosk.toml"'

in_root apt-get purge -y -qq shelter-server shelter-sync shelter-kiosk shelterctl >/dev/null 2>&1
check "purge removes the packages and their configs, the nginx site and TLS files" \
  '! in_root dpkg -s shelter-server >/dev/null 2>&1 && [ ! -e "$dir/etc/shelter-checkin/server.toml" ] && [ ! -e "$dir/etc/nginx/conf.d/shelter-checkin.conf" ] && [ ! -e "$dir/etc/shelter-checkin/tls" ]'
check "purge never deletes evacuees' data" '[ -f "$dir/var/lib/shelter-server/server.db" ]'
echo "$fails failure(s)"
exit $((fails > 0))
