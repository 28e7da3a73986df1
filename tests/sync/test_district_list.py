#!/usr/bin/env python3
"""The neighbourhood list's routes against a real server, on SQLite or (with
SHELTER_PG_URL) PostgreSQL: the example list (tests/data/district-list.csv)
uploaded by a roster account, matched by card id (exact) and by reading and
birth (probable), another birth not matched; counts and search accounts get
403; a bad line is a 400 with its number and keeps the earlier list; an upload
replaces the list; the stored row is sealed (no name in it); the log names no one.

usage: test_district_list.py BUILD_DIR   (SHELTER_PG_URL set: the PostgreSQL backend)
"""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, run, start_server, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
PG = os.environ.get("SHELTER_PG_URL", "")
LIST_KEY = os.path.join(work, "list.key")
STORE_ARGS = (["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]) + ["--list-key", LIST_KEY]
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "district-list.csv")

run(SERVER, *STORE_ARGS, "set-shelter", "--shelter", "tama-01", "--name", "多摩第一小学校", "--capacity", "100")
start_server(SERVER, STORE_ARGS, PORT, os.path.join(work, "server.log"))
db = os.path.join(work, "k.db")
run(CTL, "--db", db, "init", "--shelter", "tama-01", "--device", "tama-01-a")
run(SYNC, "--db", db, "--server", URL, "--enrol", run(SERVER, *STORE_ARGS, "enrol-code", "--shelter", "tama-01",
                                                    "--device", "tama-01-a"))
taro = run(CTL, "--db", db, "checkin", "--name", "山田 太郎", "--reading", "やまだたろう", "--birth", "1950-04-01")
taro = taro.split()[2]
run(CTL, "--db", db, "checkin", "--name", "渡辺 一郎", "--reading", "ワタナベ イチロウ", "--birth", "1937-03-03")
run(CTL, "--db", db, "checkin", "--name", "山田 花子", "--reading", "ヤマダ ハナコ", "--birth", "1953-07-08")
run(SYNC, "--db", db, "--server", URL, "--once")
tokens = {role: run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-" + role, "--role", role)
          for role in ("counts", "search", "roster")}


def call(method, path, role, body=None):
    req = urllib.request.Request(URL + path, data=body, method=method, headers={
        "Authorization": "Bearer " + tokens[role], "Content-Type": "text/csv"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


# The example, with 山田 太郎's card id: the kiosk's id for him.
lines = open(EXAMPLE, encoding="utf-8").read().splitlines()
lines[1] += taro
body = ("\n".join(lines) + "\n").encode()
for role in ("counts", "search"):
    check(call("POST", "/v1/district-list", role, body)[0] == 403, f"{role}: POST /v1/district-list is refused")
    check(call("GET", "/v1/district-list/status", role)[0] == 403, f"{role}: GET /v1/district-list/status is refused")
status, said = call("POST", "/v1/district-list", "roster", body)
check(status == 200 and said.get("people") == 6 and said.get("districts") == 3, f"the example is stored: {said}")
status, got = call("GET", "/v1/district-list/status", "roster")
people = {p["name"]: p for d in got.get("districts", []) for p in d["people"]}
check([d["district"] for d in got["districts"]] == ["一丁目", "二丁目", "三丁目"], "districts in the list's order")
check(people["山田 太郎"]["match"] == "exact" and people["山田 太郎"]["state"] == "present"
      and people["山田 太郎"]["shelter_name"] == "多摩第一小学校", f"by card id: {people['山田 太郎']}")
check(people["渡邉 一郎"]["match"] == "probable" and people["渡邉 一郎"]["state"] == "present",
      f"by reading and birth (S12.3.3), probable: {people['渡邉 一郎']}")
check(people["山田 花子"]["match"] == "none" and people["山田 花子"]["state"] == "unaccounted",
      "another birth: no match, unaccounted for")
check(got["districts"][0]["unaccounted"] == 2 and got["districts"][1]["present"] == 1, "counts per district")

bad = b"district,name,birth\nA,B,2000-01-01\nA,C,2000-02-30\n"
status, said = call("POST", "/v1/district-list", "roster", bad)
check(status == 400 and "line 3" in said.get("error", ""), f"a bad line: 400 with its number: {said}")
check(call("GET", "/v1/district-list/status", "roster")[1]["people"] == 6, "a refused upload keeps the earlier list")
check(call("POST", "/v1/district-list", "roster", b"x" * (4 * 1024 * 1024 + 1))[0] == 413, "over 4 MiB: 413")
status, said = call("POST", "/v1/district-list", "roster", "district,name\n四丁目,森 誠\n".encode())
check(status == 200 and call("GET", "/v1/district-list/status", "roster")[1]["people"] == 1,
      "a new upload replaces the list")

if PG:
    dump = subprocess.run(["psql", PG, "-At", "-c", "SELECT sealed FROM district_list"], capture_output=True, text=True)
    row = dump.stdout.strip()
else:
    import sqlite3
    row = sqlite3.connect(os.path.join(work, "server.db")).execute("SELECT sealed FROM district_list").fetchone()[0]
check(len(row) > 100 and all(c in "0123456789abcdef" for c in row), "the stored list is a sealed box (hex)")
check(oct(os.stat(LIST_KEY).st_mode & 0o777) == "0o600", "the list key file is private (0600)")
log = open(os.path.join(work, "server.log")).read()
check("district list uploaded by hq-roster" in log and "森" not in log and "髙橋" not in log,
      "the log says who uploaded, never who is on the list")
finish()
