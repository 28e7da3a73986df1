#!/usr/bin/env python3
"""The headquarters dashboard with real processes: shelter-server with data
from four synced kiosks at three shelters, driven in Debian's headless
Chromium (playwright-core, tests/dashboard/drive.mjs): sign in, the numbers
equal the store's exactly, refresh without reload, 安否 search, exports.
Screenshots and downloads go to tests/artifacts/dashboard/.

usage: test_dashboard.py BUILD_DIR
"""
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
from harness import (binaries, check, finish, free_port, get_json, run, run_with_stdin, start_server,  # noqa: E402
                     secrets_of, work)

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
ARTIFACTS = os.path.join(HERE, "..", "artifacts", "dashboard")
os.makedirs(ARTIFACTS, exist_ok=True)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
STORE = ["--db", os.path.join(work, "server.db")]

if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
    raise SystemExit("playwright-core is missing: run `npm ci` in tests/dashboard (deploy/setup.sh test does)")

server = start_server(SERVER, [*STORE, "--dashboard", os.path.join(HERE, "..", "..", "assets", "dashboard")], PORT,
                      os.path.join(work, "server.log"))
run(SERVER, *STORE, "set-shelter", "--shelter", "s-a", "--name", "多摩第一小学校", "--capacity", "10")
run(SERVER, *STORE, "set-shelter", "--shelter", "s-b", "--name", "多摩公民館", "--capacity", "5")
run(SERVER, *STORE, "set-shelter", "--shelter", "s-c", "--name", "多摩中央体育館", "--capacity", "300")
run(SERVER, *STORE, "set-shelter", "--shelter", "s-d", "--name", "多摩第二中学校", "--capacity", "200")


def add_user(name, role, password):
    subprocess.run([SERVER, *STORE, "add-user", "--name", name, "--role", role, "--password-stdin"],
                   input=password + "\n", text=True, check=True, capture_output=True)


add_user("hq-counts", "counts", "counts-pass-2026")
add_user("hq-safety", "search", "safety-pass-2026")
add_user("hq-roster", "roster", "roster-pass-2026")


def db(k):
    return os.path.join(work, k + ".db")


def ctl(k, *args):
    return run(CTL, "--db", db(k), *args)


def sync(k):
    run(SYNC, "--db", db(k), "--server", URL, "--once")


KIOSKS = {"a-1": "s-a", "a-2": "s-a", "b-1": "s-b", "c-1": "s-c"}
for k, s in KIOSKS.items():
    ctl(k, "init", "--shelter", s, "--device", k)
    code = run(SERVER, *STORE, "enrol-code", "--shelter", s, "--device", k)
    run(SYNC, "--db", db(k), "--server", URL, "--enrol", code)

names = []


def checkin(k, name, reading, sex, birth, needs="", stay="shelter", consent=False, pets=""):
    args = ["checkin", "--name", name, "--reading", reading, "--sex", sex, "--birth", birth, "--stay", stay]
    if pets:
        args += ["--pets", pets]
    if needs:
        args += ["--needs", needs]
    if consent:
        args.append("--consent")
    names.append(name)
    return ctl(k, *args).split()[2]


# s-a: 10 present, one of them in a car: 9 inside of 10 (nearly full, not
# full: the fill rate is of the building), over two kiosks.
for i in range(6):
    checkin("a-1", f"山田 一{i}", "ヤマダ イチ", "MF"[i % 2], str(1950 + i * 10), "care" if i == 0 else "", consent=i < 3,
            pets="dog=1,cat=2" if i == 0 else "")
for i in range(4):
    checkin("a-2", f"佐藤 二{i}", "サトウ ニ", "FM"[i % 2], f"20{10 + i}", "infant" if i == 3 else "",
            stay="car" if i == 1 else "shelter")
out_id = checkin("a-2", "鈴木 外出", "スズキ ガイシュツ", "M", "1980")
ctl("a-2", "out", out_id)
# s-b: 6 present of 5 (full), one left, one from a home.
for i in range(6):
    checkin("b-1", f"高橋 三{i}", "タカハシ サン", "F", "1990", "allergy" if i < 2 else "", stay="home" if i == 5 else "shelter",
            pets="other=2" if i == 0 else "")
gone = checkin("b-1", "田中 退所", "タナカ タイショ", "M", "1970", pets="dog=5")  # left: not counted
ctl("b-1", "leave", gone)
# s-c: a few, one who does not consent to disclosure.
checkin("c-1", "山田 花子", "ヤマダ ハナコ", "F", "1960-05-01", "illness", consent=True)
checkin("c-1", "山田 秘密", "ヤマダ ヒミツ", "F", "1960-07-07", consent=False)
# Two persons registered at s-c move to s-b with their passes (transfers,
# flagged on the dashboard); one goes out and back at s-a (not a transfer).
movers = [checkin("c-1", f"移動 {i}", "イドウ", "M", "1985") for i in range(2)]
# The same person twice, a walk-in typed in katakana with a birth year at
# s-a (who has since left) and 山田 花子 of s-c: a cross-shelter duplicate.
ctl("a-1", "leave", checkin("a-1", "ヤマダ ハナコ", "", "F", "1960"))
ctl("a-2", "back", out_id)
ctl("a-2", "out", out_id)
for k in KIOSKS:
    sync(k)
for pid in movers:
    said = ctl("b-1", "scan", ctl("c-1", "pass", pid))
    check(said.startswith("Arrived"), f"a pass of s-c scanned at s-b: {said}")
for k in KIOSKS:
    sync(k)
for k in KIOSKS:
    sync(k)

# A shelter hub for s-e with one kiosk: a real hub (hub-setup on its own
# database, enrolled with this city over loopback http) relays the kiosk's
# events and reports it; the city's GET /v1/devices then lists the hub.
run(SERVER, *STORE, "set-shelter", "--shelter", "s-e", "--name", "多摩東中学校", "--capacity", "150")
HUB_PORT = free_port()
HUB_URL = f"http://127.0.0.1:{HUB_PORT}"
HUB_STORE = ["--db", os.path.join(work, "hub.db")]
hub_code = run(SERVER, *STORE, "enrol-code", "--hub", "--shelter", "s-e", "--device", "e-hub")
run(SERVER, *HUB_STORE, "hub-setup", "--shelter", "s-e", "--device", "e-hub", "--city", URL, "--code", hub_code,
    "--insecure")
hub = start_server(SERVER, [*HUB_STORE, "--dashboard", os.path.join(HERE, "..", "..", "assets", "dashboard"),
                            "--relay-interval", "1"], HUB_PORT, os.path.join(work, "hub.log"))
kiosk_code = run(SERVER, *HUB_STORE, "enrol-code", "--shelter", "s-e", "--device", "e-1")
run_with_stdin("864209\n", CTL, "--db", db("e-1"), "enrol", "--hub", "--server", HUB_URL, "--code", kiosk_code,
               "--shelter", "s-e", "--device", "e-1", "--lead", "東 班長", "--insecure")
ctl("e-1", "checkin", "--name", "東 太郎", "--reading", "ヒガシ タロウ", "--sex", "M", "--birth", "1970")
names.append("東 太郎")
hq_token = run(SERVER, *STORE, "add-user", "--name", "hq-test", "--role", "counts")


def hub_seen():
    """The city's view of the hub once the kiosk's event is relayed."""
    for _ in range(100):
        run(SYNC, "--db", db("e-1"), "--server", URL, "--hub", HUB_URL, "--insecure", "--once")
        hubs = get_json(URL, "/v1/devices", hq_token)[1].get("hubs", [])
        counts = get_json(URL, "/v1/counts?shelter=s-e", hq_token)[1]
        if hubs and hubs[0]["waiting"] == 0 and hubs[0]["kiosks"] and counts and counts[0]["present"] == 1:
            return hubs
        time.sleep(0.2)
    return []


hubs = hub_seen()
check(len(hubs) == 1 and hubs[0]["hub"] == "e-hub" and hubs[0]["shelter"] == "s-e" and
      [k["device"] for k in hubs[0]["kiosks"]] == ["e-1"],
      f"the city lists the hub with its kiosk, its events relayed: {hubs}")
check(get_json(HUB_URL, "/v1/hub/status", secrets_of(db("e-1"))["hub_token"])[1]["link"]["state"].startswith("ok"),
      "the hub says its link to the city is ok")
hub_user = ("hub-lead", "hub-pass-2026")
subprocess.run([SERVER, *HUB_STORE, "add-user", "--name", hub_user[0], "--role", "counts", "--password-stdin"],
               input=hub_user[1] + "\n", text=True, check=True, capture_output=True)
req = urllib.request.Request(URL + "/v1/counts", headers={"Authorization": "Bearer " + hq_token})
counts = {c["shelter"]: c for c in json.load(urllib.request.urlopen(req))}
expected = {"present": 0, "households": 0, "outside": 0, "out": 0, "needs": 0, "pets": 0, "shelters": {}}
for s, c in counts.items():
    stay = c["by_stay"]
    needs = sum(c["by_need"].values())
    expected["shelters"][s] = {"present": c["present"], "households": c["households"], "out": c["out"],
                               "stay-shelter": stay.get("shelter", 0), "stay-car": stay.get("car", 0),
                               "stay-home": stay.get("home", 0), "male": c["by_sex"].get("M", 0),
                               "female": c["by_sex"].get("F", 0), "needs": needs, "pets": c["pets"]["total"]}
    expected["present"] += c["present"]
    expected["households"] += c["households"]
    expected["out"] += c["out"]
    expected["outside"] += stay.get("car", 0) + stay.get("home", 0)
    expected["needs"] += needs
    expected["pets"] += c["pets"]["total"]
check(expected["present"] == 10 + 8 + 2 + 1, f"the store counts what the kiosks checked in ({expected['present']})")
check(expected["pets"] == 3 + 2, f"pets of households still there, not of the one that left ({expected['pets']})")

req = urllib.request.Request(URL + "/v1/duplicates", headers={
    "Authorization": "Bearer " + run(SERVER, *STORE, "add-user", "--name", "hq-dups", "--role", "roster")})
duplicates = json.load(urllib.request.urlopen(req))
check(any({d["a"]["name"], d["b"]["name"]} == {"ヤマダ ハナコ", "山田 花子"} and d["across_shelters"] for d in duplicates),
      f"the walk-in at s-a and the card person at s-c are a cross-shelter pair ({len(duplicates)} pair(s))")

config = {
    "url": URL, "artifacts": ARTIFACTS, "expected": expected, "all_names": names,
    "residents": os.path.join(HERE, "..", "data", "residents-sheets.csv"),
    "counts_user": "hq-counts", "counts_password": "counts-pass-2026",
    "search_user": "hq-safety", "search_password": "safety-pass-2026",
    "roster_user": "hq-roster", "roster_password": "roster-pass-2026",
    "full_shelter": "s-b", "warn_shelter": "s-a", "stale_shelter": "s-d",
    "duplicates": len(duplicates),
    "hub": {"url": HUB_URL, "user": hub_user[0], "password": hub_user[1], "id": "e-hub", "shelter": "多摩東中学校 (s-e)",
            "kiosk": "e-1"},
    "transfers": {"route": "s-c → s-b: 2", "to": "s-b", "names": ["移動 0", "移動 1"], "device": "b-1"},
    "search": {"q": "ヤマダ", "birth_year": "1960", "expect": ["山田 一1", "山田 花子"], "no_consent": "山田 秘密"},
    "new_arrival_cmd": f"'{CTL}' --db '{db('c-1')}' checkin --name '新規 到着' --birth 2000 >/dev/null && "
                       f"'{SYNC}' --db '{db('c-1')}' --server {URL} --once 2>/dev/null",
}
cfg_path = os.path.join(work, "drive.json")
json.dump(config, open(cfg_path, "w"), ensure_ascii=False)
r = subprocess.run(["node", os.path.join(HERE, "drive.mjs"), cfg_path], text=True)
check(r.returncode == 0, "the browser run passed")

# The downloads, read back.
rows = list(csv.DictReader(io.StringIO(open(os.path.join(ARTIFACTS, "shelter-counts.csv"), encoding="utf-8-sig").read())))
by = {row["shelter_id"]: row for row in rows}
check(by.get("TOTAL", {}).get("persons") == str(expected["present"] + 1),
      f"counts CSV total equals the store ({by.get('TOTAL', {}).get('persons')})")
check(by.get("s-a", {}).get("shelter_name") == "多摩第一小学校" and by["s-a"]["outside_car"] == "1"
      and by.get("s-d", {}).get("persons") == "0", "counts CSV has names, outside-shelter evacuees, empty shelters")
roster = list(csv.DictReader(io.StringIO(open(os.path.join(ARTIFACTS, "shelter-roster.csv"), encoding="utf-8-sig").read())))
check(len(roster) == len(names) + 1 and {"name", "reading", "birth", "consent"} <= set(roster[0]),
      f"roster CSV lists every person ({len(roster)})")
ns = {"pfif": "http://zesty.ca/pfif/1.4"}
tree = ET.parse(os.path.join(ARTIFACTS, "shelter-pfif.xml"))
pfif_names = sorted(p.findtext("pfif:full_name", namespaces=ns) for p in tree.getroot().findall("pfif:person", ns))
check(pfif_names == sorted(["山田 一0", "山田 一1", "山田 一2", "山田 花子"]),
      f"PFIF 1.4 holds exactly the consenting persons: {pfif_names}")
sheets = os.path.join(ARTIFACTS, "household-cards-a4.pdf")
subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", sheets, os.path.join(work, "sheet")], check=True)
r = subprocess.run([CTL, "decode", os.path.join(work, "sheet-01.png")], capture_output=True, text=True)
check(r.returncode == 0 and "household card" in r.stderr,
      f"the card sheets from the dashboard decode: {r.stderr.strip()}")
log = open(os.path.join(work, "server.log")).read()
check(log.count("search by hq-safety") >= 2, "every search is in the server log")
check(not any(n in log for n in names), "no person's name is in the server log")
finish()
