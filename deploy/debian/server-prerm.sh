# The shelter hub's unit (not in the package's enabled units).
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  deb-systemd-invoke stop shelter-hub.service >/dev/null || true
fi
