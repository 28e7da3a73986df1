#!/usr/bin/env python3
"""Faults, each with a clear message and nothing lost: a full disk (a small
tmpfs), a read-only file system, a corrupt database file, a server that
answers 500, answers slowly or cuts its reply short, a clock that jumps
back by hours. Then privacy: no name or birth date in any log line, and the
files made hold personal data with owner-only permissions.

usage: test_faults.py BUILD_DIR     (the disk tests need root for tmpfs; skipped otherwise)
"""
import hashlib
import http.server
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
from harness import binaries, check, finish, free_port, run, start_server, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
logs = []  # every log text produced here, grepped for personal data at the end


def ctl(db, *args, env=None):
    r = subprocess.run([CTL, "--db", db, *args], capture_output=True, text=True, env=env)
    logs.append(r.stderr)
    return r


def count_events(db):
    """Check-ins in the store: each is an arrival (a new person's details
    are a registration beside it)."""
    c = sqlite3.connect(db)
    n = c.execute("SELECT count(*) FROM event WHERE type = 'arrived'").fetchone()[0]
    c.close()
    return n


def integrity(db):
    c = sqlite3.connect(db)
    r = c.execute("PRAGMA integrity_check").fetchone()[0]
    c.close()
    return r


# ---- disk full and read-only, on a small tmpfs ------------------------------
if os.geteuid() == 0:
    disk = os.path.join(work, "small")
    os.makedirs(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", disk], check=True)
    try:
        db = os.path.join(disk, "kiosk.db")
        ctl(db, "init", "--shelter", "s-1", "--device", "k-1")
        acked, err = 0, ""
        for i in range(3000):
            r = ctl(db, "checkin", "--name", f"満杯 テスト {i}", "--birth", "1980", "--needs-other", "x" * 250, "--address", "y" * 250)
            if r.returncode != 0:
                err = r.stderr.strip()
                break
            acked += 1
        check("full" in err, f"a full disk gives a clear message after {acked} check-ins: {err[:160]}")
        check(integrity(db) == "ok" and count_events(db) == acked,
              f"every acknowledged check-in is there and the file is sound ({count_events(db)} = {acked})")
        r = ctl(db, "list")
        check(r.returncode == 0, "reading still works on a full disk")
        subprocess.run(["mount", "-o", "remount,size=2m", disk], check=True)  # the volunteer frees space
        r = ctl(db, "checkin", "--name", "空き 後", "--birth", "1990")
        check(r.returncode == 0 and count_events(db) == acked + 1, "with space again, check-in works at once")

        subprocess.run(["mount", "-o", "remount,ro", disk], check=True)
        r = ctl(db, "checkin", "--name", "読取専用", "--birth", "1990")
        check(r.returncode != 0 and "readonly" in r.stderr.replace("-", "").replace(" ", "").lower(),
              f"a read-only file system is refused with a message: {r.stderr.strip()[:160]}")
        r = ctl(db, "counts")
        check(r.returncode == 0, "counts can still be read from a read-only file system")
        subprocess.run(["mount", "-o", "remount,rw", disk], check=True)
        check(count_events(db) == acked + 1 and integrity(db) == "ok", "nothing was lost or damaged")
    finally:
        subprocess.run(["umount", "-l", disk])
else:
    print("skip: disk full and read-only file system need root (tmpfs)")

# ---- a corrupt database file ------------------------------------------------
db = os.path.join(work, "corrupt.db")
ctl(db, "init", "--shelter", "s-1", "--device", "k-2")
for i in range(30):
    ctl(db, "checkin", "--name", f"破損 {i}", "--birth", "1970")
subprocess.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"], check=True, stdout=subprocess.DEVNULL)
with open(db, "r+b") as f:
    f.seek(2 * 4096)  # the event table's root page header
    f.write(b"\xff" * 64)
r = ctl(db, "check")
check(r.returncode != 0 and r.stdout.strip() != "ok", f"shelterctl check reports the damage: {(r.stdout + r.stderr).strip()[:160]}")
r = ctl(db, "checkin", "--name", "破損後", "--birth", "1970")
check(r.returncode != 0 and "malformed" in r.stderr, f"writing to a damaged file is refused, not a crash: {r.stderr.strip()[:160]}")
with open(os.path.join(work, "junk.db"), "wb") as f:
    f.write(b"this is not a database" * 100)
r = ctl(os.path.join(work, "junk.db"), "list")
check(r.returncode == 1 and "not a database" in r.stderr, f"a file that is not a database: {r.stderr.strip()[:120]}")

# ---- a server that fails: 500, slow, cut short ------------------------------
class Bad(http.server.BaseHTTPRequestHandler):
    mode = "500"

    def log_message(self, *args):
        pass

    def reply(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length:
            self.rfile.read(length)
        if Bad.mode == "500":
            body = b'{"error":"internal error"}'
            self.send_response(500)
        elif Bad.mode == "silent":  # accepts, then says nothing for longer than the daemon waits
            time.sleep(4)
            return
        elif Bad.mode == "slow":
            time.sleep(3)
            body = b'{"error":"still broken, slowly"}'
            self.send_response(503)
        else:  # cut: promise a long body, send half, close
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"v":1,"ack":["')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = reply


bad_port = free_port()
bad = http.server.ThreadingHTTPServer(("127.0.0.1", bad_port), Bad)
threading.Thread(target=bad.serve_forever, daemon=True).start()
port = free_port()
store = ["--db", os.path.join(work, "server.db")]
server = start_server(SERVER, store, port, os.path.join(work, "server.log"))
kdb = os.path.join(work, "k-3.db")
ctl(kdb, "init", "--shelter", "s-3", "--device", "k-3")
code = run(SERVER, *store, "enrol-code", "--shelter", "s-3", "--device", "k-3")
run(SYNC, "--db", kdb, "--server", f"http://127.0.0.1:{port}", "--enrol", code)
for i in range(5):
    ctl(kdb, "checkin", "--name", f"障害 {i}", "--birth", "1985")


def pushed():
    c = sqlite3.connect(kdb)
    v = c.execute("SELECT value FROM meta WHERE key = 'sync_pushed_seq'").fetchone()
    c.close()
    return int(v[0]) if v else 0


for mode, expect in [("500", "server said 500"), ("slow", "server said 503"), ("cut", "connection broke"),
                     ("silent", "timed out")]:
    Bad.mode = mode
    t0 = time.time()
    r = subprocess.run([SYNC, "--db", kdb, "--server", f"http://127.0.0.1:{bad_port}", "--once", "--timeout",
                        "2" if mode == "silent" else "10"],
                       capture_output=True, text=True)
    logs.append(r.stderr)
    check(r.returncode == 1 and expect in r.stderr and pushed() == 0,
          f"server {mode}: the daemon says so and sends nothing twice ({time.time() - t0:.1f} s): {r.stderr.strip()[-120:]}")
    state = subprocess.run(["sqlite3", kdb, "SELECT value FROM meta WHERE key='sync_state'"], capture_output=True,
                           text=True).stdout
    check(state.startswith("error"), f"the staff screen's sync state says error: {state.strip()[:100]}")
r = subprocess.run([SYNC, "--db", kdb, "--server", f"http://127.0.0.1:{port}", "--once"], capture_output=True, text=True)
logs.append(r.stderr)
check(r.returncode == 0 and "sent 10" in r.stderr,
      f"the real server then gets all 5 (arrivals and registrations), once: {r.stderr.strip()}")
bad.shutdown()

# ---- the clock jumps back by hours ------------------------------------------
cdb = os.path.join(work, "clock.db")
ctl(cdb, "init", "--shelter", "s-4", "--device", "k-4")
out = ctl(cdb, "checkin", "--name", "時計 テスト", "--birth", "1975").stdout
pid = out.split()[2]
back = dict(os.environ, LD_PRELOAD=LIBFAKETIME, FAKETIME="-3h",
            ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
r = ctl(cdb, "out", pid, env=back)
check(r.returncode == 0, "with the clock set back 3 h, check-in still works")
c = sqlite3.connect(cdb)
hlcs = [h for (h,) in c.execute("SELECT hlc FROM event ORDER BY seq")]
presence = c.execute("SELECT presence FROM person WHERE person_id = ?", (pid,)).fetchone()[0]
c.close()
check(hlcs[1] > hlcs[0] and presence == "out",
      "the later event still comes after the earlier one (HLC), so the person is out, not present")

# ---- privacy: logs and file permissions --------------------------------------
server.terminate()
server.wait()
logs.append(open(os.path.join(work, "server.log")).read())
text = "\n".join(logs)
leaks = [w for w in ["満杯", "破損", "障害", "時計", "1975", "1985"] if w in text]
check(not leaks, f"no name or birth year in any log or message stream ({leaks})")
mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
check(mode(kdb) == 0o600 and mode(os.path.join(work, "server.db")) == 0o600,
      f"databases are owner-only ({oct(mode(kdb))}, {oct(mode(os.path.join(work, 'server.db')))})")
export = os.path.join(work, "export.sealed")
# A USB export is sealed to headquarters' key: give the kiosk one, as a sync would.
hq_public = os.urandom(32)
c = sqlite3.connect(kdb)
c.execute("INSERT OR REPLACE INTO trusted_key VALUES(?, 'hq', '', '', ?, 0)",
          (hashlib.blake2b(hq_public, digest_size=32).digest()[:8].hex(), hq_public.hex()))
c.commit()
c.close()
ctl(kdb, "export-unsynced", "--all", export)
roster = os.path.join(work, "roster.csv")
ctl(kdb, "export", "--csv", "--out", roster)
bdir = os.path.join(work, "backups")
ctl(kdb, "backup", bdir)
backup = os.path.join(bdir, os.listdir(bdir)[0])
check(all(mode(p) == 0o600 for p in [export, roster, backup]),
      f"USB export, roster CSV and backup are owner-only ({[oct(mode(p)) for p in [export, roster, backup]]})")
finish()
