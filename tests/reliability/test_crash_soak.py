#!/usr/bin/env python3
"""Crash soak: kill -9 the kiosk's writer, the sync daemons and the server at
random (seeded) moments, ROUNDS times, while arrivals are committed and
synced. Afterwards every SQLite file passes PRAGMA integrity_check, every
arrival that was acknowledged (printed after its commit) is in its kiosk's
file, and after a clean re-sync the server holds each kiosk event exactly
once, with counts equal to the kiosks'.

usage: test_crash_soak.py BUILD_DIR      ROUNDS=200 (CI) / ROUNDS=3000 (soak), SEED=n
"""
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
from harness import binaries, check, finish, free_port, procs, run, start_server as start, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
WRITER = os.path.join(BUILD, "tests", "reliability", "crash_writer")
ROUNDS = int(os.environ.get("ROUNDS", "200"))
SEED = int(os.environ.get("SEED", "42"))
rng = random.Random(SEED)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
STORE = ["--db", os.path.join(work, "server.db")]
KIOSKS = {"k-a": "s-a", "k-b": "s-b"}


def db(k):
    return os.path.join(work, k + ".db")


server = start(SERVER, STORE, PORT, os.path.join(work, "server.log"))
for k, s in KIOSKS.items():
    run(CTL, "--db", db(k), "init", "--shelter", s, "--device", k)
    run(SYNC, "--db", db(k), "--server", URL, "--enrol", run(SERVER, *STORE, "enrol-code", "--shelter", s, "--device", k))

acked = {k: set() for k in KIOSKS}
writers, daemons = {}, {}


def start_writer(k):
    p = subprocess.Popen([WRITER, db(k)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs.append(p)

    def read():
        for line in p.stdout:
            acked[k].add(line.strip())
    threading.Thread(target=read, daemon=True).start()
    writers[k] = p


def start_daemon(k):
    p = subprocess.Popen([SYNC, "--db", db(k), "--server", URL, "--interval", "1", "--max-backoff", "1",
                          "--batch", "50"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    daemons[k] = p


def kill(p):
    p.kill()
    p.wait()


for k in KIOSKS:
    start_writer(k)
    start_daemon(k)
kills = {"writer": 0, "daemon": 0, "server": 0}
t0 = time.time()
for _ in range(ROUNDS):
    time.sleep(rng.uniform(0.005, 0.08))
    what = rng.choices(["writer", "daemon", "server"], weights=[6, 3, 1])[0]
    kills[what] += 1
    k = rng.choice(list(KIOSKS))
    if what == "writer":
        kill(writers[k])
        start_writer(k)
    elif what == "daemon":
        kill(daemons[k])
        start_daemon(k)
    else:
        kill(server)
        server = start(SERVER, STORE, PORT, os.path.join(work, "server.log"))
soak_s = time.time() - t0
for k in KIOSKS:
    kill(writers[k])
    kill(daemons[k])
time.sleep(0.2)  # the readers drain what was printed before the kill
total_acked = sum(len(a) for a in acked.values())
print(f"crash soak: {ROUNDS} kill -9 in {soak_s:.1f} s ({kills}); {total_acked} acknowledged arrivals", flush=True)
check(kills["writer"] > 0 and kills["daemon"] > 0 and kills["server"] > 0, "writers, daemons and the server were killed")

for k in KIOSKS:
    c = sqlite3.connect(db(k))
    check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"{k}: integrity_check ok after the kills")
    stored = {r[0] for r in c.execute("SELECT person_id FROM event WHERE type = 'arrived'")}
    c.close()
    missing = acked[k] - stored
    check(not missing, f"{k}: all {len(acked[k])} acknowledged arrivals are in the file ({len(missing)} missing)")

# A clean round for each kiosk: everything pushed, then pulled.
for _ in range(2):
    for k in KIOSKS:
        r = subprocess.run([SYNC, "--db", db(k), "--server", URL, "--once", "--batch", "2000"], capture_output=True,
                           text=True)
        check(r.returncode == 0, f"{k}: a clean sync round succeeds {r.stderr.strip()[-120:]}")
kill(server)
s = sqlite3.connect(os.path.join(work, "server.db"))
check(s.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "server: integrity_check ok after the kills")
ids = [r[0] for r in s.execute("SELECT id FROM event")]
check(len(ids) == len(set(ids)), "the server holds no event twice")
for k, shelter in KIOSKS.items():
    c = sqlite3.connect(db(k))
    mine = {r[0] for r in c.execute("SELECT id FROM event WHERE device_id = ?", (k,))}
    c.close()
    on_server = {r[0] for r in s.execute("SELECT id FROM event WHERE device_id = ?", (k,))}
    check(mine == on_server, f"{k}: the server holds exactly its {len(mine)} events")
    kiosk_counts = json.loads(run(CTL, "--db", db(k), "counts", "--json"))
    server_counts = json.loads(run(CTL, "--db", os.path.join(work, "server.db"), "counts", "--shelter", shelter,
                                   "--json"))
    check(kiosk_counts == server_counts, f"{k}: counts equal on the kiosk and the server")
s.close()
finish()
