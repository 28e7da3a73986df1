#!/usr/bin/env python3
"""Headquarters' cross-shelter duplicates (GET /v1/duplicates) on a real
server: a walk-in typed in katakana with a birth year at one shelter and the
same person's card (kanji, hiragana reading, full date) at another are a
pair, as are two spellings of a Vietnamese name; a pair staff dismissed at
a kiosk ("not the same person") is gone once it syncs; only a `roster`
account may read the list.

usage: test_duplicates.py BUILD_DIR   (SHELTER_PG_URL set: the PostgreSQL backend)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (binaries, check, finish, free_port, get_json, run, run_with_stdin, start_server,  # noqa: E402
                     token_of, work)

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
PG = os.environ.get("SHELTER_PG_URL", "")
STORE_ARGS = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
PIN = "246813"


def kiosk(device, shelter):
    db = os.path.join(work, device + ".db")
    run(CTL, "--db", db, "init", "--shelter", shelter, "--device", device)
    code = run(SERVER, *STORE_ARGS, "enrol-code", "--shelter", shelter, "--device", device)
    run(SYNC, "--db", db, "--server", URL, "--enrol", code)
    return db


def person_id(db, name):
    return next(p["id"] for p in json.loads(run(CTL, "--db", db, "list", "--json")) if p["name"] == name)


def sync(db):
    run(SYNC, "--db", db, "--server", URL, "--once")


def pairs(token):
    status, body = get_json(URL, "/v1/duplicates", token)
    check(status == 200, f"GET /v1/duplicates answers ({status})")
    return {frozenset((d["a"]["name"], d["b"]["name"])): d for d in body} if status == 200 else {}


start_server(SERVER, STORE_ARGS, PORT, os.path.join(work, "server.log"))
a = kiosk("tama-01-a", "tama-01")
b = kiosk("tama-02-a", "tama-02")

run(CTL, "--db", a, "checkin", "--name", "ヤマダ ハナコ", "--birth", "1950", "--sex", "F")
run(CTL, "--db", b, "checkin", "--name", "山田 花子", "--reading", "やまだ はなこ", "--birth", "1950-04-01", "--sex", "F",
    "--address", "多摩市 1-2-3")
run(CTL, "--db", a, "checkin", "--name", "Nguyen Thi Bich", "--birth", "1985-02-03")
run(CTL, "--db", b, "checkin", "--name", "BICH Nguyễn Thị", "--birth", "1985")
# Same key, other year: never a pair.
run(CTL, "--db", b, "checkin", "--name", "山田 花子", "--reading", "ヤマダ ハナコ", "--birth", "1951")
# Two at one shelter whom staff will say are different people.
run(CTL, "--db", a, "checkin", "--name", "スズキ ジロウ", "--birth", "1970")
run(CTL, "--db", a, "checkin", "--name", "鈴木 次郎", "--reading", "すずき じろう", "--birth", "1970-07-07")
for db in (a, b):
    sync(db)

roster = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-roster", "--role", "roster")
searcher = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-search", "--role", "search")

found = pairs(roster)
yamada = found.get(frozenset(("ヤマダ ハナコ", "山田 花子")))
check(yamada is not None, "a katakana walk-in (1950) and a card (やまだ はなこ, 1950-04-01) are a pair")
if yamada:
    shelters = {yamada["a"]["shelter"], yamada["b"]["shelter"]}
    check(shelters == {"tama-01", "tama-02"} and yamada["across_shelters"], f"across shelters: {shelters}")
    card = yamada["a"] if yamada["a"]["name"] == "山田 花子" else yamada["b"]
    check(card["birth"] == "1950-04-01" and card["address"] == "多摩市 1-2-3" and card["presence"] == "present",
          f"with each person's details: {card}")
check(frozenset(("Nguyen Thi Bich", "BICH Nguyễn Thị")) in found, "Latin names match across accents and word order")
check(frozenset(("スズキ ジロウ", "鈴木 次郎")) in found, "the Suzuki pair is proposed before the dismissal")
check(len(found) == 3, f"three pairs, no others: {sorted(map(sorted, found))}")

status, _ = get_json(URL, "/v1/duplicates", searcher)
check(status == 403, f"a search account may not read duplicates ({status})")
status, _ = get_json(URL, "/v1/duplicates", token_of(a))
check(status == 403, f"a kiosk may not read duplicates ({status})")
status, _ = get_json(URL, "/v1/duplicates", "")
check(status == 401, f"nobody unauthenticated ({status})")

# A volunteer at tama-01 says the Suzukis are different people.
run_with_stdin(PIN, CTL, "--db", a, "add-volunteer", "--name", "sato", "--lead")
run_with_stdin(PIN, CTL, "--db", a, "--staff", "sato", "merge", person_id(a, "スズキ ジロウ"), "--not-same",
               person_id(a, "鈴木 次郎"))
check(person_id(a, "スズキ ジロウ") not in run(CTL, "--db", a, "duplicates"), "the kiosk no longer proposes the pair")
sync(a)
found = pairs(roster)
check(frozenset(("スズキ ジロウ", "鈴木 次郎")) not in found, "the dismissal synced: headquarters no longer lists the pair")
check(len(found) == 2, f"the other pairs stay ({len(found)})")

# A merge at headquarters' view: the merged record is gone from the list.
run_with_stdin(PIN, CTL, "--db", a, "--staff", "sato", "merge", person_id(a, "Nguyen Thi Bich"), "--into",
               person_id(a, "ヤマダ ハナコ"))
sync(a)
check(len(pairs(roster)) == 1, "a record merged away leaves its pairs")
finish()
