#!/usr/bin/env python3
"""The network edge under everything at once: KIOSKS kiosks (default 50)
push check-ins over HTTPS through the packaged nginx site
(deploy/nginx/shelter-checkin.conf, run as shipped by tests/security/
edge.py) to one shelter-server (SQLite) while, from one attacker address,
SLOW slowloris connections (default 200, re-opened whenever nginx closes
them) dribble header lines, a sender posts gzip bombs (1 MB → 1 GiB) to
/v1/login and /v1/push, and a few threads send wrong sign-ins as fast as
they can; a health prober on its own address checks /v1/health five
times a second.

Each kiosk pushes RATE check-ins a minute (default 200), one per push, as
bench_load.py does, on one persistent HTTPS connection from its own
loopback address (127.0.1.N), so nginx's per-address limits see 50
shelters, not one client.

Prints /v1/health and push latency (p50/p99; a push's retries included,
a probe not answered 200 counted as 10 s), shelter-server's peak RSS
(VmHWM, reset when the load starts: the start-up hash is not counted),
nginx workers' RSS, what each attacker and the kiosks were answered, how
many 503s nginx gave because the upstream's max_conns were all in use and
shelter-server's own time per request (nginx's access log), and this
script's CPU (Python's ssl is bound to one core by the GIL: near 100 %
means the figures are the client's, not the server's). Checks: health p99
< 1 s, push p99 < 1 s, server RSS < 300 MB, every acknowledged event
stored exactly once (the SQLite database, read after the server stops),
slowloris connections closed by nginx within 15 s.

--signin-addresses N spreads the sign-in flood over N addresses (a
botnet: the per-address limits do not hold it back); SHELTER_EDGE_SITE=FILE
runs a changed site instead of the packaged one (tests/security/edge.py).

usage: bench_edge.py BUILD_DIR [--seconds S] [--kiosks N] [--slow N] [--rate PER_MIN] [--flooders N]
                     [--signin-addresses N] [--bomb-every S]
"""
import argparse
import http.client
import json
import os
import random
import select
import sqlite3
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
sys.path.insert(0, os.path.join(HERE, "..", "security"))
from harness import check, finish, free_port, work  # noqa: E402
import edge  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--kiosks", type=int, default=50)
ap.add_argument("--slow", type=int, default=200, help="slowloris connections kept open")
ap.add_argument("--rate", type=float, default=200, help="check-ins a minute per kiosk")
ap.add_argument("--flooders", type=int, default=3, help="threads sending wrong sign-ins")
ap.add_argument("--signin-addresses", type=int, default=1,
                help="addresses the sign-in flood comes from (1: the attacker's; more: 127.0.2.1 on, a botnet)")
ap.add_argument("--bomb-every", type=float, default=0.2, help="seconds between gzip bombs (0: none)")
args = ap.parse_args()
if args.kiosks > 250:
    raise SystemExit("--kiosks: at most 250 (one loopback address each, 127.0.1.1-250)")
if not 1 <= args.signin_addresses <= 2000:
    raise SystemExit("--signin-addresses: 1 to 2000 (127.0.2.1 on)")

SERVER = os.path.join(args.build, "sync", "shelter-server")
DB = os.path.join(work, "server.db")
STORE = ["--db", DB]
PORT = free_port()
server = edge.start_server(SERVER, STORE, PORT, os.path.join(work, "server.log"))
TLS = edge.make_tls(os.path.join(work, "tls"))
EDGE = edge.Edge(TLS, free_port(), PORT, prefix=os.path.join(work, "nginx"))
CTX = edge.client_context(TLS)
ATTACKER = "127.0.0.1"  # slowloris, bombs, sign-in flood: one address
PROBER = "127.0.0.4"    # headquarters' monitoring


def connection(source, timeout=30):
    return http.client.HTTPSConnection("127.0.0.1", EDGE.port, context=CTX, timeout=timeout,
                                       source_address=(source, 0))


def once(method, path, body=None, headers=None, source=ATTACKER, timeout=30):
    """(status, body) of one request on a new connection; status is an
    exception's name if there was no answer."""
    c = connection(source, timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, ssl.SSLError, http.client.HTTPException) as e:
        return type(e).__name__, b""
    finally:
        c.close()


def kiosk_address(i):
    return f"127.0.1.{i + 1}"


def enrol(device, shelter, source):
    code = subprocess.run([SERVER, *STORE, "enrol-code", "--shelter", shelter, "--device", device],
                          capture_output=True, text=True, check=True).stdout.strip()
    status, body = once("POST", "/v1/enrol", json.dumps({"code": code, "device": device}).encode(),
                        {"Content-Type": "application/json"}, source=source)
    if status != 200:
        raise SystemExit(f"enrol {device}: {status} {body[:200]!r}")
    return json.loads(body)["token"]


tokens = {f"load-{i:02d}": enrol(f"load-{i:02d}", f"shelter-{i % 10}", kiosk_address(i)) for i in range(args.kiosks)}
stolen = enrol("stolen-00", "shelter-0", ATTACKER)  # a compromised kiosk's token, for the bombs
print(f"edge on {EDGE.port}, server on {PORT}, {len(tokens)} kiosks enrolled; building the gzip bomb", flush=True)
BOMB = edge.gzip_bomb(1 << 30)

lock = threading.Lock()
push_ms, health_ms, abandoned = [], [], []
sent = {dev: [] for dev in tokens}
answers = {"push": {}, "health": {}, "bomb": {}, "signin": {}, "slowloris": {}}
slow_lived = []


def count(who, status, n=1):
    with lock:
        answers[who][status] = answers[who].get(status, 0) + n


start_at = time.time() + 1
stop = start_at + args.seconds


def kiosk(i, dev, token):
    rng = random.Random(i)
    shelter = f"shelter-{i % 10}"
    seq, last_hlc = 0, 0
    interval = 60.0 / args.rate
    c = connection(kiosk_address(i))
    next_at = start_at + rng.uniform(0, interval)
    while True:
        now = time.time()
        if now >= stop:
            break
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        seq += 1
        hlc = max(int(time.time() * 1000) << 16, last_hlc + 1)
        last_hlc = hlc
        person = "%016x" % rng.getrandbits(64)
        event = {"id": f"{dev}.{hlc:016x}", "type": "arrived", "person": person, "household": person,
                 "shelter": shelter, "device": dev, "seq": seq, "author": "self", "hlc": hlc,
                 "body": {"name": f"負荷 {seq}", "birth": str(1930 + seq % 90), "sex": "MF"[seq % 2],
                          "stay": "shelter"}}
        body = json.dumps({"v": 1, "device": dev, "events": [event]}).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        t0 = time.perf_counter()
        reply = None
        for attempt in range(5):  # as the daemon: the same batch again after an error
            try:
                c.request("POST", "/v1/push", body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                count("push", r.status)
                if r.status == 200:
                    reply = json.loads(data)
                    break
                if r.will_close:
                    c.close()
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                count("push", type(e).__name__)
                c.close()  # http.client reconnects on the next request
            time.sleep(0.2)
        if reply is None:
            with lock:
                abandoned.append(event["id"])
            continue
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            push_ms.append(ms)
            if reply.get("ack") == [event["id"]]:
                sent[dev].append(event["id"])
    c.close()


def prober():
    while time.time() < start_at:
        time.sleep(0.01)
    while time.time() < stop:
        t0 = time.perf_counter()
        status, _ = once("GET", "/v1/health", source=PROBER, timeout=10)
        ms = (time.perf_counter() - t0) * 1000
        count("health", status)
        with lock:
            health_ms.append(ms if status == 200 else 10000.0)
        time.sleep(0.2)


def bomber():
    n = 0
    while time.time() < stop:
        t0 = time.time()
        path = ("/v1/login", "/v1/push")[n % 2]
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        if path == "/v1/push":
            headers["Authorization"] = "Bearer " + stolen
        status, _ = once("POST", path, BOMB, headers)
        count("bomb", f"{path} {status}")
        n += 1
        time.sleep(max(0.0, args.bomb_every - (time.time() - t0)))


def flood_address(i):
    return ATTACKER if args.signin_addresses == 1 else f"127.0.{2 + i // 250}.{1 + i % 250}"


def flooder(n):
    """Wrong sign-ins as fast as one thread sends them, round robin over
    this thread's share of the flood's addresses (a connection each)."""
    rng = random.Random(1000 + n)
    mine = [connection(flood_address(i)) for i in range(n, args.signin_addresses, args.flooders)]
    k = 0
    while time.time() < stop and mine:
        c = mine[k % len(mine)]
        k += 1
        body = json.dumps({"name": f"guess-{rng.getrandbits(32):08x}", "password": "hunter2"}).encode()
        try:
            c.request("POST", "/v1/login", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            count("signin", r.status)
            if r.will_close:
                c.close()
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            count("signin", type(e).__name__)
            c.close()
    for c in mine:
        c.close()


def slowloris():
    """SLOW connections, each sending a header line every 2 s and never the
    end of its header; one that nginx closes is opened again."""
    conns = {}  # socket → [opened, next line at, lines]

    def open_one():
        try:
            s = edge.tls_connect(EDGE.port, CTX, source=ATTACKER, timeout=2)
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        except (OSError, ssl.SSLError) as e:
            count("slowloris", f"open failed: {type(e).__name__}")
            return
        now = time.time()
        conns[s] = [now, now + 2, 0]
        count("slowloris", "opened")

    def closed(s, how):
        opened = conns.pop(s)[0]
        s.close()
        count("slowloris", how)
        with lock:
            slow_lived.append(time.time() - opened)

    while time.time() < stop:
        while len(conns) < args.slow and time.time() < stop:
            open_one()
        wake = min(v[1] for v in conns.values()) if conns else time.time() + 0.1
        readable = select.select(list(conns), [], [], max(0.0, min(wake, stop) - time.time()))[0]
        for s in readable:
            got = edge.answer_waiting(s)
            if got == b"":
                closed(s, "closed by nginx")
            elif got:
                count("slowloris", "answered")
        now = time.time()
        for s, v in list(conns.items()):
            if v[1] <= now:
                v[2] += 1
                try:
                    s.sendall(b"X-Slow-%d: %d\r\n" % (v[2], v[2]))
                    v[1] = now + 2
                except (OSError, ssl.SSLError):
                    closed(s, "closed by nginx")
    for s in list(conns):
        s.close()


def workers_memory():
    return {pid: edge.proc_memory_mb(pid) for pid in EDGE.workers()}


threads = [(kiosk, (i, dev, tok)) for i, (dev, tok) in enumerate(tokens.items())]
threads += [(prober, ()), (slowloris, ())] + ([(bomber, ())] if args.bomb_every > 0 else [])
threads += [(flooder, (n,)) for n in range(args.flooders)]
# Daemon threads: a stopped benchmark (SIGTERM, ^C) exits without waiting
# for them, and its atexit handlers stop nginx and the server.
threads = [threading.Thread(target=fn, args=a, daemon=True) for fn, a in threads]
edge.reset_peak_memory(server.pid)
for pid in EDGE.workers():
    edge.reset_peak_memory(pid)
cpu0 = os.times()
for t in threads:
    t.start()
peak_workers = {}
while any(t.is_alive() for t in threads):
    for pid, (rss, _) in workers_memory().items():
        peak_workers[pid] = max(peak_workers.get(pid, 0), rss)
    time.sleep(1)
for t in threads:
    t.join()
cpu1 = os.times()
elapsed = time.time() - start_at
client_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed
server_rss, server_hwm = edge.proc_memory_mb(server.pid)
workers = workers_memory()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def tally(d):
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: str(kv[0])))


total = sum(len(v) for v in sent.values())
offered = args.kiosks * args.rate / 60 * args.seconds
bombs = f"a gzip bomb every {args.bomb_every} s" if args.bomb_every > 0 else "no gzip bombs"
print(f"edge: {args.kiosks} kiosks x {args.rate:.0f} check-ins/min for {elapsed:.0f} s over TLS through nginx, while "
      f"{args.slow} slowloris connections, {bombs} and {args.flooders} sign-in flooders attack")
print(f"  {total} events acknowledged of ~{offered:.0f} offered ({total / elapsed:.0f}/s); {len(abandoned)} pushes "
      f"abandoned after 5 tries")
print(f"  /v1/health p50 {pct(health_ms, 0.5):.1f} ms, p99 {pct(health_ms, 0.99):.1f} ms, max "
      f"{max(health_ms, default=0):.0f} ms ({len(health_ms)} probes: {tally(answers['health'])})")
print(f"  push p50 {pct(push_ms, 0.5):.1f} ms, p99 {pct(push_ms, 0.99):.1f} ms, max {max(push_ms, default=0):.0f} ms "
      f"(answers: {tally(answers['push'])})")
print(f"  shelter-server peak RSS {server_hwm:.0f} MB (now {server_rss:.0f} MB); nginx workers' RSS (peak): "
      + ", ".join(f"{rss:.0f} MB ({max(hwm, peak_workers.get(pid, 0)):.0f} MB)"
                  for pid, (rss, hwm) in sorted(workers.items())))
print(f"  gzip bombs ({len(BOMB) / 1e6:.1f} MB → 1 GiB): {tally(answers['bomb'])}")
print(f"  sign-in flood from {args.signin_addresses} address(es): {tally(answers['signin'])}")
lived = sorted(slow_lived)
print(f"  slowloris: {tally(answers['slowloris'])}; a connection lived "
      f"{pct(lived, 0):.1f}–{pct(lived, 1):.1f} s (median {pct(lived, 0.5):.1f} s)")
print(f"  this client used {100 * client_cpu:.0f}% of one core"
      + (" (near the GIL's one core: the figures may be the client's limit)" if client_cpu > 0.85 else ""))

EDGE.stop()
# Why nginx answered 503: every one of the upstream's max_conns in use
# ("no live upstreams"), or shelter-server itself; and how long
# shelter-server took for what it was given (the access log's urt=).
full = open(EDGE.error_log, errors="replace").read().count("no live upstreams")
upstream = []
for line in open(EDGE.access_log, errors="replace"):
    urt = line.rpartition(" urt=")[2].split(" ")[0]
    if urt.replace(".", "").isdigit():
        upstream.append(float(urt) * 1000)
print(f"  nginx: {full} request(s) answered 503 because all of the upstream's max_conns were in use; "
      f"shelter-server's time per request p50 {pct(upstream, 0.5):.1f} ms, p99 {pct(upstream, 0.99):.1f} ms, "
      f"max {max(upstream, default=0):.0f} ms ({len(upstream)} requests)")
server.terminate()
server.wait()
c = sqlite3.connect(DB)
ids = [r[0] for r in c.execute("SELECT id FROM event")]
c.close()
want = {i for v in sent.values() for i in v}
# A probe answered anything but 200 counts as 10 s: the edge said the server was not there.
unhealthy = sum(n for st, n in answers["health"].items() if st != 200)
check(pct(health_ms, 0.99) < 1000, f"/v1/health p99 under 1 s ({pct(health_ms, 0.99):.0f} ms; "
      f"{unhealthy} of {len(health_ms)} probes not answered 200)")
busy = sum(n for st, n in answers["push"].items() if st != 200)
check(pct(push_ms, 0.99) < 1000, f"push p99 under 1 s, retries included ({pct(push_ms, 0.99):.0f} ms; "
      f"{busy} tries not answered 200)")
check(server_hwm < 300, f"shelter-server's RSS under 300 MB (peak {server_hwm:.0f} MB)")
check(len(ids) == len(set(ids)), "the server holds no event twice")
check(want <= set(ids), f"every acknowledged event is on the server ({len(want - set(ids))} missing)")
extra = set(ids) - want - set(abandoned)
check(not extra, f"and nothing that was not sent ({len(extra)} extra)")
if args.slow:
    check(answers["slowloris"].get("answered", 0) == 0 and lived and pct(lived, 1) <= 15,
          f"slowloris connections got nothing and were closed within 15 s ({len(lived)} closed)")
finish()
