# The network edge: purge removes the nginx site and the TLS files (the
# city or hub CA's key with them: kiosks enrolled with it must be enrolled
# again).
if [ "$1" = remove ]; then deb-systemd-helper mask shelter-hub.service >/dev/null || true; fi
if [ "$1" = purge ]; then
  deb-systemd-helper purge shelter-hub.service >/dev/null || true
  deb-systemd-helper unmask shelter-hub.service >/dev/null || true
  rm -f /etc/nginx/conf.d/shelter-checkin.conf
  rm -rf /etc/shelter-checkin/tls /etc/shelter-checkin/hub-tls
  if [ -d /run/systemd/system ]; then invoke-rc.d nginx reload >/dev/null 2>&1 || true; fi
fi
