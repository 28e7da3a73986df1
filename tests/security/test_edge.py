#!/usr/bin/env python3
"""The municipal server's network edge under attack (issue 20,
docs/security.md "The network edge").

shelter-server listens on loopback behind the packaged nginx site
(deploy/nginx/shelter-checkin.conf, run as shipped by edge.py with only
its paths and ports moved) and a throwaway city CA (deploy/shelter-tls).
The suite plays the attacker over HTTPS against the edge and checks that
each attack is refused where the package says it is, with a JSON reason,
while the server stays small and answers health checks at once:

- baseline: HTTPS with the city CA, /city-ca.pem, plain HTTP to the TLS
  port refused (400 JSON), a client without the CA refused, the dashboard's
  HSTS and frame-ancestors;
- a gzip bomb (1 MB → 1 GiB, 4 MB → 4 GiB) to /v1/login and /v1/push: 413,
  the server's peak RSS under 100 MB;
- a 200 MB chunked body: 413 once nginx has read ~8 MiB, not 200 MB;
- 100 MB declared in Content-Length: 413 at once; JSON nested 100000 deep:
  400;
- slowloris: 100 TLS connections sending a header line every 2 s, closed
  by nginx after client_header_timeout (10 s), while /v1/health answers in
  under a second;
- a sign-in flood from one address: 429 with JSON, health stays fast, a
  right sign-in from another address (127.0.0.2) still works;
- kiosks: shelter-sync refuses plain HTTP to another machine and says why;
  `shelterctl enrol --ca-sha256` pins the CA and the kiosk syncs over
  HTTPS; a wrong fingerprint enrols nothing; a server whose certificate is
  from another CA gets nothing pushed.

Needs nginx (/usr/sbin/nginx, or NGINX=...), openssl, and root or a user
who may bind 127.0.0.2. One line per check (ok / FAIL); exit 1 on a FAIL.

usage: test_edge.py BUILD_DIR
"""
import http.client
import json
import os
import select
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
sys.path.insert(0, HERE)
from harness import binaries, check, finish, free_port, secrets_of, work  # noqa: E402
import edge  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
if not os.path.exists(edge.NGINX):
    raise SystemExit(f"{edge.NGINX} is missing (apt install nginx-light)")
T0 = time.time()
PORT = free_port()
DB = os.path.join(work, "server.db")
STORE = ["--db", DB]
LOG = os.path.join(work, "server.log")
server = edge.start_server(SERVER, STORE, PORT, LOG)
TLS = edge.make_tls(os.path.join(work, "tls"))
EDGE = edge.Edge(TLS, free_port(), PORT, prefix=os.path.join(work, "nginx"))
URL = EDGE.url()
CTX = edge.client_context(TLS)
CA_PEM = open(os.path.join(TLS, "ca.pem"), "rb").read()
LEAD_PIN = "246813\n"


# --- clients ----------------------------------------------------------------

def https(method, path, body=None, headers=None, source="127.0.0.1", port=None, timeout=30, ctx=None):
    """One request on a fresh HTTPS connection: (status, headers, body, seconds)."""
    t0 = time.perf_counter()
    c = http.client.HTTPSConnection("127.0.0.1", port or EDGE.port, context=ctx or CTX, timeout=timeout,
                                    source_address=(source, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, r.headers, data, time.perf_counter() - t0
    finally:
        c.close()


def health(source="127.0.0.1"):
    """(status, seconds) of GET /v1/health on a new connection (TLS handshake included)."""
    try:
        status, _, _, secs = https("GET", "/v1/health", source=source, timeout=10)
        return status, secs
    except (OSError, ssl.SSLError, http.client.HTTPException) as e:
        return f"{type(e).__name__}", 10.0


def error_of(data):
    """The "error" of a JSON refusal, or None if the body is not one."""
    try:
        j = json.loads(data)
    except ValueError:
        return None
    return j.get("error") if isinstance(j, dict) else None


def server_memory():
    return edge.proc_memory_mb(server.pid)


def server_events(device):
    c = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM event WHERE id LIKE ?", (device + ".%",)).fetchone()[0]
    finally:
        c.close()


def server_cli(*args, stdin=None):
    r = subprocess.run([SERVER, *STORE, *args], capture_output=True, text=True, input=stdin)
    if r.returncode != 0:
        raise SystemExit(f"shelter-server {args}: {r.stderr}")
    return r.stdout.strip()


def ctl(db, *args, stdin=None):
    return subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True, input=stdin, timeout=60)


def sync(db, url, *extra):
    return subprocess.run([SYNC, "--db", db, "--server", url, "--once", *extra], capture_output=True, text=True,
                          timeout=60)


def alive_and_healthy(what):
    status, secs = health()
    check(server.poll() is None and status == 200 and secs < 1,
          f"{what}: the server is up and healthy ({status} in {secs * 1000:.0f} ms)")


# --- baseline ---------------------------------------------------------------

status, headers, data, secs = https("GET", "/v1/health")
check(status == 200 and json.loads(data).get("ok") is True,
      f"GET /v1/health over HTTPS with the city CA: {status} {data!r} in {secs * 1000:.0f} ms")
status, headers, data, _ = https("GET", "/city-ca.pem")
check(status == 200 and data == CA_PEM and headers.get("Content-Type") == "application/x-pem-file",
      f"/city-ca.pem serves the city CA ({status}, {headers.get('Content-Type')})")
try:
    https("GET", "/v1/health", ctx=ssl.create_default_context())
    check(False, "a client that does not trust the city CA is refused")
except ssl.SSLCertVerificationError as e:
    check(True, f"a client that does not trust the city CA is refused ({e.verify_message})")
plain = http.client.HTTPConnection("127.0.0.1", EDGE.port, timeout=10)
plain.request("GET", "/v1/health")
r = plain.getresponse()
data = r.read()
plain.close()
check(r.status == 400 and error_of(data) and "plain HTTP" in error_of(data),
      f"plain HTTP to the HTTPS port is refused: {r.status} {data[:80]!r}")
status, headers, data, _ = https("GET", "/")
csp, hsts = headers.get("Content-Security-Policy", ""), headers.get("Strict-Transport-Security", "")
check(status == 200 and b"<html" in data.lower() and "frame-ancestors 'none'" in csp and "max-age=" in hsts,
      f"the dashboard at / over HTTPS: {status}, HSTS {hsts!r}, frame-ancestors 'none'")

# --- a kiosk enrols with the city CA pinned ---------------------------------

FP = edge.fingerprint(TLS)
os.makedirs(os.path.join(work, "kiosk-a"))
os.makedirs(os.path.join(work, "kiosk-b"))
KIOSK = os.path.join(work, "kiosk-a", "tama-01-a.db")
KIOSK_CA = os.path.join(work, "kiosk-a", "city-ca.pem")
code = server_cli("enrol-code", "--shelter", "tama-01", "--device", "tama-01-a")
r = ctl(KIOSK, "enrol", "--shelter", "tama-01", "--device", "tama-01-a", "--name", "多摩第一小学校", "--server", URL,
        "--code", code, "--lead", "佐藤", "--ca-sha256", FP, stdin=LEAD_PIN)
check(r.returncode == 0 and os.path.exists(KIOSK_CA) and open(KIOSK_CA, "rb").read() == CA_PEM,
      f"shelterctl enrol --ca-sha256 over HTTPS: the kiosk keeps the city CA beside its database "
      f"({r.returncode}: {(r.stdout or r.stderr).strip()[:100]})")
TOKEN = secrets_of(KIOSK).get("sync_token", "")
r = ctl(KIOSK, "checkin", "--name", "多摩 一郎", "--birth", "1950")
check(r.returncode == 0, "a check-in on the kiosk")
r = sync(KIOSK, URL, "--ca-file", KIOSK_CA)
check(r.returncode == 0 and server_events("tama-01-a") > 0,
      f"shelter-sync --once over HTTPS with the pinned CA: exit {r.returncode}, "
      f"{server_events('tama-01-a')} event(s) on the server ({r.stderr.strip()[:80]})")

# A wrong fingerprint: nothing enrolled, the code still unused.
KIOSK_B = os.path.join(work, "kiosk-b", "tama-01-b.db")
code_b = server_cli("enrol-code", "--shelter", "tama-01", "--device", "tama-01-b")
wrong_fp = ":".join(["00"] * 32)
r = ctl(KIOSK_B, "enrol", "--shelter", "tama-01", "--device", "tama-01-b", "--server", URL, "--code", code_b,
        "--lead", "鈴木", "--ca-sha256", wrong_fp, stdin=LEAD_PIN)
nothing = not secrets_of(KIOSK_B).get("sync_token") and not os.path.exists(os.path.join(work, "kiosk-b", "city-ca.pem"))
check(r.returncode != 0 and nothing, f"--ca-sha256 with a wrong fingerprint is refused and enrols nothing "
      f"({r.returncode}: {r.stderr.strip()[:120]})")
r = ctl(KIOSK_B, "enrol", "--shelter", "tama-01", "--device", "tama-01-b", "--server", URL, "--code", code_b,
        "--lead", "鈴木", "--ca-sha256", FP, stdin=LEAD_PIN)
check(r.returncode == 0, f"the same code then enrols with the right fingerprint (it was not used): {r.returncode} "
      f"{r.stderr.strip()[:80]}")

# --- gzip bombs ---------------------------------------------------------------

for inflated, path in ((1 << 30, "/v1/login"), (4 << 30, "/v1/push")):
    bomb = edge.gzip_bomb(inflated)
    hdrs = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if path == "/v1/push":
        hdrs["Authorization"] = "Bearer " + TOKEN
    edge.reset_peak_memory(server.pid)  # the peak of this request alone
    status, headers, data, secs = https("POST", path, bomb, hdrs)
    rss, hwm = server_memory()
    check(status == 413 and error_of(data) is not None and hwm < 100,
          f"gzip bomb {len(bomb) / 1e6:.1f} MB → {inflated >> 30} GiB to {path}: {status} {data[:70]!r} in "
          f"{secs:.2f} s; server RSS {rss:.0f} MB, peak {hwm:.0f} MB")
    del bomb
alive_and_healthy("after the gzip bombs")

# --- a 200 MB chunked body ---------------------------------------------------

# Small chunks and a small send buffer: what is counted as sent is what
# nginx read, give or take the kernel's buffers (~100 KB on loopback).
FLOOD, CHUNK = 200 << 20, 16 << 10
s = edge.tls_connect(EDGE.port, CTX, sndbuf=16 << 10)
s.sendall(b"POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
          + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
piece = b"%x\r\n" % CHUNK + b" " * CHUNK + b"\r\n"
sent, t0, broke, got = 0, time.time(), None, None
while sent < FLOOD:
    got = edge.answer_waiting(s)
    if got is not None:
        break  # an answer, or the close
    try:
        s.sendall(piece)
    except (OSError, ssl.SSLError) as e:
        broke = type(e).__name__
        break
    sent += CHUNK
status, data = edge.read_answer(s, got or b"")
s.close()
check(status == 413 and error_of(data) is not None and sent <= 9 << 20,
      f"a 200 MB chunked body is refused at the limit: {status} {data[:60]!r} after {sent / 2**20:.1f} MiB sent "
      f"in {time.time() - t0:.1f} s{' (' + broke + ')' if broke else ''}")
alive_and_healthy("after the chunked flood")

# --- 100 MB announced ----------------------------------------------------------

s = edge.tls_connect(EDGE.port, CTX)
t0 = time.perf_counter()
s.sendall(b"POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
          + b"\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{\"v\":1,")
status, data = edge.read_answer(s, timeout=5)
secs = time.perf_counter() - t0
s.close()
check(status == 413 and error_of(data) is not None and secs < 1,
      f"Content-Length 100 MB with a few bytes sent: {status} {data[:60]!r} in {secs * 1000:.0f} ms")

# --- JSON nested 100000 deep ---------------------------------------------------

status, _, data, secs = https("POST", "/v1/push", b"[" * 100000,
                              {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN})
check(status == 400 and error_of(data) is not None, f"JSON nested 100000 deep to /v1/push: {status} {data[:70]!r}")
alive_and_healthy("after the deep JSON")

# --- slowloris ------------------------------------------------------------------

SLOW = 100
probes = []
stop_probing = threading.Event()


def prober():
    while not stop_probing.is_set():
        probes.append(health())
        stop_probing.wait(0.5)


conns = []  # [socket, opened, closed or None, bytes answered]
for i in range(SLOW):
    sk = edge.tls_connect(EDGE.port, CTX, timeout=0.5)
    sk.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    conns.append([sk, time.time(), None, 0])
probe = threading.Thread(target=prober, daemon=True)  # daemon: SIGTERM does not wait for it
probe.start()
next_line, line, until = time.time() + 2, 0, time.time() + 16
while time.time() < until and any(c[2] is None for c in conns):
    live = {c[0]: c for c in conns if c[2] is None}
    readable = select.select(list(live), [], [], max(0.0, min(next_line, until) - time.time()))[0]
    for sk in readable:
        c = live[sk]
        try:
            got = sk.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ssl.SSLError):
            got = b""
        c[3] += len(got)
        if not got:
            c[2] = time.time()
    if time.time() >= next_line:
        line += 1
        for c in conns:
            if c[2] is None:
                try:
                    c[0].sendall(b"X-Slow-%d: %d\r\n" % (line, line))
                except (OSError, ssl.SSLError):
                    c[2] = time.time()
        next_line += 2
stop_probing.set()
probe.join()
for c in conns:
    c[0].close()
lived = sorted(c[2] - c[1] for c in conns if c[2] is not None)
worst = max((secs for st, secs in probes), default=99)
check(len(probes) >= 10 and all(st == 200 for st, _ in probes) and worst < 1,
      f"during slowloris ({SLOW} connections, a header line every 2 s) /v1/health answered {len(probes)} times, "
      f"slowest {worst * 1000:.0f} ms ({sorted(set(str(st) for st, _ in probes))})")
check(len(lived) == SLOW and lived[-1] <= 15,
      f"nginx closed the slow connections after client_header_timeout: {len(lived)} of {SLOW} closed, "
      f"after {lived[0] if lived else 0:.1f}–{lived[-1] if lived else 0:.1f} s, "
      f"{sum(c[3] for c in conns)} bytes answered")
alive_and_healthy("after slowloris")

# --- a sign-in flood from one address -------------------------------------------

server_cli("add-user", "--name", "hq-desk", "--role", "counts", "--password-stdin", stdin="correct horse battery\n")
answers, during = [], []
lock = threading.Lock()


def flood(n):
    for i in range(15):
        body = json.dumps({"name": f"guess-{n}-{i}", "password": "hunter2"}).encode()
        try:
            status, headers, data, _ = https("POST", "/v1/login", body, {"Content-Type": "application/json"})
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            status, headers, data = type(e).__name__, {}, b""
        with lock:
            answers.append((status, headers.get("Retry-After") if headers else None, error_of(data)))


flooders = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(4)]
for t in flooders:
    t.start()
while any(t.is_alive() for t in flooders):
    during.append(health())
    time.sleep(0.1)
for t in flooders:
    t.join()
statuses = {}
for st, _, _ in answers:
    statuses[st] = statuses.get(st, 0) + 1
check(set(statuses) <= {401, 429} and statuses.get(429, 0) >= 40,
      f"60 wrong sign-ins from one address: {dict(sorted(statuses.items(), key=str))} (401 wrong, 429 waiting)")
check(all(e is not None for _, _, e in answers) and all(ra for st, ra, _ in answers if st == 429),
      "every refusal is JSON with an error, every 429 has Retry-After")
worst = max((secs for _, secs in during), default=99)
check(during and all(st == 200 for st, _ in during) and worst < 1,
      f"health during the flood: {len(during)} answers, slowest {worst * 1000:.0f} ms")
body = json.dumps({"name": "hq-desk", "password": "correct horse battery"}).encode()
status, _, data, secs = https("POST", "/v1/login", body, {"Content-Type": "application/json"}, source="127.0.0.2")
check(status == 200 and "token" in json.loads(data or b"{}"),
      f"a right sign-in from another address (127.0.0.2) works: {status} in {secs * 1000:.0f} ms")

# --- the kiosk's daemon against plain HTTP and a server of another CA ------------

r = sync(KIOSK, "http://192.0.2.10:8470")
check(r.returncode != 0 and "plain HTTP to another machine" in r.stderr,
      f"shelter-sync refuses http:// to another machine: exit {r.returncode}: {r.stderr.strip()[:110]}")

TLS2 = edge.make_tls(os.path.join(work, "tls-other"))
EDGE2 = edge.Edge(TLS2, free_port(), PORT, prefix=os.path.join(work, "nginx-other"))
ctl(KIOSK, "checkin", "--name", "多摩 二郎", "--birth", "1951")
before = server_events("tama-01-a")
r = sync(KIOSK, EDGE2.url(), "--ca-file", KIOSK_CA)
check(r.returncode != 0 and "not signed by the city CA" in r.stderr and "certificate" in r.stderr,
      f"a server whose certificate is of another CA: exit {r.returncode}: {r.stderr.strip()[:120]}")
check(server_events("tama-01-a") == before, "and nothing was pushed to it")
r = sync(KIOSK, URL, "--ca-file", KIOSK_CA)
check(r.returncode == 0 and server_events("tama-01-a") > before,
      f"the check-in goes to the real server afterwards ({before} → {server_events('tama-01-a')})")
EDGE2.stop()

alive_and_healthy("at the end")
rss, hwm = server_memory()
# Two sign-in hashes at once (the server's limit) take 64 MiB each: the flood above.
check(hwm < 200, f"shelter-server's peak RSS since the gzip bombs, sign-in hashes included: {hwm:.0f} MB")
errors = [ln for ln in open(EDGE.error_log).read().splitlines() if "[emerg]" in ln or "[alert]" in ln]
check(not errors, f"nginx logged no emergency or alert ({errors[:1]})")
EDGE.stop()
server.terminate()
server.wait()
print(f"{time.time() - T0:.0f} s")
finish()
