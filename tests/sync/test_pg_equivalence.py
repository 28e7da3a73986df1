#!/usr/bin/env python3
"""PostgreSQL and SQLite backends merge alike. Four kiosks at two shelters
make arrivals, corrections, outings, departures and a move between
shelters; their events reach two shelter-server processes that share one
PostgreSQL database, concurrently and in a shuffled order, and reach a
SQLite server as USB imports in another order. Both backends must report
exactly the same counts, and equal what the kiosks' own stores say.

usage: SHELTER_PG_URL=... test_pg_equivalence.py BUILD_DIR   (see with_postgres.sh)
"""
import json
import os
import random
import sqlite3
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, run, run_with_stdin, start_server, work  # noqa: E402

PIN = "246813"

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PG = os.environ["SHELTER_PG_URL"]
random.seed(int(os.environ.get("SEED", "11")))


def serve(store_args):
    port = free_port()
    start_server(SERVER, store_args, port)
    return f"http://127.0.0.1:{port}"


# Headquarters' key: kiosks get it with their enrolment and seal USB files to it.
HQ_KEY = os.path.join(work, "hq.key")
run(SERVER, "--pg", PG, "hq-key", "--out", HQ_KEY)
pg_urls = [serve(["--pg", PG]), serve(["--pg", PG])]  # two processes, one database
kiosks = {}
for shelter in ("tama-01", "tama-02"):
    for k in ("a", "b"):
        name = f"{shelter}-{k}"
        db = os.path.join(work, name + ".db")
        run(CTL, "--db", db, "init", "--shelter", shelter, "--device", name)
        # Each kiosk's lead, registered with its enrolment code below.
        run_with_stdin(PIN, CTL, "--db", db, "add-volunteer", "--name", "lead-" + name, "--lead")
        kiosks[name] = db


def ids(db):
    return [p["id"] for p in json.loads(run(CTL, "--db", db, "list", "--json"))]


for name, db in kiosks.items():
    for i in range(25):
        run(CTL, "--db", db, "checkin", "--name", f"{name} {i}", "--birth", str(1930 + 3 * i),
            "--sex", "MFX"[i % 3], "--needs", ["", "infant", "care,allergy"][i % 3], "--stay", ["shelter", "car"][i % 2],
            *(["--consent"] if i % 2 else []))
    people = ids(db)
    for pid in random.sample(people, 5):
        run(CTL, "--db", db, "out", pid)
    for pid in random.sample(people, 4):
        run_with_stdin(PIN, CTL, "--db", db, "--staff", "lead-" + name, "correct", pid,
                       f"birth={random.randint(1940, 2020)}", "needs=pregnant",
                       f"pets=dog={random.randint(0, 3)},cat={random.randint(1, 20)}")
    for pid in random.sample(people, 3):
        run(CTL, "--db", db, "leave", pid)

# Each kiosk's events to the PostgreSQL servers: enrol, then sync through a
# randomly chosen process, all four kiosks at once.
for name, db in kiosks.items():
    code = run(SERVER, "--pg", PG, "enrol-code", "--shelter", name[:7], "--device", name)
    run_with_stdin(PIN, CTL, "--db", db, "enrol", "--shelter", name[:7], "--device", name, "--server",
                   random.choice(pg_urls), "--code", code, "--lead", "lead-" + name)


def sync(item):
    name, db = item
    r = subprocess.run([SYNC, "--db", db, "--server", random.choice(pg_urls), "--once", "--batch", "9"],
                       capture_output=True, text=True)
    return name, r.returncode, r.stderr


order = list(kiosks.items())
random.shuffle(order)
with ThreadPoolExecutor(4) as pool:
    for name, rc, err in pool.map(sync, order):
        check(rc == 0, f"{name} synced to PostgreSQL through two server processes: {err.strip()}")

# The same events to a SQLite server, as USB imports in another order. It
# opens them with the same headquarters key and knows the kiosks' device
# keys as if they had enrolled there (the rows copied from PostgreSQL).
sqlite_db = os.path.join(work, "server.db")
SQLITE_ARGS = ["--db", sqlite_db, "--hq-key", HQ_KEY]
run(SERVER, *SQLITE_ARGS, "enrol-code", "--shelter", "tama-01", "--device", "tama-01-z")  # makes the file
rows = subprocess.run(["psql", PG, "-AtF", "\t", "-c", "SELECT key_id, kind, device_id, shelter_id, public_key, "
                       "revoked::int, created FROM signing_key WHERE kind = 'device'"],
                      capture_output=True, text=True, check=True).stdout
c = sqlite3.connect(sqlite_db)
c.executemany("INSERT INTO signing_key VALUES(?, ?, ?, ?, ?, ?, ?)",
              [line.split("\t") for line in rows.splitlines() if line])
# and the leads' keys, which the staff corrections are checked against
rows = subprocess.run(["psql", PG, "-AtF", "\t", "-c", "SELECT key_id, shelter_id, name, role, device_id, public_key, "
                       "vouched_by, revoked::int, created FROM volunteer_key"],
                      capture_output=True, text=True, check=True).stdout
c.executemany("INSERT INTO volunteer_key VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
              [line.split("\t") for line in rows.splitlines() if line])
c.commit()
c.close()
random.shuffle(order)
for name, db in order:
    f = os.path.join(work, name + ".sealed")
    run(CTL, "--db", db, "export-unsynced", "--all", f)
    run(SERVER, *SQLITE_ARGS, "import", f)
    run(SERVER, *SQLITE_ARGS, "import", f)  # twice: no change

hq_pg = run(SERVER, "--pg", PG, "add-user", "--name", "hq", "--role", "counts")
hq_sqlite = run(SERVER, "--db", sqlite_db, "add-user", "--name", "hq", "--role", "counts")
sqlite_url = serve(["--db", sqlite_db])


def counts(url, token):
    req = urllib.request.Request(url + "/v1/counts", headers={"Authorization": "Bearer " + token})
    return {c["shelter"]: c for c in json.load(urllib.request.urlopen(req))}


pg_counts = counts(pg_urls[0], hq_pg)
check(pg_counts == counts(pg_urls[1], hq_pg), "both PostgreSQL server processes report the same counts")
check(pg_counts == counts(sqlite_url, hq_sqlite), "PostgreSQL and SQLite backends report identical counts")
check(sum(c["pets"]["total"] for c in pg_counts.values()) > 0, "pets are among the counts compared")
for shelter in ("tama-01", "tama-02"):
    # Each shelter's two kiosks pull each other's events; then a kiosk's own view equals the servers'.
    for name, db in kiosks.items():
        if name.startswith(shelter):
            subprocess.run([SYNC, "--db", db, "--server", pg_urls[0], "--once"], capture_output=True)
    kiosk = json.loads(run(CTL, "--db", kiosks[shelter + "-a"], "counts", "--shelter", shelter, "--json"))
    check(kiosk == pg_counts.get(shelter), f"{shelter}: the kiosk's counts equal the servers' "
                                           f"({kiosk.get('present')} present)")
finish()
