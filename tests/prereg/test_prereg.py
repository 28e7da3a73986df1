#!/usr/bin/env python3
"""The residents' pre-registration page with real processes: shelter-server
serves it (assets/prereg, and the QR encoder from Debian's
node-qrcode-generator), Debian's headless Chromium fills a household of four
in Japanese and in English, offline after a reload, and in dark modes
(tests/prereg/drive.mjs); the kiosk's own reader decodes each drawn code
from its screenshot and checks the four persons in, names byte-exact.
Entries the kiosk would refuse (birth years, a person too long for a card)
are refused with a message naming the person; pasted tabs become spaces; an
update on the server reaches a phone that has the page stored.
Also the encoder without a browser (card_check.mjs) against `shelterctl scan`.
Screenshots go to tests/artifacts/prereg/.

usage: test_prereg.py BUILD_DIR
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
from harness import binaries, check, finish, free_port, run, start_server, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, _ = binaries(BUILD)
ROOT = os.path.join(HERE, "..", "..")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "prereg")
os.makedirs(ARTIFACTS, exist_ok=True)
VENDOR = "/usr/share/javascript/qrcode-generator"
MAX_VERSION = 15  # assets/prereg/app.js MAX_VERSION; docs/qr-format.md

if not os.path.exists(os.path.join(VENDOR, "qrcode.js")):
    raise SystemExit("node-qrcode-generator is missing: apt-get install node-qrcode-generator")
if not os.path.isdir(os.path.join(ROOT, "tests", "dashboard", "node_modules", "playwright-core")):
    raise SystemExit("playwright-core is missing: run `npm ci` in tests/dashboard (deploy/setup.sh test does)")


def persons(db):
    return json.loads(run(CTL, "--db", db, "list", "--json"))


def fresh_kiosk(name):
    db = os.path.join(work, name + ".db")
    run(CTL, "--db", db, "init", "--shelter", "s-a", "--device", name)
    return db


# The encoder alone: RFC vectors, then its card read by the kiosk's parser.
r = subprocess.run(["node", os.path.join(HERE, "card_check.mjs")], capture_output=True, text=True)
print(r.stdout, end="")
check(r.returncode == 0, "the page's encoder passes its checks (BLAKE2b, Base45, readings)")
text = next((line[5:] for line in r.stdout.splitlines() if line.startswith("TEXT ")), "")
db = fresh_kiosk("unit")
said = run(CTL, "--db", db, "scan", text)
check("Checked in 4 of 4" in said, f"shelterctl scan reads the encoder's card: {said.splitlines()[-1]}")
got = {p["name"]: p for p in persons(db)}
check(sorted(got) == sorted(["山田 花子", "髙橋 𠮷男", "Nguyễn Văn An", "﨑 邉"]), f"names byte-exact: {sorted(got)}")
hanako = got.get("山田 花子", {})
check(hanako.get("reading") == "ヤマダ ハナコ" and hanako.get("birth") == "1960-05-01" and hanako.get("sex") == "F"
      and hanako.get("consent") is True and hanako.get("needs") == "illness,allergy"
      and hanako.get("address") == "多摩市落合1-2" and hanako.get("phone") == "090-1234-5678",
      "reading, birth, sex, consent, needs, address and phone as the page wrote them")
check(got.get("髙橋 𠮷男", {}).get("birth") == "" and got.get("﨑 邉", {}).get("reading") == "Saki",
      "an unknown birth date and an unpacked reading")

# The page in Chromium.
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
# A copy, so drive.mjs can publish an update to the page.
PREREG = os.path.join(work, "prereg")
shutil.copytree(os.path.join(ROOT, "assets", "prereg"), PREREG)
server = start_server(SERVER, ["--db", os.path.join(work, "server.db"), "--prereg", PREREG,
                               "--prereg-vendor", VENDOR], PORT, os.path.join(work, "server.log"))
cfg = {"url": URL, "artifacts": ARTIFACTS, "max_version": MAX_VERSION, "prereg_dir": PREREG}
cfg_path = os.path.join(work, "drive.json")
json.dump(cfg, open(cfg_path, "w"))
r = subprocess.run(["node", os.path.join(HERE, "drive.mjs"), cfg_path], text=True)
check(r.returncode == 0, "the browser run passed")

cards = json.load(open(os.path.join(ARTIFACTS, "cards.json")))
split = [c for c in cards if c.get("split")]
tabbed = [c for c in cards if c.get("tab")]
cards = [c for c in cards if not c.get("split") and not c.get("tab")]
check(len(cards) == 5, f"five cards drawn ({[c['name'] for c in cards]})")
for card in cards:
    d = subprocess.run([CTL, "decode", card["file"]], capture_output=True, text=True)
    check(d.returncode == 0 and d.stdout.strip() == card["text"],
          f"{card['name']}: the kiosk's reader decodes the screenshot (QR version {card['version']})")
    db = fresh_kiosk(card["name"])
    said = run(CTL, "--db", db, "import-card", card["file"])
    present = [p for p in persons(db) if p["presence"] == "present"]
    check(len(present) == 4 and sorted(p["name"] for p in present) == sorted(card["names"]),
          f"{card['name']}: import-card checks in 4 persons, names byte-exact ({said.splitlines()[-1]})")
# A household split over two cards: both read, one household of nine.
db = fresh_kiosk("split")
for card in split:
    d = subprocess.run([CTL, "decode", card["file"]], capture_output=True, text=True)
    check(d.returncode == 0 and d.stdout.strip() == card["text"], f"{card['name']}: decoded (QR version {card['version']})")
    run(CTL, "--db", db, "import-card", card["file"])
present = [p for p in persons(db) if p["presence"] == "present"]
check(len(split) == 2 and len(present) == 9 and len({p["household"] for p in present}) == 1,
      f"two split cards check in 9 persons in one household ({len(present)})")
# Tabs pasted into the form: spaces on the card, which the kiosk reads.
check(len(tabbed) == 1, "one card made from tabbed entries")
for card in tabbed:
    d = subprocess.run([CTL, "decode", card["file"]], capture_output=True, text=True)
    check(d.returncode == 0 and d.stdout.strip() == card["text"], f"{card['name']}: decoded (QR version {card['version']})")
    db = fresh_kiosk(card["name"])
    said = run(CTL, "--db", db, "scan", card["text"])
    got = {p["name"]: p for p in persons(db)}
    check("Checked in 4 of 4" in said and sorted(got) == sorted(card["names"]),
          f"{card['name']}: shelterctl scan checks in 4, the tab a space ({sorted(got)})")
    # The allergy's tab is in needs_other, which the kiosk refuses unless clean.
    check(got.get("山田 花子8", {}).get("address") == "多摩市 落合1-2", f"{card['name']}: the address's tab a space")
d = subprocess.run([CTL, "decode", os.path.join(ARTIFACTS, "saved-card.png")], capture_output=True, text=True)
check(d.returncode == 0 and d.stdout.strip() == cards[0]["text"], "the saved PNG decodes to the same card")
finish()
