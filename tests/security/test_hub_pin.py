#!/usr/bin/env python3
"""The shelter hub's identity, attacked (issue 25; docs/protocol.md "Shelter
hubs"): a hub behind the packaged nginx edge with its own CA, a kiosk that
pins that CA at enrolment, and a rogue box on the same network with a CA
of its own, posing as the shelter's hub.

- `shelterctl enrol --hub --ca-sha256` with the hub's fingerprint enrols
  and the kiosk syncs over HTTPS; the hub relays to the city;
- a wrong fingerprint enrols nothing and leaves no hub token;
- the rogue hub gets nothing: shelter-sync refuses its certificate, no
  token reaches it and nothing is pushed to it; the kiosk still reaches
  the real hub afterwards;
- `--hub auto` without the pinned CA is refused; with it, and no hub on
  the network, the kiosk says so on its staff screen (meta) and syncs with
  the city directly when it holds a city token.
- the hubs' routes at the city refuse a kiosk's token (403).

Needs nginx and openssl. One line per check; exit 1 on a FAIL.

usage: test_hub_pin.py BUILD_DIR
"""
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
sys.path.insert(0, HERE)
from harness import binaries, check, finish, free_port, secrets_of, work  # noqa: E402
import edge  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
if not os.path.exists(edge.NGINX):
    raise SystemExit(f"{edge.NGINX} is missing (apt install nginx-light)")
PIN = "246813\n"


def server_cli(db, *args):
    r = subprocess.run([SERVER, "--db", db, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"shelter-server {args}: {r.stderr}")
    return r.stdout.strip()


def ctl(db, *args, stdin=None):
    return subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True, input=stdin, timeout=60)


def sync(db, *args):
    return subprocess.run([SYNC, "--db", db, "--once", *args], capture_output=True, text=True, timeout=60)


def events(db, device):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM event WHERE device_id = ?", (device,)).fetchone()[0]


def meta(db, key):
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""


def wait_for(what, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if what():
            return True
        time.sleep(0.2)
    return False


# The city (loopback, plain HTTP: the hub's link), and the hub behind its edge.
CITY_DB, CITY_PORT = os.path.join(work, "city.db"), free_port()
city = edge.start_server(SERVER, ["--db", CITY_DB], CITY_PORT, os.path.join(work, "city.log"))
CITY = f"http://127.0.0.1:{CITY_PORT}"
HUB_DB, HUB_PORT = os.path.join(work, "hub.db"), free_port()
hub_code = server_cli(CITY_DB, "enrol-code", "--shelter", "tama-01", "--device", "tama-01-hub", "--hub")
server_cli(HUB_DB, "hub-setup", "--shelter", "tama-01", "--device", "tama-01-hub", "--city", CITY, "--code", hub_code)
HUB_LOG = os.path.join(work, "hub.log")
hub = edge.start_server(SERVER, ["--db", HUB_DB, "--relay-interval", "1"], HUB_PORT, HUB_LOG)
HUB_TLS = edge.make_tls(os.path.join(work, "hub-tls"))
HUB_EDGE = edge.Edge(HUB_TLS, free_port(), HUB_PORT, prefix=os.path.join(work, "hub-nginx"))
HUB_FP = edge.fingerprint(HUB_TLS)

# --- enrolment pins the hub's CA -------------------------------------------------------
KIOSK = os.path.join(work, "kiosk.db")
SYNC_TOML = os.path.join(work, "sync.toml")
open(SYNC_TOML, "w").close()
wrong = HUB_FP[:-2] + ("00" if not HUB_FP.endswith("00") else "11")
code = server_cli(HUB_DB, "enrol-code", "--shelter", "tama-01", "--device", "tama-01-a")
r = ctl(KIOSK, "enrol", "--hub", "--server", HUB_EDGE.url(), "--code", code, "--shelter", "tama-01", "--device",
        "tama-01-a", "--lead", "sato", "--ca-sha256", wrong, stdin=PIN)
check(r.returncode != 0 and not secrets_of(KIOSK).get("hub_token"),
      f"a wrong hub fingerprint enrols nothing: exit {r.returncode}: {r.stderr.strip()[:100]}")
r = ctl(KIOSK, "enrol", "--hub", "--server", HUB_EDGE.url(), "--code", code, "--shelter", "tama-01", "--device",
        "tama-01-a", "--lead", "sato", "--ca-sha256", HUB_FP, "--sync-config", SYNC_TOML, stdin=PIN)
check(r.returncode == 0 and secrets_of(KIOSK).get("hub_token") and not secrets_of(KIOSK).get("sync_token"),
      f"enrolled with the hub, its CA pinned by fingerprint: {r.stdout.strip()[:100]}{r.stderr.strip()[:100]}")
toml = open(SYNC_TOML).read()
HUB_CA = os.path.join(work, "hub-ca.pem")
check(f'hub = "{HUB_EDGE.url()}"' in toml and "hub-ca-file" in toml and os.path.exists(HUB_CA),
      "the sync config names the hub and its pinned CA")
ctl(KIOSK, "checkin", "--name", "多摩 一郎", "--birth", "1950")
r = subprocess.run([SYNC, "--config", SYNC_TOML, "--once"], capture_output=True, text=True, timeout=60)
check(r.returncode == 0 and events(HUB_DB, "tama-01-a") == 2, f"the kiosk syncs with the hub over HTTPS: {r.stderr[:120]}")
check(wait_for(lambda: events(CITY_DB, "tama-01-a") == 2), "the hub relays the check-in to the city")

# --- a rogue hub on the same network ---------------------------------------------------
ROGUE_DB, ROGUE_PORT = os.path.join(work, "rogue.db"), free_port()
server_cli(ROGUE_DB, "hub-setup", "--shelter", "tama-01", "--device", "tama-01-hub")
ROGUE_LOG = os.path.join(work, "rogue.log")
rogue = edge.start_server(SERVER, ["--db", ROGUE_DB], ROGUE_PORT, ROGUE_LOG)
ROGUE_TLS = edge.make_tls(os.path.join(work, "rogue-tls"))
ROGUE_EDGE = edge.Edge(ROGUE_TLS, free_port(), ROGUE_PORT, prefix=os.path.join(work, "rogue-nginx"))
ctl(KIOSK, "checkin", "--name", "多摩 二郎", "--birth", "1951")
r = sync(KIOSK, "--server", CITY, "--hub", ROGUE_EDGE.url(), "--hub-ca-file", HUB_CA)
check(r.returncode != 0 and "hub's certificate is not signed by the hub CA" in r.stderr,
      f"the kiosk refuses the rogue hub's certificate: exit {r.returncode}: {r.stderr.strip()[:120]}")
access = open(ROGUE_EDGE.access_log).read() if os.path.exists(ROGUE_EDGE.access_log) else ""
check(events(ROGUE_DB, "tama-01-a") == 0 and "/v1/" not in access,
      "no request, no token and no event reached the rogue hub")
check("hub" in meta(KIOSK, "hub_sync_state") or "certificate" in meta(KIOSK, "hub_sync_state"),
      f"the staff screen's hub line says why: {meta(KIOSK, 'hub_sync_state')[:100]}")
r = subprocess.run([SYNC, "--config", SYNC_TOML, "--once"], capture_output=True, text=True, timeout=60)
check(r.returncode == 0 and events(HUB_DB, "tama-01-a") == 4, "the real hub gets the check-in afterwards")
ROGUE_EDGE.stop()

# --- hub = auto --------------------------------------------------------------------------
r = sync(KIOSK, "--server", CITY, "--hub", "auto")
check(r.returncode != 0 and "hub-ca-file" in r.stderr, f"--hub auto without a pinned CA is refused: {r.stderr[:100]}")
city_code = server_cli(CITY_DB, "enrol-code", "--shelter", "tama-01", "--device", "tama-01-a")
r = ctl(KIOSK, "enrol", "--server", CITY, "--code", city_code, "--shelter", "tama-01", "--device", "tama-01-a",
        "--lead", "sato", stdin=PIN)
check(r.returncode == 0 and secrets_of(KIOSK).get("sync_token") and secrets_of(KIOSK).get("hub_token"),
      "the same kiosk also enrolled with the city: both tokens kept")
wait_for(lambda: events(CITY_DB, "tama-01-a") == events(HUB_DB, "tama-01-a"))  # the hub's relay is done
ctl(KIOSK, "checkin", "--name", "多摩 三郎", "--birth", "1952")
before = events(CITY_DB, "tama-01-a")
r = sync(KIOSK, "--server", CITY, "--hub", "auto", "--hub-ca-file", HUB_CA)
check(r.returncode == 0 and events(CITY_DB, "tama-01-a") == before + 2,
      f"no hub found on the network: the kiosk syncs with the city directly: {r.stderr.strip()[-120:]}")
check("error" in meta(KIOSK, "hub_sync_state"), f"and says the hub was not found: {meta(KIOSK, 'hub_sync_state')[:110]}")
check(wait_for(lambda: events(HUB_DB, "tama-01-a") == events(CITY_DB, "tama-01-a")),
      "the hub learns that check-in from the city's feed")

# --- the hubs' routes at the city ---------------------------------------------------------
for method, path in (("POST", "/v1/hub/report"), ("GET", "/v1/hub/volunteers")):
    req = urllib.request.Request(CITY + path, method=method, data=b'{"v":1,"kiosks":[]}' if method == "POST" else None,
                                 headers={"Authorization": "Bearer " + secrets_of(KIOSK)["sync_token"]})
    try:
        status = urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    check(status == 403, f"{method} {path} with a kiosk's token at the city: {status}")

HUB_EDGE.stop()
for p in (rogue, hub, city):
    p.terminate()
    p.wait()
finish()
