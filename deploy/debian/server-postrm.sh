# The network edge: purge removes the nginx site and the TLS files (the
# city CA's key with them: kiosks enrolled with it must be enrolled again).
if [ "$1" = purge ]; then
  rm -f /etc/nginx/conf.d/shelter-checkin.conf
  rm -rf /etc/shelter-checkin/tls
  if [ -d /run/systemd/system ]; then invoke-rc.d nginx reload >/dev/null 2>&1 || true; fi
fi
