#!/usr/bin/env python3
"""Sync with real processes on loopback: shelter-server, shelter-sync and
kiosk databases made by shelterctl. Two kiosks at one shelter and one at
another; a server that goes away and comes back; a batch sent twice;
malformed requests. Afterwards every kiosk agrees with the server.

usage: test_sync.py BUILD_DIR
"""
import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, get_json, start_server as start, token_of, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
# SHELTER_PG_URL: run everything against the PostgreSQL backend instead.
PG = os.environ.get("SHELTER_PG_URL", "")
STORE_ARGS = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
# Headquarters' box key: kiosks seal USB exports and backups to it (they get
# it with their enrolment); the server opens them with the secret file.
HQ_KEY = os.path.join(work, "hq.key")
subprocess.run([SERVER, *STORE_ARGS, "hq-key", "--out", HQ_KEY], check=True, capture_output=True)
STORE_ARGS = STORE_ARGS + ["--hq-key", HQ_KEY]


def start_server():
    return start(SERVER, STORE_ARGS, PORT, os.path.join(work, "server.log"))


def ctl(db, *args):
    r = subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"shelterctl {args}: {r.stderr}")
    return r.stdout


def sync(db):
    r = subprocess.run([SYNC, "--db", db, "--server", URL, "--once", "--batch", "7"], capture_output=True, text=True)
    return r.returncode, r.stderr


def server_cli(*args):
    r = subprocess.run([SERVER, *STORE_ARGS, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"shelter-server {args}: {r.stderr}")
    return r.stdout.strip()


def kiosk(name, shelter):
    db = os.path.join(work, name + ".db")
    ctl(db, "init", "--shelter", shelter, "--device", name)
    code = server_cli("enrol-code", "--shelter", shelter, "--device", name)
    r = subprocess.run([SYNC, "--db", db, "--server", URL, "--enrol", code], capture_output=True, text=True)
    check(r.returncode == 0, f"{name} enrols with a one-time code")
    r = subprocess.run([SYNC, "--db", db, "--server", URL, "--enrol", code], capture_output=True, text=True)
    check(r.returncode == 1 and "already used" in r.stderr, f"the code cannot be used twice: {r.stderr.strip()}")
    return db


def get(path, token):
    return get_json(URL, path, token)


def status_of(path, token):
    """The HTTP status alone (downloads are not JSON)."""
    req = urllib.request.Request(URL + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def counts(db, shelter):
    return json.loads(ctl(db, "counts", "--shelter", shelter, "--json"))


HQ = None


def server_counts(shelter):
    code, body = get(f"/v1/counts?shelter={shelter}", HQ)
    assert code == 200, body
    return body[0]


def strip(c):
    return {k: v for k, v in c.items() if k != "shelter"}


server = start_server()
HQ = server_cli("add-user", "--name", "hq-counts", "--role", "counts")
# Every answer, the dashboard's pages and the API's, refuses framing and
# asks browsers for HTTPS from then on.
for path in ("/", "/v1/health"):
    with urllib.request.urlopen(URL + path) as r:
        csp, hsts = r.headers.get("Content-Security-Policy", ""), r.headers.get("Strict-Transport-Security", "")
        check("frame-ancestors 'none'" in csp and r.headers.get("X-Frame-Options") == "DENY" and "max-age=" in hsts,
              f"{path} is never framed and asks for HTTPS: {csp!r} {hsts!r}")
SEARCHER = server_cli("add-user", "--name", "hq-safety", "--role", "search")
a1, a2, b1 = kiosk("tama-01-a", "tama-01"), kiosk("tama-01-b", "tama-01"), kiosk("tama-02-a", "tama-02")
for i in range(10):
    ctl(a1, "checkin", "--name", f"A1 person {i}", "--birth", str(1950 + i), "--sex", "F")
for i in range(6):
    ctl(a2, "checkin", "--name", f"A2 person {i}", "--birth", str(1980 + i), "--sex", "M", "--stay", "car")
for i in range(4):
    ctl(b1, "checkin", "--name", f"B1 person {i}", "--birth", "2020", "--needs", "infant", *(["--consent"] if i < 2 else []))
for db in (a1, a2, b1, a1):
    rc, err = sync(db)
    check(rc == 0, f"sync {os.path.basename(db)}: {err.strip()}")

check(server_counts("tama-01")["present"] == 16, "server counts 16 at tama-01")
check(server_counts("tama-02")["present"] == 4, "server counts 4 at tama-02")
check(strip(counts(a1, "tama-01")) == strip(server_counts("tama-01")), "kiosk A1 agrees with the server")
rc, _ = sync(a2)  # A2 synced before A1's last round: one more to catch up
check(strip(counts(a2, "tama-01")) == strip(server_counts("tama-01")), "kiosk A2 agrees with the server")
check("A2 person" not in ctl(b1, "list", "--all"), "shelter B does not receive shelter A's people")

# Someone leaves shelter A; the other kiosk at A learns it through the server.
person = json.loads(ctl(a1, "list", "--json"))[0]["id"]
ctl(a1, "leave", person)

# The server goes away: kiosks keep working, sync fails and says so.
server.kill()
server.wait()
ctl(a1, "checkin", "--name", "During outage", "--birth", "1990")
rc, err = sync(a1)
check(rc == 1, "sync fails while the server is down")
state = subprocess.run(["sqlite3", a1, "SELECT value FROM meta WHERE key='sync_state'"], capture_output=True, text=True).stdout
check(state.startswith("error"), f"the failure is recorded for staff mode: {state.strip()[:80]}")
server = start_server()
for db in (a1, a2, b1, a1, a2):
    rc, err = sync(db)
    check(rc == 0, f"after the outage, sync {os.path.basename(db)}")
check(server_counts("tama-01")["present"] == 16, "the outage arrival and the departure are both counted (16)")
left = [p for p in json.loads(ctl(a2, "list", "--json")) if p["id"] == person]
check(len(left) == 1 and left[0]["presence"] == "left", "kiosk A2 sees that the person left")
check(strip(counts(a2, "tama-01")) == strip(server_counts("tama-01")), "kiosk A2 agrees after the outage")

# The same batch twice: the cursor is reset, everything is sent again.
subprocess.run(["sqlite3", a1, "UPDATE meta SET value='0' WHERE key='sync_pushed_seq'"], check=True)
rc, err = sync(a1)
check(rc == 0, "a batch sent again is accepted")
check(server_counts("tama-01")["present"] == 16, "and changes nothing")

# Credentials: none, wrong, another shelter's, the wrong role.
a1_token = token_of(a1)
code, body = get("/v1/counts", None)
check(code == 401 and "missing credentials" in body.get("error", ""), f"no token: {code} {body}")
code, body = get("/v1/counts", "0" * 64)
check(code == 401 and "unknown credentials" in body.get("error", ""), f"a wrong token: {code} {body}")
code, body = get("/v1/pull?shelter=tama-02", a1_token)
check(code == 403, f"a kiosk cannot read another shelter: {code} {body}")
code, body = get("/v1/search?q=B1", HQ)
check(code == 403, f"the counts role cannot search: {code}")
code, body = get("/v1/search?q=" + urllib.parse.quote("B1 person"), SEARCHER)
check(code == 200 and len(body) == 2 and all("B1 person" in p["name"] for p in body),
      f"安否 search finds only the two who consented: {body}")
check(code == 200 and all(set(p) == {"name", "reading", "age_band", "shelter", "shelter_name", "presence"} for p in body),
      f"and a search account sees no ids: {body[:1]}")
code, body = get("/v1/search?q=B1", SEARCHER)
check(code == 400 and "name the person" in body.get("error", ""), f"a search too broad is refused: {code} {body}")
code, body = get("/v1/devices", HQ)
seen = {d["device"]: d for d in body.get("devices", [])} if code == 200 else {}
check(code == 200 and {"tama-01-a", "tama-01-b", "tama-02-a"} <= set(seen)
      and all(d["last_push"] and d["last_pull"] and abs(d["clock_skew_ms"]) < 5000 for d in seen.values()),
      f"headquarters sees when each kiosk last pushed and pulled, and its clock: {code} {list(seen)}")
code, body = get("/v1/devices", a1_token)
check(code == 403, f"a kiosk cannot list devices: {code}")
log = open(os.path.join(work, "server.log")).read()
check("refused (401)" in log and "refused (403)" in log, "refusals are in the server's log")

# A lost tablet: revoked, its token is refused; a replacement enrolled under
# the same id works, and enrolling again shuts out the previous token too.
lost = kiosk("tama-09-a", "tama-09")
ctl(lost, "checkin", "--name", "Lost tablet person", "--birth", "1960")
check(sync(lost)[0] == 0, "the tablet syncs before it is lost")


lost_token = token_of(lost)
out = server_cli("revoke", "--device", "tama-09-a")
check(out.startswith("Revoked 2 "), f"shelter-server revoke --device (its token and its signing key): {out}")
code, body = get("/v1/pull?shelter=tama-09", lost_token)
check(code == 401, f"the revoked tablet's token is refused: {code} {body}")
rc, err = sync(lost)
check(rc == 1 and "401" in err and "unknown credentials" in err, f"and its daemon says why: {err.strip()[-90:]}")
replacement = os.path.join(work, "tama-09-a-new.db")
ctl(replacement, "init", "--shelter", "tama-09", "--device", "tama-09-a")
code1 = server_cli("enrol-code", "--shelter", "tama-09", "--device", "tama-09-a")
subprocess.run([SYNC, "--db", replacement, "--server", URL, "--enrol", code1], capture_output=True, check=True)
first_token = token_of(replacement)
ctl(replacement, "checkin", "--name", "Replacement tablet person", "--birth", "1961")  # before any pull
rc, err = sync(replacement)
check(rc == 0 and server_counts("tama-09")["present"] == 2,
      f"the replacement checks in at once, its events numbered after the lost tablet's: {err.strip()[-60:]}")
code2 = server_cli("enrol-code", "--shelter", "tama-09", "--device", "tama-09-a")
subprocess.run([SYNC, "--db", replacement, "--server", URL, "--enrol", code2], capture_output=True, check=True)
check(get("/v1/pull?shelter=tama-09", first_token)[0] == 401 and sync(replacement)[0] == 0,
      "enrolling the device again retires its previous token")
gone = server_cli("add-user", "--name", "hq-gone", "--role", "search")
check(get("/v1/counts", gone)[0] == 200, "a headquarters token works")
out = server_cli("revoke", "--user", "hq-gone")
check(out.startswith("Revoked 2 ") and get("/v1/counts", gone)[0] == 401,
      f"shelter-server revoke --user: the account's token is refused after: {out}")
# Roles: search finds consenting persons, only roster downloads everyone.
code = status_of("/v1/export/roster.csv", SEARCHER)
check(code == 403, f"the search role cannot download the roster: {code}")
code = status_of("/v1/export/pfif.xml", SEARCHER)
check(code == 403, f"nor PFIF: {code}")
ROSTER = server_cli("add-user", "--name", "hq-roster", "--role", "roster")
found = get("/v1/search?q=" + urllib.parse.quote("B1 person"), ROSTER)
check(status_of("/v1/export/roster.csv", ROSTER) == 200 and found[0] == 200 and all("id" in p for p in found[1]),
      "the roster role downloads the roster and searches, with ids")
check("roster exported by hq-roster" in open(os.path.join(work, "server.log")).read(),
      "each roster download is in the server's log, with who")

# Transfers: a person registered at B who goes out and back, leaves and
# arrives again at B has not moved; a pass from B scanned at A moves them,
# and headquarters sees it: routes for every role, who for roster only.
code, body = get("/v1/transfers", HQ)
check(code == 200 and body.get("routes") == [], f"no transfers yet (out, back, leave at one shelter): {code} {body}")
mover = ctl(b1, "checkin", "--name", "Transfer person", "--birth", "1977").split()[2]
ctl(b1, "out", mover)
ctl(b1, "back", mover)
ctl(b1, "leave", mover)
ctl(b1, "checkin", "--person", mover)
check(sync(b1)[0] == 0, "B's kiosk syncs an out, a back, a leave and a re-arrival")
code, body = get("/v1/transfers", HQ)
check(code == 200 and body.get("routes") == [], f"out and back, or a re-arrival at the same shelter, is no transfer: {body}")
said = ctl(a1, "scan", ctl(b1, "pass", mover).strip())
check(said.startswith("Arrived") and sync(a1)[0] == 0, f"B's pass scanned at A: {said.strip()}")
code, body = get("/v1/transfers", HQ)
routes = body.get("routes", [])
check(code == 200 and len(routes) == 1 and {k: routes[0][k] for k in ("from", "to", "count")}
      == {"from": "tama-02", "to": "tama-01", "count": 1} and abs(routes[0]["last"] - time.time() * 1000) < 60000,
      f"the counts role sees the transfer B -> A: {code} {routes}")
check("transfers" not in body and "Transfer person" not in json.dumps(body) and mover not in json.dumps(body),
      f"and no person: {body}")
code, found = get("/v1/transfers", SEARCHER)
check(code == 200 and found.get("routes") == routes and "transfers" not in found, f"the search role likewise: {found}")
code, found = get("/v1/transfers?since=0", ROSTER)
listed = found.get("transfers", [])
check(code == 200 and found.get("routes") == routes and len(listed) == 1
      and {k: v for k, v in listed[0].items() if k != "time"}
      == {"person": mover, "name": "Transfer person", "from": "tama-02", "to": "tama-01", "device": "tama-01-a"}
      and listed[0]["time"] == routes[0]["last"], f"the roster role sees who moved, when, and which kiosk: {found}")


def name_reads():
    """The server log's lines of transfer reads that showed names."""
    return [line for line in open(os.path.join(work, "server.log")).read().splitlines()
            if "transfers with names read by" in line]


reads = name_reads()
check(len(reads) == 1 and "transfers with names read by hq-roster at " in reads[0]
      and reads[0].endswith(": 1 transfer(s) since 1970-01-01T00:00:00Z") and mover not in reads[0]
      and "Transfer person" not in reads[0],
      f"a read of who moved is in the server's log like a roster download, with who and when, not whom: {reads}")
code, found = get(f"/v1/transfers?since={routes[0]['last'] + 1}", ROSTER)
check(code == 200 and found.get("routes") == [] and found.get("transfers") == [], f"since a later time: none ({found})")
check(len(name_reads()) == 1, "reads by counts and search accounts, or of an empty list, are not logged as such")
check(get("/v1/transfers", a1_token)[0] == 403 and get("/v1/transfers", None)[0] == 401,
      "kiosks and anonymous callers cannot read transfers")
check(get("/v1/transfers?since=-1", HQ)[0] == 400, "a bad since is refused")
# A changed role ends every earlier credential of the account.
demoted = server_cli("add-user", "--name", "hq-roster", "--role", "counts")
code = status_of("/v1/export/roster.csv", ROSTER)
check(code == 401, f"after a role change the old token is refused: {code}")
check(status_of("/v1/export/roster.csv", demoted) == 403 and get("/v1/counts", demoted)[0] == 200,
      "and the new token has the new role")
# API tokens expire.
aged = server_cli("add-user", "--name", "hq-aged", "--role", "counts")
age = "UPDATE auth_token SET created = created - 91 * 86400 WHERE name = 'hq-aged'"
if PG:
    subprocess.run(["psql", PG, "-Atc", age], check=True, capture_output=True)
else:
    subprocess.run(["sqlite3", os.path.join(work, "server.db"), age], check=True)
code, body = get("/v1/counts", aged)
check(code == 401 and "expired" in body.get("error", ""), f"a 91-day-old API token is refused: {code} {body}")
r = subprocess.run([SERVER, *STORE_ARGS, "revoke"], capture_output=True, text=True)
check(r.returncode == 1 and "name a device or a user" in r.stderr, f"revoke with nothing named: {r.stderr.strip()}")


# Malformed requests are refused with a message and store nothing.
def post(body, token=None):
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + (token or a1_token)}
    req = urllib.request.Request(URL + "/v1/push", data=body, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

before = server_counts("tama-01")
for body, what in [(b"not json", "not JSON"), (b'{"v":1,"device":"x","events":[{"id":1}]}', "a broken event"),
                   (b'{"v":9,"device":"x","events":[]}', "a future protocol version"),
                   (json.dumps({"v": 1, "device": "tama-01-a", "events": [{"id": "x"}] * 3000}).encode(), "too many events")]:
    code, text = post(body)
    check(code == 400 and "error" in json.loads(text), f"{what} is refused: {code} {text[:70]}")
code, _ = post(b"x" * (9 << 20))
check(code == 413, f"an oversized body is refused: {code}")
b_event = subprocess.run(["sqlite3", "-json", b1, "SELECT * FROM event LIMIT 1"], capture_output=True, text=True).stdout
row = json.loads(b_event)[0]
forged = {"v": 1, "device": "tama-01-a", "events": [{
    "id": row["id"].replace("tama-02-a", "tama-01-a"), "type": row["type"], "person": row["person_id"],
    "household": row["household_id"], "shelter": "tama-02", "device": "tama-01-a", "seq": 999,
    "author": "self", "hlc": row["hlc"], "body": json.loads(row["body"])}]}
code, text = post(json.dumps(forged).encode())
reply = json.loads(text) if code == 200 else {}
check(code == 200 and reply["ack"] == [] and [f["code"] for f in reply.get("refused", [])] == ["other_shelter"],
      f"a kiosk's event for another shelter is refused, by itself: {code} {text[:80]}")
check(server_counts("tama-01") == before, "refused requests change nothing")

# SQL metacharacters in every text field, through a kiosk and a push: stored
# and searched verbatim, nothing else touched.
nasty = "Robert'); DROP TABLE event; -- \" OR 1=1 %_\\ ;"
ctl(a1, "checkin", "--name", nasty, "--reading", "ロバート' OR '1'='1", "--address", nasty, "--phone", "'; --",
    "--needs", "other", "--needs-other", nasty, "--consent")
mine = [p for p in json.loads(ctl(a1, "list", "--json")) if p["name"] == nasty]
check(len(mine) == 1 and mine[0]["address"] == nasty, "the kiosk stores SQL metacharacters verbatim")
rc, err = sync(a1)
check(rc == 0, f"they sync: {err.strip()[-80:]}")
code, body = get("/v1/search?q=" + urllib.parse.quote("Robert'); DROP"), SEARCHER)
check(code == 200 and len(body) == 1 and body[0]["name"] == nasty, f"and are found verbatim on the server: {code}")
code, body = get("/v1/search?q=" + urllib.parse.quote("%"), SEARCHER)
check(code == 400, f"a bare wildcard is refused: {code} {body}")
code, body = get("/v1/search?q=" + urllib.parse.quote("B1 perso%"), SEARCHER)
check(code == 200 and body == [], f"a % in a search is a character, not a wildcard: {code} {body}")
check(server_counts("tama-01")["present"] == before["present"] + 1, "and nothing else changed on the server")

# The same events pushed by many connections at once (a daemon retrying
# while its first try is still in flight, a USB import racing a sync): each
# is stored once, reported new once, counted once.
seq_before = int(subprocess.run(["sqlite3", a1, "SELECT coalesce(max(device_seq), 0) FROM event"],
                                capture_output=True, text=True).stdout)
present_before = server_counts("tama-01")["present"]
for i in range(12):
    ctl(a1, "checkin", "--name", f"Concurrent {i}", "--birth", str(1950 + i))
rows = json.loads(subprocess.run(["sqlite3", "-json", a1, f"SELECT * FROM event WHERE device_seq > {seq_before} "
                                  "ORDER BY device_seq"], capture_output=True, text=True).stdout)
wire = [{"id": r["id"], "type": r["type"], "person": r["person_id"], "household": r["household_id"],
         "shelter": r["shelter_id"], "device": r["device_id"], "seq": r["device_seq"], "author": r["author"],
         "hlc": r["hlc"], "body": json.loads(r["body"])} for r in rows]
start_line = threading.Barrier(16)
replies = [None] * 16


# Half of them also relay one event of another device that claims the same
# (device, seq) as the others' under another id: the first stored wins, the
# rest are refused by themselves, and no batch of the group fails for it.
def forged(i):
    return dict(wire[0], id=f"tama-01-r.{wire[0]['hlc'] + i:016x}", device="tama-01-r", seq=1,
                person="f0f0f0f0f0f0f0f0", hlc=wire[0]["hlc"] + i)


def push_slice(i):
    part = [wire[(i * 5 + k) % len(wire)] for k in range(len(wire) // 2)]
    if i % 2:
        part.append(forged(i))
    start_line.wait()
    # A connection reset while 16 connect at once on a loaded machine (seen
    # once in a full parallel run) is sent again, as a daemon would: the
    # push is idempotent, and a server that died would refuse the retry.
    for attempt in range(3):
        try:
            replies[i] = post(json.dumps({"v": 1, "device": "tama-01-a", "events": part}).encode())
            return
        except (ConnectionResetError, http.client.RemoteDisconnected):
            time.sleep(0.2)


threads = [threading.Thread(target=push_slice, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
replies = [r or (0, "") for r in replies]  # a push that never got through counts as failed
ok = all(c == 200 for c, _ in replies)
new_total = sum(json.loads(t)["new"] for c, t in replies if c == 200)
refused = [f["code"] for c, t in replies if c == 200 for f in json.loads(t).get("refused", [])]
check(ok and new_total == len(wire) + 1,
      f"16 overlapping pushes at once: all stored, each event new once: {new_total} of {len(wire) + 1}")
check(refused == ["seq_taken"] * 7, f"the events under a taken (device, seq) are refused alone: {refused}")
check(server_counts("tama-01")["present"] == present_before + 13, "and each person counted once")
rc, err = sync(a1)
check(rc == 0 and server_counts("tama-01")["present"] == present_before + 13,
      f"the kiosk's own sync afterwards changes nothing: {err.strip()[-50:]}")

# A stored event that comes back under another seq is known by its id, also
# in a batch with a new arrival: the PostgreSQL store, which finds stored
# events by seq range first, must still find it. Its content differs (the
# seq), so it is refused as a conflict, by itself; the new one is stored once.
ctl(a1, "checkin", "--name", "Late arrival", "--birth", "1961")
last = json.loads(subprocess.run(["sqlite3", "-json", a1,
                                  "SELECT * FROM event WHERE type = 'arrived' ORDER BY device_seq DESC LIMIT 1"],
                                 capture_output=True, text=True).stdout)[0]
fresh = {"id": last["id"], "type": last["type"], "person": last["person_id"], "household": last["household_id"],
         "shelter": last["shelter_id"], "device": last["device_id"], "seq": last["device_seq"],
         "author": last["author"], "hlc": last["hlc"], "body": json.loads(last["body"])}
moved = dict(wire[0], seq=last["device_seq"] + 1)  # next to the new one: one range holds both
code, text = post(json.dumps({"v": 1, "device": "tama-01-a", "events": [moved, fresh]}).encode())
reply = json.loads(text) if code == 200 else {}
check(code == 200 and reply["new"] == 1 and reply["ack"] == [fresh["id"]] and
      [(f["id"], f["code"]) for f in reply.get("refused", [])] == [(moved["id"], "conflict")],
      f"an event stored before, sent again under another seq, is refused as a conflict and not stored twice: "
      f"{code} {text[:120]}")
check(server_counts("tama-01")["present"] == present_before + 14, "and only the new arrival is counted")

# PostgreSQL restarts (or drops the server's connections): the next requests
# get fresh connections. While it takes no connections at all, requests get
# 503 with the reason (try again), never 401 (a good token called bad).
if PG:
    def psql(url, sql):
        subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True)
    drop_all = ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'shelter' AND pid <> pg_backend_pid()")
    psql(PG, drop_all)
    codes = [get("/v1/counts", HQ)[0] for _ in range(12)]
    check(codes == [200] * 12, f"after PostgreSQL dropped every connection the server reconnects: {codes}")
    admin = PG.rsplit("/", 1)[0] + "/postgres"
    psql(admin, "ALTER DATABASE shelter ALLOW_CONNECTIONS false")
    psql(admin, drop_all)
    down = [get("/v1/counts", HQ) for _ in range(3)]
    down.append(post(b'{"events":[]}'))
    check(all(c == 503 for c, _ in down) and "database" in str(down[0][1]),
          f"with the database unreachable requests get 503 and why: {down[0][0]} {str(down[0][1])[:90]}")
    rc, err = sync(a1)
    check(rc != 0 and "said 401" not in err and "credentials" not in err,
          f"and the daemon does not take it for a bad credential: {err.strip()[-90:]}")
    psql(admin, "ALTER DATABASE shelter ALLOW_CONNECTIONS true")
    codes = [get("/v1/counts", HQ)[0] for _ in range(3)]
    rc, err = sync(a1)
    check(codes == [200] * 3 and rc == 0, f"once it is back, so is the server: {codes} {err.strip()[-40:]}")

# Sneakernet: a kiosk with no network for good carries its events on a USB
# stick, signed by the kiosk and sealed to headquarters; importing on the
# server gives what a sync would, twice changes nothing.
ctl(b1, "checkin", "--name", "USB person", "--birth", "1970")
ctl(b1, "checkin", "--name", "USB person 2", "--birth", "1971")
usb = os.path.join(work, "usb.sealed")
out = ctl(b1, "export-unsynced", usb)
check("Wrote 4 event(s)" in out, f"export-unsynced writes only what the server lacks (2 arrivals, 2 registrations): "
      f"{out.strip()}")
data = open(usb, "rb").read()
check(b"USB person" not in data and b"1971" not in data, "the file holds no name or birth year in clear")
server.terminate()
server.wait()
out = server_cli("import", usb)
check("Imported 4 new of 4" in out, f"import on the server: {out.strip()}")
out = server_cli("import", usb)
check("Imported 0 new of 4" in out, "importing twice changes nothing")


def refused_import(data, *flags):
    path = os.path.join(work, "bad.sealed")
    open(path, "wb").write(data)
    r = subprocess.run([SERVER, *STORE_ARGS, "import", *flags, path], capture_output=True, text=True)
    return r.returncode, r.stderr.strip()


header_end = data.index(b"\n") + 1
rc, err = refused_import(data[:header_end + 100] + bytes([data[header_end + 100] ^ 1]) + data[header_end + 101:])
check(rc == 1 and "damaged, altered" in err, f"an altered file is refused: {err}")
rc, err = refused_import(data[: len(data) // 2])
check(rc == 1, f"a cut-off file is refused: {err}")
rc, err = refused_import(data.replace(b'"device":"tama-02-a"', b'"device":"tama-01-a"', 1))
check(rc == 1 and "belongs to device tama-02-a" in err, f"a header naming another kiosk is refused: {err}")
rc, err = refused_import(data.replace(b'"shelter":"tama-02"', b'"shelter":"tama-01"', 1))
check(rc == 1 and "enrolled at shelter tama-02" in err, f"a header naming another shelter is refused: {err}")
r = subprocess.run([SERVER, *STORE_ARGS[:-2], "import", usb], capture_output=True, text=True)
check(r.returncode == 1 and "--hq-key" in r.stderr, f"without headquarters' key nothing opens: {r.stderr.strip()}")


def v1_file(db, device):
    """A version 1 file (unsigned, an unkeyed checksum) of a kiosk's events, as made before the upgrade."""
    rows = json.loads(subprocess.run(["sqlite3", "-json", db, f"SELECT * FROM event WHERE device_id = '{device}' "
                                      "ORDER BY device_seq"], capture_output=True, text=True).stdout)
    lines = [json.dumps({"device": device, "events": len(rows), "shelter": rows[0]["shelter_id"],
                         "shelter_checkin_export": 1}, separators=(",", ":"))]
    lines += [json.dumps({"id": r["id"], "type": r["type"], "person": r["person_id"], "household": r["household_id"],
                          "shelter": r["shelter_id"], "device": r["device_id"], "seq": r["device_seq"],
                          "author": r["author"], "hlc": r["hlc"], "body": json.loads(r["body"])},
                         separators=(",", ":"), ensure_ascii=False) for r in rows]
    text = "".join(line + "\n" for line in lines).encode()
    return text + json.dumps({"blake2b": hashlib.blake2b(text, digest_size=32).hexdigest()}).encode() + b"\n"


old = v1_file(b1, "tama-02-a")
rc, err = refused_import(old)
check(rc == 1 and "version 1" in err and "--unsigned" in err, f"a version 1 file is refused: {err}")
rc, err = refused_import(old, "--unsigned")
check(rc == 0, f"and taken with --unsigned, for a file made before the upgrade: {err}")
server = start_server()
check(server_counts("tama-02")["present"] == 6, "the server counts the imported arrivals once")
rc, err = sync(b1)
check(rc == 0 and server_counts("tama-02")["present"] == 6, "a later network sync of the same events changes nothing")

# Relay: a kiosk of the same shelter cannot open the file; it queues it, and
# its daemon uploads it (POST /v1/import), where the server opens it as the
# import does. The events come back with the same round's pull.
ctl(a2, "checkin", "--name", "Relayed person", "--birth", "1980")
relay = os.path.join(work, "relay.sealed")
ctl(a2, "export-unsynced", relay)
r = subprocess.run([CTL, "--db", b1, "import", relay], capture_output=True, text=True)
check(r.returncode == 1 and "carry it to headquarters" in r.stderr,
      f"a kiosk of another shelter does not take it: {r.stderr.strip()}")
before = server_counts("tama-01")["present"]
out = ctl(a1, "import", relay)
check("Queued 2 event(s) of device tama-01-a" not in out and "Queued 2 event(s) of device tama-01-b" in out,
      f"shelterctl import queues a sealed file: {out.strip()}")
check("Relayed person" not in ctl(a1, "list", "--all"), "the relaying kiosk cannot read it")
rc, err = sync(a1)
check(rc == 0 and server_counts("tama-01")["present"] == before + 1, f"its daemon relays it to the server: {err.strip()}")
check("Relayed person" in ctl(a1, "list", "--all") and not os.listdir(a1 + ".relay"),
      "the relaying kiosk has the events from its pull, and its queue is empty")
state = subprocess.run(["sqlite3", a1, "SELECT value FROM meta WHERE key = 'sync_state'"], capture_output=True,
                       text=True).stdout
check("relayed 1 USB file" in state, f"staff see the relay in the sync state: {state.strip()}")
# A file of shelter B relayed with A's token: refused whole.
req = urllib.request.Request(URL + "/v1/import", data=data, headers={"Authorization": "Bearer " + token_of(a1)})
try:
    with urllib.request.urlopen(req) as resp:
        code, said = resp.status, resp.read().decode()
except urllib.error.HTTPError as e:
    code, said = e.code, e.read().decode()
check(code == 403 and "may relay files of shelter tama-01 only" in said,
      f"a kiosk cannot relay another shelter's file: {code} {said[:100]}")

server.terminate()
server.wait()

# Enrolment in one step with shelterctl: identity, one-time code, the first
# lead (PIN on stdin), both config files; bad input changes nothing.
k4 = os.path.join(work, "tama-03-a.db")
kiosk_toml = os.path.join(work, "kiosk.toml")
sync_toml = os.path.join(work, "sync.toml")
open(kiosk_toml, "w").write('# kept comment\nlanguage = "en"\nstaff_pin_hash = ""\n')


def enrol(code, pin, server=URL):
    return subprocess.run([CTL, "--db", k4, "enrol", "--shelter", "tama-03", "--device", "tama-03-a", "--name",
                           "多摩第三", "--server", server, "--code", code, "--lead", "佐藤 花子", "--kiosk-config", kiosk_toml,
                           "--sync-config", sync_toml], input=pin + "\n", capture_output=True, text=True)


server = start_server()
code3 = server_cli("enrol-code", "--shelter", "tama-03", "--device", "tama-03-a")
r = enrol(code3, "2468")
check(r.returncode == 1 and "6 to 12 digits" in r.stderr and not os.path.exists(sync_toml),
      f"enrol refuses a short PIN: {r.stderr.strip()}")
r = enrol("WRONGCODE2", "246813")
check(r.returncode == 1 and "unknown code" in r.stderr and not os.path.exists(sync_toml)
      and 'staff_pin_hash = ""' in open(kiosk_toml).read(), f"a wrong code changes no config: {r.stderr.strip()}")
r = enrol(code3, "246813", server="10.0.0.5:8470")
check(r.returncode == 1 and "http://" in r.stderr, f"a server address without a scheme is refused: {r.stderr.strip()}")
# Plain HTTP only to this machine: tokens and records never cross a network in clear.
r = enrol(code3, "246813", server="http://10.0.0.5:8470")
check(r.returncode == 1 and "plain HTTP to another machine" in r.stderr and "--insecure" in r.stderr
      and not os.path.exists(sync_toml), f"enrol refuses http:// to another machine: {r.stderr.strip()}")
r = subprocess.run([SYNC, "--db", k4, "--server", "http://192.0.2.7:8470", "--once"], capture_output=True, text=True)
check(r.returncode == 1 and "plain HTTP to another machine" in r.stderr, f"so does shelter-sync: {r.stderr.strip()}")
r = subprocess.run([SYNC, "--db", k4, "--server", "http://192.0.2.7:8470", "--insecure", "--once", "--timeout", "1"],
                   capture_output=True, text=True)
check("plain HTTP" not in r.stderr, f"--insecure lets it try: {r.stderr.strip()[:120]}")
for ok_url in ("http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"):
    r = subprocess.run([SYNC, "--db", k4, "--server", ok_url, "--once", "--timeout", "1"], capture_output=True, text=True)
    check("plain HTTP" not in r.stderr, f"{ok_url} is this machine: {r.stderr.strip()[:80]}")
r = enrol(code3, "246813")
kt = open(kiosk_toml).read()
check(r.returncode == 0 and "# kept comment" in kt and 'language = "en"' in kt and "$argon2id$" not in kt
      and 'device_id = "tama-03-a"' in kt, f"enrol writes the kiosk config, keeping the rest: {r.stderr.strip()}")
team = ctl(k4, "volunteers")
check("佐藤 花子\tlead" in team, f"enrol makes the first lead in the kiosk's store: {team.strip()}")
backups = os.path.join(work, "backups")
open(sync_toml, "a").write(f'backup-dir = "{backups}"\nbackup-keep = 3\n')
ctl(k4, "checkin", "--name", "C3 person", "--birth", "1999")
r = subprocess.run([SYNC, "--config", sync_toml, "--once"], capture_output=True, text=True)
check(r.returncode == 0 and "sent 2" in r.stderr, f"shelter-sync runs from the config enrol wrote: {r.stderr.strip()}")
made = [f for f in os.listdir(backups)] if os.path.isdir(backups) else []
check(len(made) == 1 and made[0].startswith("tama-03-a-") and made[0].endswith(".backup"),
      f"the daemon keeps an online backup: {made}")
backup = os.path.join(backups, made[0])
check(b"C3 person" not in open(backup, "rb").read(), "the backup is sealed: no name in clear")
# The same tablet restores it with its own key; another tablet has it opened at headquarters.
os.remove(k4)
out = ctl(k4, "restore", backup)
check("C3 person" in ctl(k4, "list", "--all"), f"the tablet restores its sealed backup: {out.strip()}")
other = os.path.join(work, "replacement.db")
r = subprocess.run([CTL, "--db", other, "restore", backup], capture_output=True, text=True)
check(r.returncode == 1 and "open-backup" in r.stderr, f"another tablet cannot open it: {r.stderr.strip()}")
plain = os.path.join(work, "opened.db")
server_cli("open-backup", backup, "--out", plain)
ctl(other, "restore", plain)
check("C3 person" in ctl(other, "list", "--all"), "headquarters opens it for a restore on a replacement tablet")
open(os.path.join(work, "bad.toml"), "w").write('server = "http://x"\nintervall = 5\n')
r = subprocess.run([SYNC, "--config", os.path.join(work, "bad.toml"), "--once"], capture_output=True, text=True)
check(r.returncode != 0 and "intervall" in r.stderr + r.stdout, f"an unknown config key is named: {(r.stderr + r.stdout).strip()}")
server.terminate()
server.wait()
finish()
