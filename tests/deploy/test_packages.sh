#!/bin/bash
# The Debian packages: built with CPack from this build, lintian-clean
# (no errors, no warnings), with what each must carry, maintainer scripts
# that parse, and systemd units that systemd-analyze accepts.
# usage: test_packages.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/shelter-debs.XXXXXX)
trap 'rm -rf "$out"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

(cd "$build" && cpack -G DEB -B "$out" >/dev/null) || { echo "FAIL cpack"; exit 1; }
debs=("$out"/*.deb)
check "four packages are built (${#debs[@]})" '[ ${#debs[@]} -eq 4 ]'
lint=$(lintian --fail-on error,warning "${debs[@]}" 2>&1 | grep -v 'running with root privileges')
check "lintian finds no error and no warning${lint:+: $lint}" '[ -z "$lint" ]'

declare -A listing
for p in shelter-kiosk shelter-sync shelter-server shelterctl; do listing[$p]=$(dpkg-deb -c "$out/$p"_*.deb); done
contains() { grep -q " \\./$2\$" <<<"${listing[$1]}"; }
for p in shelter-kiosk shelter-sync shelter-server shelterctl; do
  check "$p carries its program, manual page, copyright and changelog" \
    "contains $p usr/bin/$p && contains $p usr/share/man/man1/$p.1.gz && contains $p usr/share/doc/$p/copyright && contains $p usr/share/doc/$p/changelog.Debian.gz"
done
check "shelter-kiosk carries its unit, udev rule, translations and default config" \
  'contains shelter-kiosk lib/systemd/system/shelter-kiosk.service && contains shelter-kiosk lib/udev/rules.d/70-shelter-webcam.rules && contains shelter-kiosk usr/share/shelter-checkin/assets/i18n/ja.json && contains shelter-kiosk usr/share/shelter-checkin/defaults/kiosk.toml'
check "shelter-server carries its units, the dashboard, the nginx edges and shelter-tls" \
  'contains shelter-server lib/systemd/system/shelter-server.service && contains shelter-server lib/systemd/system/shelter-hub.service && contains shelter-server usr/share/shelter-checkin/nginx/shelter-hub.conf && contains shelter-server usr/share/shelter-checkin/defaults/hub.toml && contains shelter-server usr/share/doc/shelter-server/examples/hub.example.toml && contains shelter-server usr/share/shelter-checkin/assets/dashboard/index.html && contains shelter-server usr/share/shelter-checkin/assets/prereg/sw.js && contains shelter-server usr/lib/shelter-checkin/prereg-folder.sh && contains shelter-server usr/share/shelter-checkin/nginx/shelter-checkin.conf && contains shelter-server usr/sbin/shelter-tls && contains shelter-server usr/share/man/man8/shelter-tls.8.gz'
check "shelter-sync carries its unit and default config" \
  'contains shelter-sync lib/systemd/system/shelter-sync.service && contains shelter-sync usr/share/shelter-checkin/defaults/sync.toml'

for p in shelter-kiosk shelter-sync shelter-server; do
  ctl=$(mktemp -d "$out/ctl.XXXX")
  dpkg-deb -e "$out/$p"_*.deb "$ctl"
  check "$p maintainer scripts parse (sh -n)" "sh -n '$ctl/postinst' && sh -n '$ctl/prerm' && sh -n '$ctl/postrm'"
done
deps=$(dpkg-deb -f "$out"/shelter-kiosk_*.deb Depends)
check "shelter-kiosk depends on cage, cairo and the BIZ UD font ($deps)" '[[ "$deps" == *cage* && "$deps" == *libcairo2* && "$deps" == *fonts-morisawa-bizud-gothic* ]]'
ctl_deps=$(dpkg-deb -f "$out"/shelterctl_*.deb Depends)
check "shelterctl depends on cairo and the BIZ UD font for print ($ctl_deps)" '[[ "$ctl_deps" == *libcairo2* && "$ctl_deps" == *fonts-morisawa-bizud-gothic* ]]'
# The site's directives (its comments name the folders too).
hub_site=$(dpkg-deb --fsys-tarfile "$out"/shelter-server_*.deb | tar -xO ./usr/share/shelter-checkin/nginx/shelter-hub.conf |
  grep -v '^ *#')
check "the hub's nginx site uses the hub certificate and CA only" \
  '[ "$(grep -c /etc/shelter-checkin/hub-tls/ <<<"$hub_site")" -eq 3 ] && ! grep -q /etc/shelter-checkin/tls/ <<<"$hub_site"'
ctl=$(mktemp -d "$out/ctl.XXXX")
dpkg-deb -e "$out"/shelter-server_*.deb "$ctl"
check "shelter-hub.service is installed but not enabled by the package" \
  'grep -q "update-state shelter-hub.service" "$ctl/postinst" && ! grep -q "^ *for unit in .*shelter-hub" "$ctl/postinst"'
check "shelter-server and shelter-sync recommend avahi-daemon (hub discovery)" \
  '[[ "$(dpkg-deb -f "$out"/shelter-server_*.deb Recommends)" == *avahi-daemon* && "$(dpkg-deb -f "$out"/shelter-sync_*.deb Recommends)" == *avahi-daemon* ]]'
server_deps=$(dpkg-deb -f "$out"/shelter-server_*.deb Depends)
check "shelter-server depends on cairo and the BIZ UD font for card sheets ($server_deps)" '[[ "$server_deps" == *libcairo2* && "$server_deps" == *fonts-morisawa-bizud-gothic* ]]'

# Units: systemd-analyze checks every directive (the programs themselves
# are not installed here, so that one complaint is expected).
for u in shelter-kiosk shelter-sync shelter-server shelter-hub; do
  v=$(systemd-analyze verify "$root/deploy/systemd/$u.service" 2>&1 | grep -v -e 'is not executable: No such file' || true)
  check "systemd-analyze accepts $u.service${v:+: $v}" '[ -z "$v" ]'
done
for u in shelter-server shelter-hub; do
  hard=$(grep -c -E '^(ProtectSystem=strict|PrivateTmp=yes|NoNewPrivileges=yes|User=shelter-)' "$root/deploy/systemd/$u.service")
  check "$u.service runs hardened as its own user" '[ "$hard" -eq 4 ]'
  bounds=$(grep -c -E '^(MemoryMax=|TasksMax=)' "$root/deploy/systemd/$u.service")
  check "$u.service bounds its memory and tasks" '[ "$bounds" -eq 2 ]'
done
hub_unit=$(grep -c -E '^(ExecStartPre=-\+/usr/sbin/shelter-tls refresh|Environment=SHELTER_TLS_DIR=/etc/shelter-checkin/hub-tls|Wants=.*avahi-daemon.service|Conflicts=shelter-server.service)' "$root/deploy/systemd/shelter-hub.service")
check "shelter-hub.service refreshes the hub certificate, wants avahi-daemon, excludes the city server" '[ "$hub_unit" -eq 4 ]'
echo "$fails failure(s)"
exit $((fails > 0))
