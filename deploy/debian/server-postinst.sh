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
