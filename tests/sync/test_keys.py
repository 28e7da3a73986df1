#!/usr/bin/env python3
"""Signing keys with real processes on loopback: enrolment sends each
kiosk's public key, GET /v1/keys gives every kiosk the list, so a pass
printed at shelter A verifies offline at shelter B; the city's card key;
revoked and unknown keys are refused; the sync token and the secret key live
beside the database, never in it (nor in its backups).

usage: test_keys.py BUILD_DIR   (SHELTER_PG_URL: on PostgreSQL instead)
"""
import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, get_json, secrets_of, start_server, token_of, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
PG = os.environ.get("SHELTER_PG_URL", "")
STORE_ARGS = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]


def ctl(db, *args, ok=True):
    r = subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise SystemExit(f"shelterctl {args}: {r.stderr}")
    return r


def server_cli(*args):
    r = subprocess.run([SERVER, *STORE_ARGS, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"shelter-server {args}: {r.stderr}")
    return r.stdout.strip()


def sync(db):
    return subprocess.run([SYNC, "--db", db, "--server", URL, "--once"], capture_output=True, text=True)


def kiosk(name, shelter, enrol=True):
    db = os.path.join(work, name + ".db")
    ctl(db, "init", "--shelter", shelter, "--device", name)
    if enrol:
        code = server_cli("enrol-code", "--shelter", shelter, "--device", name)
        r = subprocess.run([SYNC, "--db", db, "--server", URL, "--enrol", code], capture_output=True, text=True)
        check(r.returncode == 0, f"{name} enrols: {r.stderr.strip()}")
    return db


def get(path, token):
    return get_json(URL, path, token)


def sql(db, query):
    return subprocess.run(["sqlite3", db, query], capture_output=True, text=True).stdout.strip()


def walk_in(db, name):
    ctl(db, "checkin", "--name", name, "--birth", "1970")
    return json.loads(ctl(db, "list", "--json").stdout)[-1]["id"]


server = start_server(SERVER, STORE_ARGS, PORT, os.path.join(work, "server.log"))
a = kiosk("tama-01-a", "tama-01")
b = kiosk("tama-02-a", "tama-02")

# ---- secrets beside the database, never in it --------------------------------
secret_file = a + ".secret"
sec = secrets_of(a)
check(sec.get("sync_token") and sec.get("device_key", {}).get("key_id"), "the token and the device key are in the file")
check(stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600, "the secrets file is mode 0600")
check(sql(a, "SELECT count(*) FROM meta WHERE key = 'sync_token'") == "0", "the database holds no token")
a_key = sec["device_key"]["key_id"]

# ---- GET /v1/keys ------------------------------------------------------------
code, body = get("/v1/keys", token_of(a))
keys = {k["key_id"]: k for k in body.get("keys", [])} if code == 200 else {}
check(code == 200 and a_key in keys and keys[a_key]["device"] == "tama-01-a" and keys[a_key]["shelter"] == "tama-01"
      and keys[a_key]["key"] == sec["device_key"]["public_key"] and keys[a_key]["revoked"] is False,
      f"a kiosk gets every device's public key: {code} {list(keys)}")
check(secrets_of(b)["device_key"]["key_id"] in keys, "the other shelter's kiosk's key too")
hq = server_cli("add-user", "--name", "hq", "--role", "roster")
check(get("/v1/keys", hq)[0] == 403 and get("/v1/keys", None)[0] == 401, "kiosks only; none without a token")

# ---- a pass from shelter A verifies offline at shelter B ----------------------
person = walk_in(a, "Moving person")
pass_a = ctl(a, "pass", person).stdout.strip()
for db in (a, b):
    r = sync(db)
    check(r.returncode == 0, f"sync {os.path.basename(db)}: {r.stderr.strip()[-80:]}")
check(sql(b, "SELECT count(*) FROM trusted_key WHERE device_id = 'tama-01-a' AND revoked = 0") == "1",
      "the daemon keeps the key list in the kiosk's store")
server.terminate()
server.wait()
r = ctl(b, "scan", pass_a, ok=False)
check(r.returncode == 0 and "Arrived" in r.stdout, f"with the server down, B accepts A's pass: {r.stdout}{r.stderr}")
server = start_server(SERVER, STORE_ARGS, PORT, os.path.join(work, "server.log"))

# ---- unknown, tampered and revoked keys ---------------------------------------
stranger = kiosk("tama-05-x", "tama-05", enrol=False)  # never enrolled: its key is nobody's
pass_x = ctl(stranger, "pass", walk_in(stranger, "Nobody")).stdout.strip()
before = sql(b, "SELECT count(*) FROM event")
r = ctl(b, "scan", pass_x, ok=False)
check(r.returncode == 1 and "unknown" in r.stderr, f"a pass signed by an unknown key is refused: {r.stderr.strip()}")
check(sql(b, "SELECT count(*) FROM event") == before, "and writes nothing")

lost = kiosk("tama-09-a", "tama-09")
pass_lost = ctl(lost, "pass", walk_in(lost, "Lost tablet person")).stdout.strip()
check(sync(lost).returncode == 0 and sync(b).returncode == 0, "the tablet's key reaches B")
check(ctl(b, "scan", pass_lost, ok=False).returncode == 0, "B accepts its pass while it is trusted")
out = server_cli("revoke", "--device", "tama-09-a")
check(out.startswith("Revoked 2 "), f"revoke --device: its token and its key: {out}")
check(sync(b).returncode == 0, "B syncs")
r = ctl(b, "scan", pass_lost, ok=False)
check(r.returncode == 1 and "revoked" in r.stderr, f"after the revocation B refuses its passes: {r.stderr.strip()}")
check(sql(b, "SELECT revoked FROM trusted_key WHERE device_id = 'tama-09-a'") == "1", "B's list says revoked")
# A replacement tablet under the same id gets a new key; the old stays revoked.
new = os.path.join(work, "tama-09-a-new.db")
ctl(new, "init", "--shelter", "tama-09", "--device", "tama-09-a")
code = server_cli("enrol-code", "--shelter", "tama-09", "--device", "tama-09-a")
check(subprocess.run([SYNC, "--db", new, "--server", URL, "--enrol", code], capture_output=True).returncode == 0,
      "a replacement enrols")
code, body = get("/v1/keys", token_of(b))
mine = [k for k in body["keys"] if k.get("device") == "tama-09-a"]
check(sorted(k["revoked"] for k in mine) == [False, True]
      and [k for k in mine if not k["revoked"]][0]["key_id"] == secrets_of(new)["device_key"]["key_id"],
      f"re-enrolling replaces the device's key, the lost one kept revoked: {mine}")

# ---- the city's card key ------------------------------------------------------
card_key = os.path.join(work, "city-card.key")
out = server_cli("card-key", "--out", card_key)
check(out.startswith("Card key ") and stat.S_IMODE(os.stat(card_key).st_mode) == 0o600,
      f"card-key writes the secret key file, mode 0600: {out}")
r = subprocess.run([SERVER, *STORE_ARGS, "card-key", "--out", card_key], capture_output=True, text=True)
check(r.returncode == 1 and "exists" in r.stderr, f"and never overwrites one by accident: {r.stderr.strip()}")
card_id = json.load(open(card_key))["key_id"]
residents = os.path.join(work, "residents.csv")
open(residents, "w").write("household,name,birth\n1,Card Person,1950\n")
made = ctl(a, "make-card", residents, "--out", os.path.join(work, "signed"), "--card-key", card_key)
check(f"signed with card key {card_id}" in made.stdout, f"make-card signs with the card key: {made.stdout.strip()}")
ctl(a, "make-card", residents, "--out", os.path.join(work, "plain"))
r = ctl(a, "make-card", residents, "--out", os.path.join(work, "x"), "--card-key", secret_file, ok=False)
check(r.returncode == 1 and "card-key" in r.stderr, f"a file that is not a card key is refused: {r.stderr.strip()}")
check(sync(b).returncode == 0, "B syncs the card key")
code, body = get("/v1/keys", token_of(b))
check(any(k["kind"] == "card" and k["key_id"] == card_id and not k["revoked"] for k in body["keys"]),
      "the card key is in the list")
signed_png = os.path.join(work, "signed", "household-1.png")
r = ctl(b, "decode", signed_png)
check(f"signed by the city (card key {card_id})" in r.stderr, f"decode reports the city's signature: {r.stderr.strip()}")
r = ctl(b, "decode", os.path.join(work, "plain", "household-1.png"))
check("not signed by the city" in r.stderr, f"and an unsigned card: {r.stderr.strip()}")
r = ctl(b, "import-card", signed_png)
check("Card signed by the city" in r.stdout and "Checked in 1" in r.stdout, f"import-card says so too: {r.stdout}")
check(server_cli("revoke", "--key", card_id).startswith("Revoked key"), "a card key can be revoked")
check(sync(b).returncode == 0, "B syncs")
r = ctl(b, "decode", signed_png)
check("revoked card key" in r.stderr, f"a card signed by a revoked key reads as unsigned: {r.stderr.strip()}")

# ---- backups carry no secret ---------------------------------------------------
backups = os.path.join(work, "backups")
ctl(a, "backup", backups)
data = open(os.path.join(backups, os.listdir(backups)[0]), "rb").read()
check(token_of(a).encode() not in data and sec["device_key"]["seed"].encode() not in data
      and bytes.fromhex(sec["device_key"]["seed"]) not in data, "a backup holds neither the token nor the secret key")

server.terminate()
server.wait()
finish()
