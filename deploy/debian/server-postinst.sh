# The network edge (shelter-server only): a city CA and server certificate
# unless one is there (shelter-tls), and the nginx site in front of the
# server, which listens on loopback only (docs/operations.md, "TLS").
if [ "$1" = configure ]; then
  if ! shelter-tls init >/dev/null; then
    echo "shelter-server: could not make a TLS certificate; run shelter-tls init (docs/operations.md)" >&2
  fi
  if [ -d /etc/nginx/conf.d ] && [ ! -e /etc/nginx/conf.d/shelter-checkin.conf ]; then
    install -m 0644 /usr/share/shelter-checkin/nginx/shelter-checkin.conf /etc/nginx/conf.d/shelter-checkin.conf
  fi
  if [ -d /run/systemd/system ] && nginx -t -q 2>/dev/null; then
    invoke-rc.d nginx reload >/dev/null 2>&1 || true
  fi
fi
# The shelter hub role: its state folder, and shelter-hub.service installed
# but not enabled (staff enable it after hub-setup; as dh_installsystemd
# --no-enable does). An upgrade restarts it only where it runs.
if [ "$1" = configure ]; then
  install -d -o shelter-server -g shelter-server -m 0750 /var/lib/shelter-hub
fi
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
  if deb-systemd-helper debian-installed shelter-hub.service; then
    deb-systemd-helper unmask shelter-hub.service >/dev/null || true
    if deb-systemd-helper --quiet was-enabled shelter-hub.service; then
      deb-systemd-helper enable shelter-hub.service >/dev/null || true
    fi
  fi
  deb-systemd-helper update-state shelter-hub.service >/dev/null || true
  if [ -d /run/systemd/system ]; then deb-systemd-invoke try-restart shelter-hub.service >/dev/null || true; fi
fi
