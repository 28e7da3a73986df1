#!/usr/bin/env python3
"""3 shelters x 2 kiosks syncing through a fault-injecting TCP proxy, with
kiosk clocks skewed by hours (libfaketime), while people arrive, go out, come
back, leave and move between shelters with their passes. Meanwhile the link
goes down, connections are cut mid-request and mid-reply (so batches are
replayed), replies are delayed, daemons and the server are killed with -9.
Afterwards every kiosk and the server agree, and the counts equal the ground
truth (what each person was told at the kiosk) exactly: no arrival lost,
none doubled.

usage: test_sync_faults.py BUILD_DIR     (SEED=n to vary; SHELTER_PG_URL for PostgreSQL)
"""
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, procs, run, start_server as start, token_of, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
SEED = int(os.environ.get("SEED", "11"))
OPS = int(os.environ.get("OPS", "300"))
rng = random.Random(SEED)
PG = os.environ.get("SHELTER_PG_URL", "")
STORE_ARGS = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
SERVER_PORT = free_port()
PROXY_PORT = free_port()
DIRECT = f"http://127.0.0.1:{SERVER_PORT}"
VIA_PROXY = f"http://127.0.0.1:{PROXY_PORT}"
SERVER_LOG = os.path.join(work, "server.log")
# libfaketime is preloaded: under AddressSanitizer that is allowed only so.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"

SHELTERS = ["s-a", "s-b", "s-c"]
# Each kiosk's clock error, hours (faketime). b-1 is right.
SKEW_H = {"a-1": 3, "a-2": -2, "b-1": 0, "b-2": 5, "c-1": -4, "c-2": 1}
KIOSKS = {k: "s-" + k[0] for k in SKEW_H}


LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
if not os.path.exists(LIBFAKETIME):
    raise SystemExit("libfaketime is missing: deploy/setup.sh installs the faketime package")


def clock_env(kiosk):
    """The environment of a kiosk's processes: its clock skewed by
    libfaketime, preloaded directly (not through the faketime wrapper, whose
    child would outlive a kill -9 of the wrapper)."""
    env = dict(os.environ)
    if SKEW_H[kiosk]:
        env.update(LD_PRELOAD=LIBFAKETIME, FAKETIME=f"{SKEW_H[kiosk]:+d}h", FAKETIME_DONT_RESET="1")
    return env


# ---- the fault-injecting proxy ---------------------------------------------

class Proxy:
    """TCP proxy to the server. Per connection, at random: pass through, cut
    the request part-way, cut the reply part-way (the server has stored the
    batch, the daemon never hears), or hold the reply back for a while. While
    `down`, connections are closed at once."""

    def __init__(self, port, target):
        self.target = target
        self.down = False
        self.faults = True
        self.stats = {"conns": 0, "refused": 0, "cut_request": 0, "cut_reply": 0, "delayed": 0}
        self.lock = threading.Lock()
        self.rng = random.Random(SEED + 1)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def count(self, what):
        with self.lock:
            self.stats[what] += 1

    def accept_loop(self):
        while True:
            client, _ = self.sock.accept()
            self.count("conns")
            if self.down:
                self.count("refused")
                client.close()
                continue
            with self.lock:
                r = self.rng.random() if self.faults else 1.0
                limit = self.rng.randint(0, 400)
                delay = self.rng.uniform(0.8, 1.5)
            mode = "cut_request" if r < 0.08 else "cut_reply" if r < 0.20 else "delayed" if r < 0.25 else "ok"
            threading.Thread(target=self.serve, args=(client, mode, limit, delay), daemon=True).start()

    def serve(self, client, mode, limit, delay):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()  # the server is down (killed): the daemon sees a refused link
            return
        if mode != "ok":
            self.count(mode)

        def pump(src, dst, cut_after, wait):
            sent = 0
            try:
                while True:
                    data = src.recv(4096)
                    if not data:
                        break
                    if wait:
                        time.sleep(wait)
                        wait = 0
                    if cut_after is not None and sent + len(data) > cut_after:
                        dst.sendall(data[: max(0, cut_after - sent)])
                        break
                    dst.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        up = threading.Thread(target=pump, args=(client, upstream, limit if mode == "cut_request" else None, 0))
        down = threading.Thread(target=pump, args=(upstream, client, limit if mode == "cut_reply" else None,
                                                   delay if mode == "delayed" else 0))
        up.start()
        down.start()
        up.join()
        down.join()
        client.close()
        upstream.close()


# ---- processes -------------------------------------------------------------

def start_server():
    return start(SERVER, STORE_ARGS, SERVER_PORT, SERVER_LOG)


def ctl(kiosk, *args):
    db = os.path.join(work, kiosk + ".db")
    r = subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True, env=clock_env(kiosk))
    if r.returncode != 0:
        raise SystemExit(f"shelterctl {kiosk} {args}: {r.stderr}")
    return r.stdout


daemons = {}


def start_daemon(kiosk):
    db = os.path.join(work, kiosk + ".db")
    p = subprocess.Popen([SYNC, "--db", db, "--server", VIA_PROXY, "--interval", "1", "--max-backoff", "2",
                          "--batch", "5"], env=clock_env(kiosk),
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, kiosk + ".sync.log"), "a"))
    procs.append(p)
    daemons[kiosk] = p


server = start_server()
proxy = Proxy(PROXY_PORT, ("127.0.0.1", SERVER_PORT))
for k, shelter in KIOSKS.items():
    ctl(k, "init", "--shelter", shelter, "--device", k)
    code = run(SERVER, *STORE_ARGS, "enrol-code", "--shelter", shelter, "--device", k)
    r = subprocess.run([SYNC, "--db", os.path.join(work, k + ".db"), "--server", DIRECT, "--enrol", code],
                       capture_output=True, text=True, env=clock_env(k))
    if r.returncode != 0:
        raise SystemExit(f"enrol {k}: {r.stderr}")
hq = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq", "--role", "counts")
# Every kiosk learns the others' pass-signing keys (GET /v1/keys) before
# people move between shelters with their passes.
for k in KIOSKS:
    r = subprocess.run([SYNC, "--db", os.path.join(work, k + ".db"), "--server", DIRECT, "--once"],
                       capture_output=True, text=True, env=clock_env(k))
    if r.returncode != 0:
        raise SystemExit(f"first sync {k}: {r.stderr}")
for k in KIOSKS:
    start_daemon(k)

# ---- chaos while people come and go ----------------------------------------

stop_chaos = threading.Event()
chaos_log = {"link_down": 0, "daemon_kill": 0, "server_kill": 0}


def chaos():
    """Link cuts, daemon kills and server kills in a seeded order (each kind
    several times), one every 0.3 to 1 s until the workload is done."""
    global server
    crng = random.Random(SEED + 2)
    plan = ["link_down"] * 3 + ["daemon_kill"] * 4 + ["server_kill"] * 2
    crng.shuffle(plan)
    i = 0
    while not stop_chaos.wait(crng.uniform(0.3, 1.0)):
        what = plan[i % len(plan)]
        i += 1
        chaos_log[what] += 1
        if what == "link_down":
            proxy.down = True
            time.sleep(crng.uniform(0.5, 2.0))
            proxy.down = False
        elif what == "daemon_kill":
            k = crng.choice(list(KIOSKS))
            daemons[k].kill()
            daemons[k].wait()
            start_daemon(k)
        else:
            server.kill()
            server.wait()
            time.sleep(crng.uniform(0.1, 1.0))
            server = start_server()


chaos_thread = threading.Thread(target=chaos)
chaos_thread.start()

# Ground truth by the rules of docs/protocol.md ("Whereabouts"): for each
# person, the shelter of their latest arrival and the status each shelter
# recorded, as the kiosks said; and which kiosk last served them where they
# are (it knows their state).
truth = {}  # person -> {"shelter", "status": {shelter: status}, "household", "kiosk"}
names = {}


def presence(t):
    return t["status"][t["shelter"]]


t0 = time.time()
for i in range(OPS):
    r = rng.random()
    movable = [p for p, t in truth.items() if presence(t) != "left"]
    if r < 0.35 or not movable:
        k = rng.choice(list(KIOSKS))
        name = f"避難者{i}"
        out = ctl(k, "checkin", "--name", name, "--birth", str(1930 + i % 90), "--sex", "MF"[i % 2])
        pid = out.split()[2]
        hh = out.split("household ")[1].split(")")[0]
        truth[pid] = {"shelter": KIOSKS[k], "status": {KIOSKS[k]: "present"}, "household": hh, "kiosk": k}
        names[pid] = name
        continue
    pid = rng.choice(movable)
    t = truth[pid]
    if r < 0.55:  # went out / came back at the kiosk that last served them
        cmd = "out" if presence(t) == "present" else "back"
        ctl(t["kiosk"], cmd, pid)
        t["status"][t["shelter"]] = "out" if cmd == "out" else "present"
    elif r < 0.62:
        ctl(t["kiosk"], "leave", pid)
        t["status"][t["shelter"]] = "left"
    else:  # moves to another shelter with the pass printed where they were
        text = ctl(t["kiosk"], "pass", pid).strip()
        k = rng.choice([k for k, s in KIOSKS.items() if s != t["shelter"]])
        said = ctl(k, "scan", text)
        if said.startswith("Arrived"):
            t["status"][KIOSKS[k]] = "present"
            t.update(shelter=KIOSKS[k], kiosk=k)
        # A kiosk that had not heard they had left records a status change at
        # its own shelter, which moves nobody: they stay where they arrived last.
        elif said.startswith("Went out"):
            t["status"][KIOSKS[k]] = "out"
        elif said.startswith("Came back"):
            t["status"][KIOSKS[k]] = "present"
        else:
            raise SystemExit(f"scan said {said!r}")
    time.sleep(rng.uniform(0, 0.04))
workload_s = time.time() - t0
time.sleep(2)
# Chaos goes on until each kind of fault has struck at least twice: a fast
# workload must not end the run before its faults (it did on a loaded machine).
deadline = time.time() + 60
while time.time() < deadline and min(chaos_log[k] for k in ("server_kill", "daemon_kill", "link_down")) < 2:
    time.sleep(0.2)
stop_chaos.set()
chaos_thread.join()
print(f"workload: {OPS} operations, {len(truth)} persons in {workload_s:.1f} s; chaos {chaos_log}; "
      f"proxy {proxy.stats}", flush=True)
check(chaos_log["server_kill"] >= 2 and chaos_log["daemon_kill"] >= 2 and chaos_log["link_down"] >= 2,
      "the server and daemons were killed, and the link went down, several times during the run")
check(proxy.stats["cut_reply"] > 0 and proxy.stats["cut_request"] > 0,
      "connections were cut mid-request and mid-reply")

# ---- settle: daemons run on through a clean link ---------------------------
proxy.faults = False
if server.poll() is not None:
    server = start_server()
deadline = time.time() + 60
while time.time() < deadline:
    time.sleep(1)
    states = {}
    for k in KIOSKS:
        c = sqlite3.connect(f"file:{os.path.join(work, k + '.db')}?mode=ro", uri=True)
        c.execute("PRAGMA busy_timeout=2000")
        pushed = int((c.execute("SELECT value FROM meta WHERE key='sync_pushed_seq'").fetchone() or ["0"])[0])
        last = c.execute("SELECT coalesce(max(seq),0) FROM event").fetchone()[0]
        state = (c.execute("SELECT value FROM meta WHERE key='sync_state'").fetchone() or [""])[0]
        states[k] = (pushed >= last, state)
        c.close()
    if all(done for done, _ in states.values()):
        break
for k in KIOSKS:
    daemons[k].kill()
    daemons[k].wait()
# Two clean rounds each: everything pushed, then everything pulled.
for _ in range(2):
    for k in KIOSKS:
        r = subprocess.run([SYNC, "--db", os.path.join(work, k + ".db"), "--server", DIRECT, "--once"],
                           capture_output=True, text=True, env=clock_env(k))
        check(r.returncode == 0, f"{k}: a clean round succeeds {r.stderr.strip()[-200:]}")


# ---- the same batch once more, as a daemon whose reply was lost sends it ----
# The device's first five events, as its daemon sent them (the wire form of
# the event table's rows; a USB export is sealed and not readable here).
c = sqlite3.connect(os.path.join(work, "a-1.db"))
c.row_factory = sqlite3.Row
events = [{"id": r["id"], "type": r["type"], "person": r["person_id"], "household": r["household_id"],
           "shelter": r["shelter_id"], "device": r["device_id"], "seq": r["device_seq"], "author": r["author"],
           "hlc": r["hlc"], "body": json.loads(r["body"])}
          for r in c.execute("SELECT * FROM event WHERE device_id = 'a-1' ORDER BY device_seq LIMIT 5")]
c.close()
token = token_of(os.path.join(work, "a-1.db"))
req = urllib.request.Request(DIRECT + "/v1/push", data=json.dumps({"v": 1, "device": "a-1", "events": events}).encode(),
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    replay = json.load(r)
check(replay["ack"] == [e["id"] for e in events] and replay["new"] == 0,
      f"a batch replayed after everything is in is acknowledged and stores nothing new ({replay['new']} new)")

# ---- compare -----------------------------------------------------------------

def http(path, token):
    req = urllib.request.Request(DIRECT + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def kiosk_db(k):
    return sqlite3.connect(os.path.join(work, k + ".db"))


def server_rows(sql):
    if PG:
        out = subprocess.run(["psql", PG, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    c = sqlite3.connect(os.path.join(work, "server.db"))
    rows = [tuple(str(x) for x in row) for row in c.execute(sql)]
    c.close()
    return rows


server_ids = [r[0] for r in server_rows("SELECT id FROM event")]
check(len(server_ids) == len(set(server_ids)), "the server holds no event twice")
own = {}
for k in KIOSKS:
    c = kiosk_db(k)
    own[k] = {r[0] for r in c.execute("SELECT id FROM event WHERE device_id = ?", (k,))}
    check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"{k}: integrity_check ok")
    c.close()
all_own = set().union(*own.values())
check(set(server_ids) == all_own,
      f"the server holds exactly the kiosks' events ({len(server_ids)} on the server, {len(all_own)} made)")

if PG:
    server_people = {}
    def field_value(state, name):
        """A field of the PostgreSQL backend's person state (sync/server/pg/state.cpp, state_json):
        {"s": [stamps], "f": {name: value or [value, stamp index]}}."""
        v = json.loads(state)["f"][name]
        return v if isinstance(v, str) else v[0]

    for pid, state in server_rows("SELECT person_id, state FROM person"):
        where = field_value(state, "where")  # core/event.hpp: field::kWhere, kStatusPrefix
        server_people[pid] = (where, field_value(state, "status:" + where))
else:
    server_people = {r[0]: (r[1], r[2]) for r in server_rows("SELECT person_id, shelter_id, presence FROM person")}
expected_people = {p: (t["shelter"], presence(t)) for p, t in truth.items()}
wrong = {p: (server_people.get(p), v) for p, v in expected_people.items() if server_people.get(p) != v}
check(not wrong, f"every person is where the kiosk told them, on the server ({len(wrong)} wrong: "
      f"{list(wrong.items())[:3]})")

server_counts = {c["shelter"]: c for c in http("/v1/counts", hq)}
for s in SHELTERS:
    present = sum(1 for t in truth.values() if t["shelter"] == s and presence(t) == "present")
    out = sum(1 for t in truth.values() if t["shelter"] == s and presence(t) == "out")
    households = len({t["household"] for t in truth.values() if t["shelter"] == s and presence(t) == "present"})
    got = server_counts.get(s, {"present": 0, "out": 0, "households": 0})
    check((got["present"], got["out"], got["households"]) == (present, out, households),
          f"HQ counts for {s} equal the ground truth: present {got['present']}/{present}, out {got['out']}/{out}, "
          f"households {got['households']}/{households}")
    for k in [k for k, ks in KIOSKS.items() if ks == s]:
        kc = json.loads(ctl(k, "counts", "--shelter", s, "--json"))
        check(kc == got or kc == [got] or (isinstance(kc, list) and kc and kc[0]["present"] == got["present"]
                                           and kc[0]["out"] == got["out"]
                                           and kc[0]["households"] == got["households"]),
              f"{k} shows the same counts as headquarters")

for k, shelter in KIOSKS.items():
    c = kiosk_db(k)
    rows = list(c.execute("SELECT person_id, shelter_id, presence, name FROM person"))
    c.close()
    disagree = [r for r in rows if server_people.get(r[0]) != (r[1], r[2])]
    check(not disagree, f"{k} agrees with the server on all {len(rows)} persons it knows ({disagree[:2]})")
    here = [r for r in rows if r[1] == shelter and r[2] != "left"]
    nameless = [r for r in here if r[3] != names.get(r[0])]
    check(not nameless, f"{k}: every person at {shelter} has their name, also those who came with a pass "
          f"from another shelter ({len(here)} persons)")

devices = {d["device"]: d for d in http("/v1/devices", hq)["devices"]}
for k, h in SKEW_H.items():
    skew = devices.get(k, {}).get("clock_skew_ms")
    check(skew is not None and abs(skew - h * 3600_000) < 5000,
          f"headquarters sees {k}'s clock {h:+d} h off (measured {skew} ms)")
log = open(SERVER_LOG).read()
check("clock of device a-1 is 3 h 0 min ahead of" in log, "the server log says which kiosk clocks are wrong")
finish()
