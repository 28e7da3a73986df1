#!/usr/bin/env python3
"""Pets through a real server, on either backend (SHELTER_PG_URL set:
PostgreSQL): a household's pets written by staff on a kiosk reach the
server's counts and its counts CSV; a household that leaves takes them out
of the counts; one that moves counts at its new shelter; a pushed event
with a bad pets value is refused with a message and changes nothing.

usage: test_pets_sync.py BUILD_DIR
"""
import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (binaries, check, finish, free_port, get_json, run, run_with_stdin, start_server,  # noqa: E402
                     token_of, work)

PIN = "246813"
BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PG = os.environ.get("SHELTER_PG_URL", "")
STORE = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
HQ_KEY = os.path.join(work, "hq.key")
run(SERVER, *STORE, "hq-key", "--out", HQ_KEY)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
server = start_server(SERVER, STORE + ["--hq-key", HQ_KEY], PORT)
HQ = run(SERVER, *STORE, "add-user", "--name", "hq", "--role", "counts")


def kiosk(shelter, device):
    db = os.path.join(work, device + ".db")
    run(CTL, "--db", db, "init", "--shelter", shelter, "--device", device)
    run_with_stdin(PIN, CTL, "--db", db, "add-volunteer", "--name", "lead-" + device, "--lead")
    code = run(SERVER, *STORE, "enrol-code", "--shelter", shelter, "--device", device)
    run_with_stdin(PIN, CTL, "--db", db, "enrol", "--shelter", shelter, "--device", device, "--server", URL,
                   "--code", code, "--lead", "lead-" + device)
    return db


def sync(db):
    r = subprocess.run([SYNC, "--db", db, "--server", URL, "--once"], capture_output=True, text=True)
    check(r.returncode == 0, f"sync {os.path.basename(db)}: {r.stderr.strip()[-100:]}")


def ctl(db, *args):
    return run(CTL, "--db", db, *args)


def staff(db, *args):
    return run_with_stdin(PIN, CTL, "--db", db, "--staff", "lead-" + os.path.basename(db)[:-3], *args)


def server_pets(shelter):
    code, body = get_json(URL, f"/v1/counts?shelter={shelter}", HQ)
    assert code == 200, body
    return body[0]["pets"]


def kiosk_pets(db, shelter):
    return json.loads(ctl(db, "counts", "--shelter", shelter, "--json"))["pets"]


a, b = kiosk("tama-01", "tama-01-a"), kiosk("tama-02", "tama-02-a")
code, vocab = get_json(URL, "/v1/vocabulary", HQ)
check(code == 200 and vocab.get("pet_kinds") == ["dog", "cat", "other"] and "pets" in vocab.get("count_keys", []),
      f"the vocabulary names the pet kinds for the dashboard: {vocab.get('pet_kinds')}")

ctl(a, "checkin", "--name", "Yamada Taro", "--birth", "1950")
ctl(a, "checkin", "--name", "Suzuki Hana", "--birth", "1960")
people = {p["name"]: p["id"] for p in json.loads(ctl(a, "list", "--json"))}
yamada, suzuki = people["Yamada Taro"], people["Suzuki Hana"]
staff(a, "correct", yamada, "pets=dog=2,cat=1")
staff(a, "correct", suzuki, "pets=other=3")
r = subprocess.run([CTL, "--db", a, "--staff", "lead-tama-01-a", "correct", suzuki, "pets=dog=21"], input=PIN + "\n",
                   capture_output=True, text=True)
check(r.returncode != 0 and "pets" in r.stderr, f"shelterctl refuses a bad pets value: {r.stderr.strip()}")
sync(a)
want = {"dog": 2, "cat": 1, "other": 3, "total": 6}
check(server_pets("tama-01") == want, f"the server counts the pets: {server_pets('tama-01')}")
check(kiosk_pets(a, "tama-01") == server_pets("tama-01"), "and agrees with the kiosk")
table = ctl(a, "counts")
check("pets" in table and "dog 2" in table, f"shelterctl counts prints them: {table.splitlines()[-1]}")

req = urllib.request.Request(URL + "/v1/export/counts.csv", headers={"Authorization": "Bearer " + HQ})
rows = list(csv.DictReader(io.StringIO(urllib.request.urlopen(req).read().decode("utf-8-sig"))))
row = {r["shelter_id"]: r for r in rows}
check(row["tama-01"]["pet_dog"] == "2" and row["tama-01"]["pets_total"] == "6" and row["TOTAL"]["pet_other"] == "3",
      f"the counts CSV has the pets per shelter and in total: {row['tama-01'].get('pets_total')}")

# Suzuki leaves: her household's pets go with her.
ctl(a, "leave", suzuki)
sync(a)
check(server_pets("tama-01") == {"dog": 2, "cat": 1, "other": 0, "total": 3},
      f"a household that left is not counted: {server_pets('tama-01')}")

# Yamada moves to tama-02 (his pass scanned there: an arrival by id, pushed
# as B's kiosk would): the household's pets count there.
event = json.loads(subprocess.run(["sqlite3", "-json", a, "SELECT * FROM event WHERE person_id = '%s' AND type = "
                                   "'arrived'" % yamada], capture_output=True, text=True).stdout)[0]
push_url = URL + "/v1/push"


def push(db, events):
    body = json.dumps({"v": 1, "device": os.path.basename(db)[:-3], "events": events}).encode()
    req = urllib.request.Request(push_url, data=body, headers={"Content-Type": "application/json",
                                                               "Authorization": "Bearer " + token_of(db)})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "{}")


def arrival(device, seq, hlc, person, household, shelter, body):
    return {"id": f"{device}.{hlc:016x}", "type": "arrived", "person": person, "household": household,
            "shelter": shelter, "device": device, "seq": seq, "author": "self", "hlc": hlc, "body": body}


hlc = event["hlc"] + (1000 << 16)  # a second after A's arrival
before = server_pets("tama-02")
code, reply = push(b, [arrival("tama-02-a", 1, hlc, "00000000000000f1", "", "tama-02",
                               {"stay": "shelter", "pets": "dog=99"})])
check(code == 400 and "pets" in json.dumps(reply), f"a push with a bad pets value is refused: {code} {reply}")
code, reply = push(b, [arrival("tama-02-a", 1, hlc, "00000000000000f1", "", "tama-02",
                               {"stay": "shelter", "pets": "hamster=1"})])
check(code == 400 and "pets" in json.dumps(reply), f"so is an unknown kind: {code} {reply}")
check(server_pets("tama-02") == before, "and nothing changed")
code, reply = push(b, [arrival("tama-02-a", 1, hlc, yamada, event["household_id"], "tama-02", {"stay": "shelter"})])
check(code == 200 and len(reply.get("ack", [])) == 1, f"Yamada arrives at tama-02: {code} {reply}")
check(server_pets("tama-02") == {"dog": 2, "cat": 1, "other": 0, "total": 3},
      f"a household that moved counts at its new shelter: {server_pets('tama-02')}")
check(server_pets("tama-01")["total"] == 0, f"and no longer at the old one: {server_pets('tama-01')}")

server.terminate()
server.wait()
finish()
