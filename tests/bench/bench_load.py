#!/usr/bin/env python3
"""Load: KIOSKS simulated kiosks (default 50), each pushing RATE check-ins a
minute (default 200) to one shelter-server, one push per check-in (the
worst case: a daemon normally batches), for SECONDS (default 180), while
headquarters reads the counts twice a second. Prints push and counts
latency (p50/p99), the server's CPU and peak memory, and checks that every
event arrived exactly once.

usage: bench_load.py BUILD_DIR [--kiosks N] [--rate PER_MIN] [--seconds S]
       (SHELTER_PG_URL: the PostgreSQL backend; tests/sync/with_postgres.sh starts one)
"""
import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
from harness import check, finish, free_port, run, start_server, work  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--kiosks", type=int, default=50)
ap.add_argument("--rate", type=float, default=200)
ap.add_argument("--seconds", type=float, default=180)
ap.add_argument("--signin-flood", type=int, default=0,
                help="threads sending wrong dashboard sign-ins as fast as they can during the load")
args = ap.parse_args()
SERVER = os.path.join(args.build, "sync", "shelter-server")
PG = os.environ.get("SHELTER_PG_URL", "")
STORE = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
server = start_server(SERVER, STORE, PORT, os.path.join(work, "server.log"))
hq = run(SERVER, *STORE, "add-user", "--name", "hq-load", "--role", "counts")
subprocess.run([SERVER, *STORE, "add-user", "--name", "hq-desk", "--role", "counts", "--password-stdin"],
               input="correct horse battery\n", text=True, capture_output=True, check=True)


def sign_in(name, password):
    """(status, ms) of one dashboard sign-in."""
    req = urllib.request.Request(URL + "/v1/login", data=json.dumps({"name": name, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - t0) * 1000


# A wrong password for a real name and any password for a made-up one cost
# the same (both hash), so names cannot be probed by timing.
known = [sign_in("hq-desk", "wrong password")[1]]
unknown = [sign_in("no-such-user", "wrong password")[1]]
print(f"sign-in: wrong password for a real name {known[0]:.0f} ms, unknown name {unknown[0]:.0f} ms")


def post(path, body, token):
    req = urllib.request.Request(URL + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


tokens = {}
for i in range(args.kiosks):
    dev = f"load-{i:02d}"
    code = run(SERVER, *STORE, "enrol-code", "--shelter", f"shelter-{i % 10}", "--device", dev)
    tokens[dev] = post("/v1/enrol", {"code": code, "device": dev}, "")["token"]

stop = time.time() + args.seconds
push_ms, count_ms, errors, abandoned = [], [], [], []
sent = {dev: [] for dev in tokens}
lock = threading.Lock()


def kiosk(dev, token, seed):
    rng = random.Random(seed)
    seq, last_hlc = 0, 0
    interval = 60.0 / args.rate
    next_at = time.time() + rng.uniform(0, interval)
    while True:
        now = time.time()
        if now >= stop:
            return
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        seq += 1
        hlc = max(int(time.time() * 1000) << 16, last_hlc + 1)
        last_hlc = hlc
        person = "%016x" % rng.getrandbits(64)
        event = {"id": f"{dev}.{hlc:016x}", "type": "arrived", "person": person, "household": person,
                 "shelter": f"shelter-{int(dev[-2:]) % 10}", "device": dev, "seq": seq, "author": "self", "hlc": hlc,
                 "body": {"name": f"負荷 {seq}", "birth": str(1930 + seq % 90), "sex": "MF"[seq % 2],
                          "stay": "shelter"}}
        t0 = time.perf_counter()
        for attempt in range(5):  # as the daemon: the same batch again after an error
            try:
                reply = post("/v1/push", {"v": 1, "device": dev, "events": [event]}, token)
                break
            except (urllib.error.URLError, OSError) as e:
                with lock:
                    errors.append(str(e))
                time.sleep(0.2)
        else:
            with lock:
                abandoned.append(event["id"])
            continue
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            push_ms.append(ms)
            if reply.get("ack") == [event["id"]]:
                sent[dev].append(event["id"])


def headquarters():
    while time.time() < stop:
        t0 = time.perf_counter()
        req = urllib.request.Request(URL + "/v1/counts", headers={"Authorization": "Bearer " + hq})
        with urllib.request.urlopen(req, timeout=30) as r:
            json.load(r)
        with lock:
            count_ms.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.5)


flood = {}


def sign_in_flood(n):
    rng = random.Random(1000 + n)
    while time.time() < stop:
        status, _ = sign_in(f"guess-{rng.getrandbits(32):08x}", "hunter2")
        with lock:
            flood[status] = flood.get(status, 0) + 1


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


cpu0, t_start = cpu_seconds(server.pid), time.time()
threads = [threading.Thread(target=kiosk, args=(dev, tok, n)) for n, (dev, tok) in enumerate(tokens.items())]
threads.append(threading.Thread(target=headquarters))
threads += [threading.Thread(target=sign_in_flood, args=(n,)) for n in range(args.signin_flood)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - t_start
cpu = cpu_seconds(server.pid) - cpu0
status = open(f"/proc/{server.pid}/status").read()
hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


total = sum(len(v) for v in sent.values())
print(f"load: {args.kiosks} kiosks x {args.rate:.0f} check-ins/min for {elapsed:.0f} s, backend "
      f"{'PostgreSQL' if PG else 'SQLite'}: {total} events acknowledged ({total / elapsed:.0f}/s)")
print(f"push latency p50 {pct(push_ms, 0.5):.1f} ms, p99 {pct(push_ms, 0.99):.1f} ms, max {max(push_ms):.0f} ms; "
      f"counts (HQ) p50 {pct(count_ms, 0.5):.1f} ms, p99 {pct(count_ms, 0.99):.1f} ms ({len(count_ms)} reads)")
print(f"server CPU {100 * cpu / elapsed:.0f}% of one core, peak RSS {hwm:.0f} MB; {len(errors)} retried pushes")
if args.signin_flood:
    print(f"sign-in flood: {args.signin_flood} threads, {sum(flood.values())} tries answered "
          f"{dict(sorted(flood.items()))} (401 wrong, 429 waiting, 503 busy)")
server.terminate()
server.wait()
if PG:
    out = subprocess.run(["psql", PG, "-Atc", "SELECT id FROM event"], capture_output=True, text=True, check=True).stdout
    ids = out.split()
else:
    c = sqlite3.connect(os.path.join(work, "server.db"))
    ids = [r[0] for r in c.execute("SELECT id FROM event")]
    c.close()
want = {i for v in sent.values() for i in v}
check(len(ids) == len(set(ids)), "the server holds no event twice")
check(want <= set(ids), f"every acknowledged event is on the server ({len(want - set(ids))} missing)")
extra = set(ids) - want - set(abandoned)
check(not extra, f"and nothing that was not sent ({len(extra)} extra; {len(abandoned)} pushes abandoned after 5 tries)")
expected_rate = args.kiosks * args.rate / 60
check(total >= 0.8 * expected_rate * elapsed, f"the server kept up: {total} of ~{expected_rate * elapsed:.0f} offered")
finish()
