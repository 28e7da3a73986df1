#!/usr/bin/env python3
"""kill -9 of the daemon and of the server in the middle of batches, again and
again, while a kiosk with a backlog of 3000 arrivals catches up; then one
clean round. Nothing acknowledged is lost, nothing is doubled: the server
holds each event exactly once and its counts equal the kiosk's.

usage: test_sync_kill.py BUILD_DIR
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, procs, run, start_server as start, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
random.seed(int(os.environ.get("SEED", "7")))


PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
server_db = os.path.join(work, "server.db")
kiosk_db = os.path.join(work, "kiosk.db")


def start_server():
    return start(SERVER, ["--db", server_db], PORT)


# A kiosk whose own log holds 3000 arrivals (written as an export file of
# its own device and imported: much faster than 3000 shelterctl calls).
run(CTL, "--db", kiosk_db, "init", "--shelter", "tama-01", "--device", "tama-01-a")
N = 3000
hlc0 = int(time.time() * 1000) << 16
lines = [json.dumps({"shelter_checkin_export": 1, "device": "tama-01-a", "shelter": "tama-01", "events": N}) + "\n"]
for i in range(N):
    hlc = hlc0 + (i << 16)
    person = hashlib.sha256(f"p{i}".encode()).hexdigest()[:16]
    lines.append(json.dumps({"id": f"tama-01-a.{hlc:016x}", "type": "arrived", "person": person,
                             "household": person, "shelter": "tama-01", "device": "tama-01-a", "seq": i + 1,
                             "author": "self", "hlc": hlc,
                             "body": {"name": f"避難者 {i}", "birth": str(1930 + i % 90), "sex": "MF"[i % 2],
                                      "stay": "shelter"}}, ensure_ascii=False) + "\n")
body = "".join(lines)
lines.append(json.dumps({"blake2b": hashlib.blake2b(body.encode(), digest_size=32).hexdigest()}) + "\n")
backlog = os.path.join(work, "backlog.jsonl")
open(backlog, "w").write("".join(lines))
run(CTL, "--db", kiosk_db, "import", "--unsigned", backlog)  # version 1: the quick way to fill a log

server = start_server()
code = run(SERVER, "--db", server_db, "enrol-code", "--shelter", "tama-01", "--device", "tama-01-a")
run(SYNC, "--db", kiosk_db, "--server", URL, "--enrol", code)

kills = {"daemon": 0, "server": 0}
for round_ in range(12):
    daemon = subprocess.Popen([SYNC, "--db", kiosk_db, "--server", URL, "--batch", "10", "--interval", "1",
                               "--max-backoff", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(daemon)
    time.sleep(random.uniform(0.05, 0.4))
    if random.random() < 0.5:
        server.kill()  # kill -9: mid-batch, a reply may be lost after the commit
        server.wait()
        kills["server"] += 1
        time.sleep(random.uniform(0.05, 0.2))
        server = start_server()
        time.sleep(random.uniform(0.05, 0.3))
    daemon.kill()
    daemon.wait()
    kills["daemon"] += 1

pushed = run("sqlite3", kiosk_db, "SELECT value FROM meta WHERE key='sync_pushed_seq'")
print(f"     after the kills the kiosk had pushed up to log position {pushed or 0} of {N}")
r = subprocess.run([SYNC, "--db", kiosk_db, "--server", URL, "--once"], capture_output=True, text=True)
check(r.returncode == 0, f"a clean round after {kills['daemon']} daemon and {kills['server']} server kills: {r.stderr.strip()}")
stored = run("sqlite3", server_db, "SELECT count(*), count(DISTINCT id) FROM event WHERE device_id='tama-01-a'")
check(stored == f"{N}|{N}", f"the server holds each of the {N} events exactly once: {stored}")
token = run(SERVER, "--db", server_db, "add-user", "--name", "t", "--role", "counts")
req = urllib.request.Request(URL + "/v1/counts?shelter=tama-01", headers={"Authorization": "Bearer " + token})
server_counts = json.load(urllib.request.urlopen(req))[0]
kiosk_counts = json.loads(run(CTL, "--db", kiosk_db, "counts", "--json"))
strip = lambda c: {k: v for k, v in c.items() if k != "shelter"}
check(server_counts["present"] == N and strip(server_counts) == strip(kiosk_counts),
      f"server counts equal the kiosk's ({server_counts['present']} present)")
check(run("sqlite3", server_db, "PRAGMA integrity_check") == "ok", "the server's database is intact")
check(run("sqlite3", kiosk_db, "PRAGMA integrity_check") == "ok", "the kiosk's database is intact")
finish()
