#!/usr/bin/env python3
"""A PostgreSQL database written by an earlier shelter-server keeps working.
Person rows written in the first state form, {"field": [value, hlc, device,
event id]}, read exactly as before (the roster is the same); a schema that
counted households in household_presence gets person's household columns,
filled from those states, and the same household counts; new events
fold over them: corrections, outings and departures give the kiosk's own
counts, and each row touched again is written in the current form. A
database from before match keys gets them filled by a refold.

usage: SHELTER_PG_URL=... test_pg_upgrade.py BUILD_DIR   (see with_postgres.sh)
"""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, procs, run, run_with_stdin, start_server, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PG = os.environ["SHELTER_PG_URL"]
SHELTER, DEVICE = "tama-01", "tama-01-a"


def psql(sql):
    return subprocess.run(["psql", PG, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                          check=True).stdout


def states():
    out = {}
    for line in psql("SELECT person_id || chr(9) || state FROM person").splitlines():
        pid, state = line.split("\t", 1)
        out[pid] = json.loads(state)
    return out


def first_form(state):
    """The current form, {"s": [[hlc, device(, event id)]], "f": {field: value | [value, i]}}, as the first."""
    stamps = [s + [f"{s[1]}.{s[0]:016x}"] if len(s) == 2 else s for s in state["s"]]
    out = {}
    for name, v in state["f"].items():
        value, i = (v, 0) if isinstance(v, str) else v
        out[name] = [value] + stamps[i]
    return out


port = free_port()
server = start_server(SERVER, ["--pg", PG], port)
url = f"http://127.0.0.1:{port}"
db = os.path.join(work, "kiosk.db")
run(CTL, "--db", db, "init", "--shelter", SHELTER, "--device", DEVICE)
for i in range(12):
    run(CTL, "--db", db, "checkin", "--name", f"高橋 {i}", "--birth", str(1940 + 5 * i), "--sex", "MF"[i % 2],
        "--needs", ["", "care", "infant,allergy"][i % 3], *(["--consent"] if i % 2 else []))
run(SYNC, "--db", db, "--server", url, "--enrol", run(SERVER, "--pg", PG, "enrol-code", "--shelter", SHELTER,
                                                      "--device", DEVICE))
run(SYNC, "--db", db, "--server", url, "--once")
token = run(SERVER, "--pg", PG, "add-user", "--name", "hq", "--role", "roster")


def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    return urllib.request.urlopen(req).read().decode()


roster = get("/v1/export/roster.csv")
check(all("f" in s for s in states().values()), "the server writes person rows in the current form")

# Rewrite every person row as an earlier server wrote it.
updates = "".join(f"UPDATE person SET state = '{json.dumps(first_form(s)).replace(chr(39), chr(39) * 2)}' "
                  f"WHERE person_id = '{pid}';" for pid, s in states().items())
psql("BEGIN;" + updates + "COMMIT;")
check(not any("f" in s for s in states().values()), f"all {len(states())} rows are now in the first form")
check(get("/v1/export/roster.csv") == roster, "rows in the first form read exactly as before")

# And give the database the schema of a server that kept a member count per
# household (household_presence), then start the server again: it fills
# person's household columns from the first-form states.
def household_counts():
    return {c["shelter"]: c["households"] for c in json.loads(get("/v1/counts"))}


households = household_counts()
psql("BEGIN; CREATE TABLE household_presence(shelter_id TEXT NOT NULL, household_id TEXT NOT NULL, "
     "n INT NOT NULL CHECK (n >= 0), PRIMARY KEY(shelter_id, household_id)); "
     "INSERT INTO household_presence SELECT present_at, household_key, count(*) FROM person "
     "WHERE present_at IS NOT NULL GROUP BY 1, 2; "
     "ALTER TABLE person DROP COLUMN present_at, DROP COLUMN household_key; COMMIT;")
server.kill()
server.wait()
server = start_server(SERVER, ["--pg", PG], port)
columns = psql("SELECT column_name FROM information_schema.columns WHERE table_name = 'person'").split()
check({"present_at", "household_key"} <= set(columns), f"the restarted server added person's household columns: {columns}")
check(psql("SELECT to_regclass('household_presence') IS NULL").strip() == "t", "and dropped household_presence")
check(household_counts() == households and households.get(SHELTER, 0) > 0,
      f"households present are counted as before the upgrade ({households})")
check(get("/v1/export/roster.csv") == roster, "the roster reads as before the upgrade")

people = [p["id"] for p in json.loads(run(CTL, "--db", db, "list", "--json"))]
out, corrected, gone = people[0:3], people[3:6], people[6:8]
# the shelter's first lead, registered by the daemon's next sync
run_with_stdin("246813", CTL, "--db", db, "add-volunteer", "--name", "sato", "--lead")
for pid in out:
    run(CTL, "--db", db, "out", pid)
for pid in corrected:
    run_with_stdin("246813", CTL, "--db", db, "--staff", "sato", "correct", pid, "birth=1999", "needs=pregnant")
for pid in gone:
    run(CTL, "--db", db, "leave", pid)
run(SYNC, "--db", db, "--server", url, "--once")

kiosk = json.loads(run(CTL, "--db", db, "counts", "--shelter", SHELTER, "--json"))
server = {c["shelter"]: c for c in json.loads(get("/v1/counts"))}.get(SHELTER)
check(kiosk == server, f"new events fold over rows of the first form: the server's counts equal the kiosk's "
                       f"({server and server['present']} present, {server and server['out']} out)")
after = states()
touched = set(out + corrected + gone)
check(all("f" in after[p] for p in touched), "each row touched again is written in the current form")
check(not any("f" in s for p, s in after.items() if p not in touched), "untouched rows stay as they were")
for pid in corrected:
    check(first_form(after[pid])["birth"][0] == "1999", f"{pid}: the correction won over the first-form field")
# The daemon registered the lead's key before pushing their signed corrections.
check("sato\tlead" in run(CTL, "--db", db, "volunteers") and "server: registered" in run(CTL, "--db", db, "volunteers"),
      "the lead's key is registered at the server")

# A database from before match keys (fold version 3, no person.match_key):
# the server adds the column and folds again, filling every person's key.
psql("BEGIN; ALTER TABLE person DROP COLUMN match_key; UPDATE schema_info SET value = 3 WHERE key = 'fold'; COMMIT;")
running = procs[-1]  # the server started last (`server` now names its counts)
running.kill()
running.wait()
start_server(SERVER, ["--pg", PG], port)
keys = psql("SELECT match_key FROM person").split()
check(len(keys) == 12 and all(k.startswith("高橋") for k in keys), f"the refold filled every match key: {keys[:3]}")
check(psql("SELECT value FROM schema_info WHERE key = 'fold'").strip() == "4", "at fold version 4")
finish()
