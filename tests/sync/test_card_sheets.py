#!/usr/bin/env python3
"""Printed household card sheets (issue 23), from shelterctl and from the
headquarters dashboard's route, read back as a kiosk reads them.

shelterctl make-card --format pdf makes both layouts from the example
residents CSV (tests/data/residents-sheets.csv: Japanese headers, era
dates, names with 髙 﨑 邉 𠮷). Each page is rendered with pdftoppm -r 150
(PNGs kept in tests/artifacts/sheets/), each card read with shelterctl
decode (a cut card cropped to its cell, as cut from the sheet), checked in
with import-card, and the names shelterctl list shows compared byte-exact
with the CSV. pdftotext finds the names, pdffonts says every font is
embedded. Cards signed with the city's card key read as signed by the city.
Bad CSVs fail naming the line and write nothing.

POST /v1/card-sheets: a roster account gets a PDF whose cards decode and
are signed with the server's --card-key; counts and search accounts get
403; a malformed CSV 400, an oversized one 413; the CSV's cells reach
neither the disk nor the log.

usage: test_card_sheets.py BUILD_DIR   (needs poppler-utils)
"""
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, free_port, run, start_server, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, _ = binaries(BUILD)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESIDENTS = os.path.join(ROOT, "tests", "data", "residents-sheets.csv")
ART = os.path.join(ROOT, "tests", "artifacts", "sheets")
DPI = 150
# print/card_sheet.cpp's cut layout: ID-1 cards, 2 across, 5 down, centred on A4.
A4_W, A4_H = 595.276, 841.890
CARD_W, CARD_H = 85.6 / 25.4 * 72, 53.98 / 25.4 * 72
GRID_X, GRID_Y = (A4_W - 2 * CARD_W) / 2, (A4_H - 5 * CARD_H) / 2


def ctl(db, *args, ok=True):
    r = subprocess.run([CTL, *(["--db", db] if db else []), *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise SystemExit(f"shelterctl {args}: {r.stderr}")
    return r


def households():
    """The example CSV's households in order: (label, [(name, reading)])."""
    out = {}
    with open(RESIDENTS, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["世帯番号"], []).append((row["氏名"], row["フリガナ"]))
    return list(out.items())


def render(pdf, prefix, crop=None, page=None):
    """pdftoppm at 150 dpi; crop: (x, y, w, h) in points. The PNGs' paths."""
    args = ["pdftoppm", "-r", str(DPI), "-png"]
    if page:
        args += ["-f", str(page), "-l", str(page)]
    if crop:
        px = [round(v * DPI / 72) for v in crop]
        args += ["-x", str(px[0]), "-y", str(px[1]), "-W", str(px[2]), "-H", str(px[3])]
    subprocess.run([*args, pdf, prefix], check=True)
    d, base = os.path.split(prefix)
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.startswith(base + "-") and n.endswith(".png"))


def kiosk_db(name, card_key_file=None):
    """A kiosk database; trusting the city's card key as a sync would bring it."""
    os.makedirs(os.path.join(work, "kiosks"), exist_ok=True)
    db = os.path.join(work, "kiosks", name + ".db")
    ctl(db, "init", "--shelter", "tama-01", "--device", name)
    if card_key_file:
        key = json.load(open(card_key_file))
        con = sqlite3.connect(db)
        con.execute("INSERT INTO trusted_key VALUES(?, 'card', '', '', ?, 0)", (key["key_id"], key["public_key"]))
        con.commit()
        con.close()
    return db


def read_cards(pngs, expected, db, what, signed_by=None):
    """Decodes each PNG, checks its household in, compares the names."""
    for png, (label, members) in zip(pngs, expected):
        r = ctl(db, "decode", png, ok=False)
        if r.returncode != 0:
            check(False, f"{what}: household {label}'s card decodes ({os.path.basename(png)}): {r.stderr.strip()}")
            continue
        if signed_by:
            check(f"signed by the city (card key {signed_by})" in r.stderr,
                  f"{what}: household {label} is signed by the city: {r.stderr.strip()}")
        before = {p["id"] for p in json.loads(ctl(db, "list", "--json").stdout)}
        imp = ctl(db, "import-card", png, ok=False)
        people = [p for p in json.loads(ctl(db, "list", "--json").stdout) if p["id"] not in before]
        got = sorted((p["name"], p["reading"]) for p in people)
        check(imp.returncode == 0 and got == sorted(members),
              f"{what}: household {label} checks in with its names byte-exact: {got}")
    check(len(pngs) >= len(expected), f"{what}: a card for each of {len(expected)} households ({len(pngs)} read)")


expected = households()
names = [n for _, ms in expected for n, _ in ms]
check(any("髙" in n for n in names) and any("﨑" in n for n in names) and any("邉" in n for n in names)
      and any("𠮷" in n for n in names), "the example CSV holds names with 髙 﨑 邉 𠮷")
shutil.rmtree(ART, ignore_errors=True)
os.makedirs(ART)

# ---- shelterctl: both layouts, unsigned ----------------------------------------
for layout in ("a4", "cut"):
    out = os.path.join(work, "ctl-" + layout)
    r = ctl(None, "make-card", RESIDENTS, "--out", out, "--format", "pdf", "--layout", layout)
    pdf = os.path.join(out, f"household-cards-{layout}.pdf")
    check(os.path.exists(pdf) and f"{len(expected)} household(s)" in r.stdout, f"make-card {layout}: {pdf}")
    check(oct(os.stat(pdf).st_mode & 0o777) == "0o600", f"{layout}: the PDF is private (0600)")
    pages = render(pdf, os.path.join(ART, layout))
    check(len(pages) == (len(expected) if layout == "a4" else (len(expected) + 9) // 10),
          f"{layout}: {len(pages)} page(s) in tests/artifacts/sheets/")
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    shown = names if layout == "a4" else [ms[0][0] for _, ms in expected]  # a cut card shows the first names
    missing = [n for n in shown if n not in text]
    check(not missing, f"{layout}: pdftotext finds every name, 髙 﨑 邉 𠮷 included (missing: {missing})")
    check("指定避難所" in text and "やさしい日本語" in text and "English" in text or layout == "cut",
          f"{layout}: shelter and instructions in three kinds of words")
    check("うけつけで カメラに みせて ください" in text and "Show it to the kiosk camera" in text or layout == "a4",
          f"{layout}: the short instructions on each card")
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout.splitlines()[2:]
    check(fonts and all(line.split()[-5] == "yes" for line in fonts), f"{layout}: every font embedded: {fonts}")
    check(any("BIZUDGothic" in f for f in fonts) and any("NotoSansCJK" in f for f in fonts),
          f"{layout}: BIZ UD Gothic, and Noto Sans CJK for 𠮷 (U+20BB7)")
    db = kiosk_db("ctl-" + layout)
    if layout == "a4":
        read_cards(pages, expected, db, "a4")
    else:
        cells = []
        for i, _ in enumerate(expected):
            at = i % 10
            box = (GRID_X + (at % 2) * CARD_W, GRID_Y + (at // 2) * CARD_H, CARD_W, CARD_H)
            cells += render(pdf, os.path.join(ART, f"cut-card{i + 1:02d}"), box, page=i // 10 + 1)
        read_cards(cells, expected, db, "cut card")

# ---- bad input: the line named, nothing written ---------------------------------
bad_cases = [
    ("世帯番号,氏名,生年月日\n1,山田 太郎,1950-01-01\n1,山田 花子,1950-13-01\n", "line 3", "a bad birth date"),
    ("世帯番号,フリガナ\n1,ヤマダ\n", "line 1", "no name column"),
    ("household,name,sex\n1,A,M\n\n2,B,Q\n", "line 4", "a bad sex after a blank line"),
    ("household,name\n1,\"A\nB\",x\n", "line 2", "more fields than the header"),
]
for i, (text, where, what) in enumerate(bad_cases):
    path = os.path.join(work, f"bad{i}.csv")
    open(path, "w", encoding="utf-8").write(text)
    out = os.path.join(work, f"bad-out{i}")
    r = ctl(None, "make-card", path, "--out", out, "--format", "pdf", ok=False)
    check(r.returncode == 1 and where in r.stderr and not os.path.exists(out),
          f"{what}: refused naming {where}, nothing written: {r.stderr.strip()}")
open(os.path.join(work, "sjis.csv"), "wb").write("世帯番号,氏名\n1,山田\n".encode("shift_jis"))
r = ctl(None, "make-card", os.path.join(work, "sjis.csv"), "--out", os.path.join(work, "sjis"), "--format", "pdf",
        ok=False)
check(r.returncode == 1 and "UTF-8" in r.stderr, f"a Shift_JIS file is refused with advice: {r.stderr.strip()}")

# ---- a household of 15: the most a card holds, dense on a cut card ---------------
big = os.path.join(work, "big.csv")
open(big, "w", encoding="utf-8").write("世帯番号,氏名,フリガナ,生年月日,住所\n" + "".join(
    f"15,髙橋 𠮷{i}郎之助,タカハシ ヨシロウノスケ,1950-01-{i + 1:02d},多摩市本町1-2-3 コーポ本町203号室\n"
    for i in range(15)))
r = ctl(None, "make-card", big, "--out", os.path.join(work, "big"), "--format", "pdf", "--layout", "cut")
check("dense for a cut card" in r.stderr and "--layout a4" in r.stderr,
      f"a 15-person household's cut card comes with advice to print it on A4: {r.stderr.strip()}")
png = render(os.path.join(work, "big", "household-cards-cut.pdf"), os.path.join(ART, "cut-15-persons"),
             (GRID_X, GRID_Y, CARD_W, CARD_H))
read_cards(png, [("15", [(f"髙橋 𠮷{i}郎之助", "タカハシ ヨシロウノスケ") for i in range(15)])], kiosk_db("big"),
           "a 15-person cut card at 150 dpi")

# ---- signed by the city: shelterctl --card-key ----------------------------------
STORE_ARGS = ["--db", os.path.join(work, "server.db")]
card_key = os.path.join(work, "city-card.key")
run(SERVER, *STORE_ARGS, "card-key", "--out", card_key)
card_id = json.load(open(card_key))["key_id"]
out = os.path.join(work, "ctl-signed")
r = ctl(None, "make-card", RESIDENTS, "--out", out, "--format", "pdf", "--layout", "a4", "--card-key", card_key)
check(f"signed with card key {card_id}" in r.stdout, f"make-card pdf signs with the card key: {r.stdout.splitlines()[-1]}")
pdf = os.path.join(out, "household-cards-a4.pdf")
check(card_id in subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout,
      "the page says which card key signed it")
pages = render(pdf, os.path.join(ART, "a4-signed"))
signed_db = kiosk_db("ctl-signed", card_key)
read_cards(pages[:3], expected[:3], signed_db, "signed a4", signed_by=card_id)
with open(os.path.join(out, "residents-with-ids.csv"), encoding="utf-8") as f:
    ids = {row["person_id"] for row in csv.DictReader(f)}
listed = {p["id"] for p in json.loads(ctl(signed_db, "list", "--json").stdout)}
check(listed and listed <= ids, "a signed card's person ids are the ones kept in residents-with-ids.csv")

# ---- the dashboard's route ---------------------------------------------------------
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
log = os.path.join(work, "server.log")
server = start_server(SERVER, [*STORE_ARGS, "--card-key", card_key], PORT, log)
roster = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-roster", "--role", "roster")
searcher = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-search", "--role", "search")
counter = run(SERVER, *STORE_ARGS, "add-user", "--name", "hq-counts", "--role", "counts")
csv_bytes = open(RESIDENTS, "rb").read()


def post(token, body, layout="a4"):
    req = urllib.request.Request(f"{URL}/v1/card-sheets?layout={layout}", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "text/csv"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


files_before = sorted(os.listdir(work))
for layout in ("a4", "cut"):
    status, ctype, body = post(roster, csv_bytes, layout)
    check(status == 200 and ctype.startswith("application/pdf") and body.startswith(b"%PDF"),
          f"roster: POST /v1/card-sheets?layout={layout} gives a PDF ({status}, {ctype}, {len(body)} bytes)")
    pdf = os.path.join(ART, f"server-{layout}.pdf")
    open(pdf, "wb").write(body)
    if layout == "a4":
        pages = render(pdf, os.path.join(ART, "server-a4"))
    else:
        pages = [render(pdf, os.path.join(ART, f"server-cut-card{i + 1:02d}"),
                        (GRID_X + (i % 2) * CARD_W, GRID_Y + (i // 2) * CARD_H, CARD_W, CARD_H), page=1)[0]
                 for i in range(2)]
    db = kiosk_db("server-" + layout, card_key)
    read_cards(pages[:2], expected[:2], db, "server " + layout, signed_by=card_id)
for token, role in ((searcher, "search"), (counter, "counts")):
    status, _, body = post(token, csv_bytes)
    check(status == 403 and b"roster" in body, f"a {role} account gets 403: {body[:120]!r}")
status, _, body = post("", csv_bytes)
check(status == 401, f"no token: 401 ({status})")
status, _, body = post(roster, "世帯番号,氏名,生年月日\n9,秘密 太郎,1950-99-01\n".encode())
check(status == 400 and b"line 2" in body and b"birth" in body, f"a malformed CSV: 400 naming the line: {body!r}")
status, _, body = post(roster, b"just some text")
check(status == 400, f"not a residents CSV at all: 400: {body!r}")
status, _, body = post(roster, csv_bytes, "poster")
check(status == 400 and b"layout" in body, f"an unknown layout: 400: {body!r}")
big = "household,name\n" + "".join(f"{i},Name {i}\n" for i in range(200000))
status, _, body = post(roster, big.encode())
check(status == 413 and b"MiB" in body, f"a CSV over the route's limit: 413 with the limit: {body[:120]!r}")
server.terminate()
server.wait()
logged = open(log, encoding="utf-8").read()
check("card sheets made by hq-roster: 11 household(s), layout a4, signed with card key " + card_id in logged,
      "the log says who made how many cards, signed with which key")
check(not any(n in logged for n in names + ["秘密"]) and "1950-99-01" not in logged and "多摩市" not in logged,
      "no name, date or address from a CSV reaches the log")
added = set(os.listdir(work)) - set(files_before) - {"server.db-wal", "server.db-shm"}
check(not added, f"nothing new on disk beside the server's database: {sorted(added)}")
con = sqlite3.connect(os.path.join(work, "server.db"))
dump = "\n".join(con.iterdump())
con.close()
check(not any(n in dump for n in names), "and no resident's name in the server's database")
finish()
