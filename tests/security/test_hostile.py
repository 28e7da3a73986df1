#!/usr/bin/env python3
"""Hostile clients against a real shelter-server (docs/security.md).

Each attacker plays against a running server with raw HTTP requests, as
curl would, or with a hand-made USB file: a kiosk of shelter A writing
about B's persons, reading B's feed, pushing as another shelter or device;
malformed, oversized and control-character bodies; headquarters accounts
reaching past their role; old, expired and revoked credentials; a search
that lists everyone. For every attack the suite checks that it is refused
(status and reason) and that the roster (as the roster role downloads it),
the counts, and every kiosk's store after a sync (`shelterctl export
--csv --all`, `list --all --json`, `counts --all --json`) are byte for
byte the same before and after it.

Attacks are rows of ATTACKS (name, function, expected-open reason). An
attack that is not closed yet (another part of issue 19 closes it) is
marked with the reason and reported OPEN, not failing; if it turns out
refused and harmless, it is reported CLOSED so the mark can be removed.

One line per attack:
    ok     NAME: what refused it
    FAIL   NAME: what went through, which snapshot changed
    OPEN   NAME: why it is still open
    CLOSED NAME: marked open but refused and harmless (remove the mark)

Proving it bites: a control row first makes an allowed change and must
see the snapshot change. To see an attack fail, remove one server check,
rebuild and run this file, e.g.
    make kiosk_write_refusal() in core/write_rules.cpp return std::nullopt
    ninja -C build && tests/security/test_hostile.py build
and the not_this_shelter attacks FAIL (docs/security.md).

Environment: SHELTER_PG_URL runs against PostgreSQL (tests/sync/
with_postgres.sh sets it); HOSTILE_ONLY=word,word runs the attacks whose
names contain a word; HOSTILE_STRICT=1 counts OPEN attacks as failures.

usage: test_hostile.py BUILD_DIR
"""
import ctypes
import ctypes.util
import hashlib
import http.client as httpclient
import json
import os
import subprocess
import sys
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sync"))
from harness import binaries, check, finish, free_port, run, secrets_of, start_server, token_of, work  # noqa: E402

BUILD = sys.argv[1]
CTL, SERVER, SYNC = binaries(BUILD)
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
PG = os.environ.get("SHELTER_PG_URL", "")
STORE_ARGS = ["--pg", PG] if PG else ["--db", os.path.join(work, "server.db")]
LOG = os.path.join(work, "server.log")
# Headquarters' box key: kiosks seal USB files to it; the server opens them.
HQ_KEY = os.path.join(work, "hq.key")
subprocess.run([SERVER, *STORE_ARGS, "hq-key", "--out", HQ_KEY], check=True, capture_output=True)
STORE_ARGS = STORE_ARGS + ["--hq-key", HQ_KEY]
HQ_PUBLIC = bytes.fromhex(json.load(open(HQ_KEY))["public_key"])
YEAR_9999_MS = 253402300799000  # 9999-12-31T23:59:59Z


# --- processes --------------------------------------------------------------

def server_cli(*args, ok=(0,)):
    r = subprocess.run([SERVER, *STORE_ARGS, *args], capture_output=True, text=True)
    if r.returncode not in ok:
        raise SystemExit(f"shelter-server {args}: {r.stderr}")
    return r


def ctl(db, *args):
    return run(CTL, "--db", db, *args)


def sync(db):
    r = subprocess.run([SYNC, "--db", db, "--server", URL, "--once"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"sync {db}: {r.stderr}")


def sql(db, query):
    return subprocess.run(["sqlite3", db, query], capture_output=True, text=True, check=True).stdout.strip()


def server_sql(query):
    """A statement on the server's database, SQLite or PostgreSQL."""
    if PG:
        subprocess.run(["psql", PG, "-Atc", query], check=True, capture_output=True)
    else:
        sql(os.path.join(work, "server.db"), query)


server = start_server(SERVER, STORE_ARGS, PORT, LOG)


def with_server_stopped(fn):
    """Runs fn with the server stopped (a second writer on a SQLite file is
    not what an operator does), then starts it again. PostgreSQL takes
    several processes at once: the server keeps running."""
    global server
    if PG:
        return fn()
    server.terminate()
    server.wait()
    try:
        return fn()
    finally:
        server = start_server(SERVER, STORE_ARGS, PORT, LOG)


# --- raw HTTP ---------------------------------------------------------------

def request(method, path, token=None, body=None, headers=None):
    """One request on a fresh connection; (status, body bytes)."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if body is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/json"
    c = httpclient.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def reply_json(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


def error_of(data):
    j = reply_json(data)
    return j.get("error", "") if isinstance(j, dict) else ""


SODIUM = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
assert SODIUM.sodium_init() >= 0


def ed25519(seed):
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    SODIUM.crypto_sign_seed_keypair(pk, sk, seed)
    return pk.raw, sk


def volunteer_key(db, name, pin):
    """The volunteer's Ed25519 key as their kiosk derives it from their PIN
    (core/volunteer_keys.hpp): what a compromised kiosk holds while they are
    signed in on it."""
    import sqlite3
    salt = bytes.fromhex(sqlite3.connect(db).execute("SELECT key_salt FROM volunteer WHERE name = ?",
                                                     (name,)).fetchone()[0])
    seed = ctypes.create_string_buffer(32)
    assert SODIUM.crypto_pwhash(seed, ctypes.c_ulonglong(32), pin.encode(), ctypes.c_ulonglong(len(pin)), salt,
                                ctypes.c_ulonglong(2), ctypes.c_size_t(64 << 20), ctypes.c_int(2)) == 0
    return ed25519(seed.raw)


def staff_signature(event, sk):
    """A volunteer's signature of an event: the event's JSON as the C++
    side writes it (nlohmann: sorted keys, no spaces, UTF-8)."""
    message = b"shelter-staff-event-v1\n" + json.dumps(event, sort_keys=True, separators=(",", ":"),
                                                         ensure_ascii=False).encode()
    sig = ctypes.create_string_buffer(64)
    SODIUM.crypto_sign_detached(sig, None, message, ctypes.c_ulonglong(len(message)), sk)
    return sig.raw.hex()


def push(token, device, events, raw=None, headers=None, sigs=None):
    """A push; A's lead (signed in on the compromised kiosk A) signs A's
    events written as them, unless `sigs` says what to send."""
    if sigs is None and raw is None:
        sigs = {e["id"]: staff_signature(e, A_LEAD_KEY[1]) for e in events
                if isinstance(e, dict) and e.get("author") == A_LEAD}
    body = {"v": 1, "device": device, "events": events}
    if sigs:
        body["sigs"] = sigs
    body = raw if raw is not None else json.dumps(body).encode()
    return request("POST", "/v1/push", token, body, headers)


def refused_codes(status, data):
    j = reply_json(data) if status == 200 else {}
    return j.get("ack"), [f["code"] for f in j.get("refused", [])]


# --- the world --------------------------------------------------------------

# Each kiosk's lead, named at enrolment: the code vouches for their key.
LEADS = {"tama-01-a": "佐藤", "tama-01-b": "鈴木", "tama-02-a": "高橋"}
LEAD_PIN = "246813"
A_LEAD = "staff:佐藤"


def kiosk(device, shelter):
    db = os.path.join(work, device + ".db")
    code = server_cli("enrol-code", "--shelter", shelter, "--device", device).stdout.strip()
    subprocess.run([CTL, "--db", db, "enrol", "--shelter", shelter, "--device", device, "--name", shelter,
                    "--server", URL, "--code", code, "--lead", LEADS[device]],
                   input=LEAD_PIN + "\n", text=True, capture_output=True, check=True)
    return db


def checkin(db, name, reading, birth, *extra):
    out = ctl(db, "checkin", "--name", name, "--reading", reading, "--birth", birth, *extra)
    return out.split()[2]  # "Checked in ID (household H) at S"


def add_user(name, role):
    return server_cli("add-user", "--name", name, "--role", role).stdout.strip()


server_cli("set-shelter", "--shelter", "tama-01", "--name", "多摩第一小学校", "--capacity", "100")
server_cli("set-shelter", "--shelter", "tama-02", "--name", "多摩公民館", "--capacity", "50")
A, A2, B = kiosk("tama-01-a", "tama-01"), kiosk("tama-01-b", "tama-01"), kiosk("tama-02-a", "tama-02")
KIOSKS = {"tama-01-a": A, "tama-01-b": A2, "tama-02-a": B}
A_TOKEN = token_of(A)
A_LEAD_KEY = volunteer_key(A, LEADS["tama-01-a"], LEAD_PIN)

A_PERSON = checkin(A, "多摩 一郎", "タマ イチロウ", "1950", "--consent")
A_OTHER = checkin(A, "多摩 二郎", "タマ ジロウ", "1952")
checkin(A2, "多摩 三子", "タマ ミツコ", "1990-04-01", "--consent")
# B's persons: the victim of the closed attacks, and one per attack that is
# still open (an open attack changes its victim for good).
VICTIM = checkin(B, "被害 花子", "ヒガイ ハナコ", "1960-05-01", "--phone", "090-1111-2222")
CARD_VICTIM = checkin(B, "被害 次郎", "ヒガイ ジロウ", "1961", "--phone", "090-3333-4444")
PASS_VICTIM = checkin(B, "被害 三郎", "ヒガイ サブロウ", "1962")
USB_VICTIM = checkin(B, "被害 四郎", "ヒガイ シロウ", "1963")
checkin(B, "同意 五郎", "ドウイ ゴロウ", "1964", "--consent")
for db in (A, A2, B, A, A2, B):
    sync(db)
COUNTS, SEARCH, ROSTER = add_user("hq-counts", "counts"), add_user("hq-search", "search"), add_user("hq-roster", "roster")
HOUSEHOLD = {p["id"]: p["household"] for db in KIOSKS.values() for p in json.loads(ctl(db, "list", "--all", "--json"))}


def snapshot():
    """What the attacks must not change, after every kiosk has synced."""
    for db in KIOSKS.values():
        sync(db)
    snap = {}
    status, snap["roster"] = request("GET", "/v1/export/roster.csv", ROSTER)
    assert status == 200, status
    status, snap["counts"] = request("GET", "/v1/counts", COUNTS)
    assert status == 200, status
    for name, db in KIOSKS.items():
        snap[name + " export"] = ctl(db, "export", "--csv", "--all")
        snap[name + " list"] = ctl(db, "list", "--all", "--json")
        snap[name + " counts"] = ctl(db, "counts", "--all", "--json")
    return snap


seqs = {}


def next_seq(device):
    """A seq this device has not used (far above its real ones)."""
    seqs[device] = seqs.get(device, 100000) + 1
    return seqs[device]


def event(type_, person, body=None, device="tama-01-a", shelter="tama-01", author="self", ms=None, household=None):
    """An event as a kiosk would send it, by hand."""
    ms = ms or int(time.time() * 1000)
    hlc = (ms << 16) | (next_seq(device) & 0xFFFF)
    return {"id": f"{device}.{hlc:016x}", "type": type_, "person": person,
            "household": household if household is not None else HOUSEHOLD.get(person, ""),
            "shelter": shelter, "device": device, "seq": seqs[device], "author": author, "hlc": hlc,
            "body": body if body is not None else {}}


def new_arrival(name, device="tama-01-a", shelter="tama-01"):
    pid = os.urandom(8).hex()
    return event("arrived", pid, {"name": name, "birth": "1970", "consent": "1"}, device, shelter,
                 household=os.urandom(8).hex())


# --- the attacks: each returns (refused?, what the server said) -------------

def expect_refused_events(status, data, codes):
    ack, got = refused_codes(status, data)
    return status == 200 and ack == [] and got == codes, f"{status} refused {got} ack {ack}"


def expect_status(status, data, want, words=""):
    err = error_of(data)
    ok = status == want and words in err
    j = reply_json(data)
    # A refusal carries its reason and nobody's data.
    ok = ok and isinstance(j, dict) and set(j) == {"error"}
    return ok, f"{status} {err[:90]}"


def control_allowed_change():
    """Not an attack: kiosk A corrects its own person. The snapshot must
    change, or the suite could not see an attack that went through."""
    s, d = push(A_TOKEN, "tama-01-a", [event("corrected", A_OTHER, {"phone": "042-000-0000"}, author=A_LEAD)])
    ack, _ = refused_codes(s, d)
    return bool(ack), f"{s} ack {ack}"


def correct_b_person():
    """consent 0 → 1, a new phone, by A's lead (signed in on A), stamped in 9999."""
    e = event("corrected", VICTIM, {"consent": "1", "phone": "000-0000-0000", "address": "attacker"},
              author=A_LEAD, ms=YEAR_9999_MS)
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", [e]), ["not_this_shelter"])


def out_leave_b_person():
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", [event("went_out", VICTIM), event("left", VICTIM)]),
                                 ["not_this_shelter", "not_this_shelter"])


def merge_b_person():
    """Hide B's person as a duplicate of one of A's."""
    e = event("merged", VICTIM, {"into": A_PERSON}, author=A_LEAD)
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", [e]), ["not_this_shelter"])


def link_b_person():
    e = event("household_linked", VICTIM, household=HOUSEHOLD[A_PERSON], author=A_LEAD)
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", [e]), ["not_this_shelter"])


def push_under_other_shelter():
    """An arrival and a correction written as if at shelter B."""
    events = [new_arrival("偽 到着", shelter="tama-02"),
              event("corrected", VICTIM, {"consent": "1"}, shelter="tama-02", author=A_LEAD)]
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", events), ["other_shelter", "other_shelter"])


def push_as_other_device():
    """A's token, a request that says it is B's kiosk."""
    e = event("corrected", VICTIM, {"consent": "1"}, device="tama-02-a", shelter="tama-02")
    return expect_status(*push(A_TOKEN, "tama-02-a", [e]), 403, "this token belongs to device tama-01-a")


def pull_b_feed():
    return expect_status(*request("GET", "/v1/pull?shelter=tama-02&after=0", A_TOKEN), 403, "only shelter tama-01")


def kiosk_reads_headquarters():
    results = [expect_status(*request("GET", "/v1/counts?shelter=tama-02", A_TOKEN), 403, "only shelter tama-01"),
               expect_status(*request("GET", "/v1/counts", A_TOKEN), 403, "only shelter tama-01"),
               expect_status(*request("GET", "/v1/devices", A_TOKEN), 403, "headquarters only"),
               expect_status(*request("GET", "/v1/export/roster.csv", A_TOKEN), 403, "headquarters only"),
               expect_status(*request("GET", "/v1/search?q=" + urllib.parse.quote("被害 花子"), A_TOKEN), 403,
                             "headquarters only")]
    return all(ok for ok, _ in results), "; ".join(w for _, w in results)


def no_or_forged_token():
    e = [event("corrected", VICTIM, {"consent": "1"})]
    results = [expect_status(*push(None, "tama-01-a", e), 401, "missing credentials"),
               expect_status(*push("0" * 64, "tama-01-a", e), 401, "unknown credentials"),
               expect_status(*push(A_TOKEN[:-1] + ("0" if A_TOKEN[-1] != "0" else "1"), "tama-01-a", e), 401,
                             "unknown credentials"),
               expect_status(*request("GET", "/v1/export/roster.csv", None, headers={"Authorization": "Basic YTpi"}), 401,
                             "missing credentials")]
    return all(ok for ok, _ in results), "; ".join(w for _, w in results)


def headquarters_pushes():
    """A roster account (or a stolen dashboard token) is not a kiosk."""
    return expect_status(*push(ROSTER, "tama-02-a", [event("corrected", VICTIM, {"consent": "1"},
                                                               device="tama-02-a", shelter="tama-02")]),
                         403, "only kiosks push")


def malformed_bodies():
    """Each body holds a good new arrival beside the bad part: a batch with
    one bad event stores nothing."""
    good = new_arrival("正常 到着")

    def with_bad(**change):
        bad = dict(event("corrected", A_OTHER, {"phone": "1"}), **change)
        return json.dumps({"v": 1, "device": "tama-01-a", "events": [good, bad]}, separators=(",", ":")).encode()

    def body_with(field, value):
        return with_bad(body={field: value})

    cases = [
        ("not JSON", b"{not json", 400, ""),
        ("cut short", json.dumps({"v": 1, "device": "tama-01-a", "events": [good]}).encode()[:-3], 400, ""),
        ("nested 100000 deep", b"[" * 100000 + b"]" * 100000, 400, ""),
        ("protocol version 9", json.dumps({"v": 9, "device": "tama-01-a", "events": [good]}).encode(), 400, ""),
        ("control character in a name", body_with("name", "悪意\u0007"), 400, "control"),
        ("C1 control in a name", body_with("name", "悪意\u0085x"), 400, "control"),
        ("newline in the author", with_bad(author="staff:mayor\nrefused (403): forged log line"), 400, ""),
        ("invalid UTF-8", with_bad().replace(b'"phone":"1"', b'"phone":"\xff\xfe"'), 400, ""),
        ("unknown field", body_with("role", "admin"), 400, ""),
        ("clamp from a kiosk", with_bad(clamp=1), 400, "clamp"),
        ("negative seq", with_bad(seq=-5), 400, ""),
        ("seq as text", with_bad(seq="7"), 400, ""),
        ("id of another clock", with_bad(id="tama-01-a.0000000000000001"), 400, ""),
        ("person id not hex", with_bad(person="../../etc"), 400, ""),
        ("a 1e400 clock", with_bad().replace(b'"seq":', b'"x":1e400,"seq":'), 400, ""),
        ("3000 events", json.dumps({"v": 1, "device": "tama-01-a", "events": [good] * 3000}).encode(), 400, ""),
    ]
    results = []
    for what, body, want, words in cases:
        s, d = push(A_TOKEN, "tama-01-a", None, raw=body)
        ok, said = expect_status(s, d, want, words)
        results.append((ok, s, f"{what}: {said[:40]}"))
    # 9 MiB plain, and a gzip bomb (a small body that inflates past 8 MiB).
    s, d = push(A_TOKEN, "tama-01-a", None, raw=b" " * (9 << 20))
    results.append((s == 413, s, f"9 MiB: {s}"))
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    bomb = z.compress(json.dumps({"v": 1, "device": "tama-01-a", "events": [good]}).encode())
    bomb += b"".join(z.compress(b" " * (1 << 20)) for _ in range(512)) + z.flush()
    for token, path in ((A_TOKEN, "/v1/push"), (None, "/v1/push"), (None, "/v1/login"), (None, "/v1/no-such")):
        s, d = request("POST", path, token, bomb, {"Content-Encoding": "gzip"})
        results.append((s == 413, s, f"gzip bomb (512 MiB in {len(bomb) >> 10} KiB) to {path}: {s}"))
    peak = [line for line in open(f"/proc/{server.pid}/status") if line.startswith("VmHWM")]
    peak_mib = int(peak[0].split()[1]) >> 10 if peak else 0
    # Unbounded, the bomb alone would hold 512 MiB. Under AddressSanitizer
    # (the CI's second pass) freed memory waits in a 256 MiB quarantine.
    limit_mib = 480 if os.environ.get("ASAN_OPTIONS") else 256
    failed = [w for ok, _, w in results if not ok] + ([] if peak_mib < limit_mib else
                                                      [f"server peak memory {peak_mib} MiB (limit {limit_mib})"])
    statuses = sorted(s for _, s, _ in results)
    tally = ", ".join(f"{n}×{statuses.count(n)}" for n in sorted(set(statuses)))
    return not failed, ("; ".join(failed) if failed else
                        f"{len(results)} bodies refused: {tally}; server peak memory {peak_mib} MiB")


def search_role_downloads_roster():
    results = [expect_status(*request("GET", "/v1/export/roster.csv", SEARCH), 403, "roster role"),
               expect_status(*request("GET", "/v1/export/pfif.xml", SEARCH), 403, "roster role")]
    return all(ok for ok, _ in results), "; ".join(w for _, w in results)


def counts_role_searches():
    results = [expect_status(*request("GET", "/v1/search?q=" + urllib.parse.quote("同意 五郎"), COUNTS), 403, "search role"),
               expect_status(*request("GET", "/v1/export/roster.csv", COUNTS), 403, "roster role")]
    return all(ok for ok, _ in results), "; ".join(w for _, w in results)


def old_token_after_role_change():
    old = add_user("hq-turncoat", "roster")
    new = add_user("hq-turncoat", "counts")
    s, d = request("GET", "/v1/export/roster.csv", old)
    ok1, w1 = expect_status(s, d, 401, "unknown credentials")
    ok2, w2 = expect_status(*request("GET", "/v1/export/roster.csv", new), 403, "roster role")
    return ok1 and ok2, f"old: {w1}; new: {w2}"


def over_broad_search():
    results = []
    for q, year in [("被", ""), ("被害", ""), ("%", ""), ("_", ""), ("*", ""), ("% %", ""), ("被害 %", ""),
                    ("ー ー", ""), ("  ", ""), ("被", "1960"), ("%%", "1960"), ("1960", "1960")]:
        path = "/v1/search?" + urllib.parse.urlencode({"q": q, **({"birth_year": year} if year else {})})
        ok, said = expect_status(*request("GET", path, SEARCH), 400, "search:")
        results.append((ok, f"'{q}'{'+' + year if year else ''}: {said[:30]}"))
    # A search that names a person still works, and shows no ids.
    s, d = request("GET", "/v1/search?q=" + urllib.parse.quote("同意 五郎"), SEARCH)
    found = reply_json(d) if s == 200 else None
    named = isinstance(found, list) and len(found) == 1 and "id" not in found[0] and VICTIM not in d.decode()
    results.append((named, f"a named search: {s} {d[:80]!r}"))
    failed = [w for ok, w in results if not ok]
    return not failed, "; ".join(failed) if failed else f"{len(results) - 1} broad queries refused (400)"


def expired_api_token():
    token = add_user("hq-aged", "roster")
    server_sql("UPDATE auth_token SET created = created - 91 * 86400 WHERE name = 'hq-aged'")
    return expect_status(*request("GET", "/v1/export/roster.csv", token), 401, "expired")


def revoked_tablet():
    """A tablet enrolled, then reported lost: its token is dead."""
    code = server_cli("enrol-code", "--shelter", "tama-01", "--device", "tama-01-z").stdout.strip()
    s, d = request("POST", "/v1/enrol", None, json.dumps({"code": code, "device": "tama-01-z"}).encode())
    token = reply_json(d).get("token", "")
    server_cli("revoke", "--device", "tama-01-z")
    return expect_status(*push(token, "tama-01-z", [new_arrival("紛失 端末", device="tama-01-z")]), 401,
                         "unknown credentials")


def enrolment_code_misuse():
    code = server_cli("enrol-code", "--shelter", "tama-02", "--device", "tama-02-y").stdout.strip()
    results = [expect_status(*request("POST", "/v1/enrol", None, json.dumps({"code": code, "device": "tama-02-a"}).encode()),
                             403, ""),
               expect_status(*request("POST", "/v1/enrol", None, json.dumps({"code": "WRONGCODE2", "device": "x"}).encode()),
                             403, "")]
    request("POST", "/v1/enrol", None, json.dumps({"code": code, "device": "tama-02-y"}).encode())
    results.append(expect_status(*request("POST", "/v1/enrol", None,
                                       json.dumps({"code": code, "device": "tama-02-y"}).encode()), 403, "already used"))
    server_cli("revoke", "--device", "tama-02-y")
    return all(ok for ok, _ in results), "; ".join(w for _, w in results)


# libsodium through ctypes: what an attacker with a kiosk's secrets file and
# headquarters' public key (every kiosk has it) can make.


def key_id(public_key):
    return hashlib.blake2b(public_key, digest_size=32).digest()[:8].hex()


def usb_file(header_device, header_shelter, events, damage=False, signer=None, key_of=None, version=2):
    """A USB file as an attacker makes it: version 2, signed with the seed of
    `signer`'s secrets file (default A's), under a header naming any device
    and shelter and the key id of `key_of` (default the signer's); or an
    unsigned version 1 file with a right checksum."""
    lines = "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events).encode()
    path = os.path.join(work, f"usb-{len(os.listdir(work))}.sealed")
    if version == 1:
        head = json.dumps({"device": header_device, "events": len(events), "shelter": header_shelter,
                           "shelter_checkin_export": 1}, separators=(",", ":")).encode() + b"\n"
        digest = hashlib.blake2b(head + lines, digest_size=32).hexdigest()
        open(path, "wb").write(head + lines + json.dumps({"blake2b": digest}).encode() + b"\n")
        return path
    pk, sk = ed25519(bytes.fromhex(secrets_of(signer or A)["device_key"]["seed"]))
    named = bytes.fromhex(secrets_of(key_of)["device_key"]["public_key"]) if key_of else pk
    head = json.dumps({"device": header_device, "device_key": key_id(named), "events": len(events),
                       "hq_key": key_id(HQ_PUBLIC), "shelter": header_shelter, "shelter_checkin_export": 2},
                      separators=(",", ":")).encode() + b"\n"
    message = b"shelter-checkin usb export v2\n" + head + lines
    sig = ctypes.create_string_buffer(64)
    SODIUM.crypto_sign_detached(sig, None, message, ctypes.c_ulonglong(len(message)), sk)
    trailer = {"signature": sig.raw.hex()}
    staff = {e["id"]: staff_signature(e, A_LEAD_KEY[1]) for e in events if e.get("author") == A_LEAD}
    if staff:
        trailer["staff_signatures"] = staff
    inner = lines + json.dumps(trailer).encode() + b"\n"
    sealed = ctypes.create_string_buffer(len(inner) + 48)
    SODIUM.crypto_box_seal(sealed, inner, ctypes.c_ulonglong(len(inner)), HQ_PUBLIC)
    body = bytearray(sealed.raw)
    if damage:
        body[len(body) // 2] ^= 1
    open(path, "wb").write(head + bytes(body))
    return path


def import_usb(path):
    return with_server_stopped(lambda: server_cli("import", path, ok=(0, 1, 3)))


def usb_events_of_other_shelter():
    """A file made with A's key (a compromised kiosk A) under A's own header:
    a correction of B's person written at A, and an event of shelter B."""
    events = [event("corrected", VICTIM, {"consent": "1"}, author=A_LEAD),
              event("corrected", VICTIM, {"consent": "1"}, device="tama-01-a", shelter="tama-02")]
    r = import_usb(usb_file("tama-01-a", "tama-01", events))
    ok = r.returncode == 3 and "Imported 0 new of 2" in r.stdout and "only their shelter" in r.stderr \
        and "may write only for shelter tama-01" in r.stderr
    return ok, f"exit {r.returncode}: {r.stdout.strip()[:50]} {r.stderr.strip().splitlines()[-1][:60] if r.stderr else ''}"


def usb_damaged():
    r = import_usb(usb_file("tama-01-a", "tama-01", [event("corrected", VICTIM, {"consent": "1"})], damage=True))
    return r.returncode == 1 and "damaged, altered" in r.stderr, f"exit {r.returncode}: {r.stderr.strip()[-50:]}"


# Still open: each is closed by another part of issue 19.

def forged_card():
    """A card made with B's person's id, scanned at A: its details (name,
    consent, phone) as a registration, and as an arrival of an earlier
    version that carries them."""
    details = {"name": "被害 次郎", "birth": "1961", "consent": "1", "phone": "000-attacker"}
    events = [event("registered", CARD_VICTIM, details), event("arrived", CARD_VICTIM, dict(details, stay="shelter"))]
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", events), ["known_person", "known_person"])


def forged_pass():
    """A pass (ids only) of B's person, shown at A: the person moves to A.
    Not refused (no arrival is lost), but headquarters sees the transfer."""
    ack, codes = refused_codes(*push(A_TOKEN, "tama-01-a", [event("arrived", PASS_VICTIM, {})]))
    status, body = request("GET", "/v1/transfers?since=0", ROSTER)
    seen = status == 200 and any(t.get("person") == PASS_VICTIM and t.get("from") == "tama-02" and t.get("to") == "tama-01"
                                 for t in json.loads(body).get("transfers", []))
    check(seen, f"the move of B's person to A is on headquarters' transfers: {status} {body[:160]!r}")
    return not ack, f"ack {ack} refused {codes}"


def usb_forged_header():
    """A hand-made file that says it is B's kiosk: B's person corrected as if
    at B. Signed with A's key under A's or B's key id, or unsigned (version
    1, a right checksum); imported at headquarters and relayed by A."""
    e = event("corrected", USB_VICTIM, {"consent": "1", "phone": "000-attacker"}, device="tama-02-a", shelter="tama-02",
              author=A_LEAD)
    own_key = import_usb(usb_file("tama-02-a", "tama-02", [e]))
    b_key = import_usb(usb_file("tama-02-a", "tama-02", [e], key_of=B))
    unsigned = import_usb(usb_file("tama-02-a", "tama-02", [e], version=1))
    relayed = request("POST", "/v1/import", A_TOKEN, open(usb_file("tama-02-a", "tama-02", [e], key_of=B), "rb").read(),
                      {"Content-Type": "application/octet-stream"})
    ok = (own_key.returncode == 1 and "belongs to device tama-01-a" in own_key.stderr
          and b_key.returncode == 1 and "signature does not match" in b_key.stderr
          and unsigned.returncode == 1 and "version 1" in unsigned.stderr
          and relayed[0] == 403 and "may relay files of shelter tama-01 only" in error_of(relayed[1]))
    return ok, (f"exit {own_key.returncode}, {b_key.returncode}, {unsigned.returncode}; relay {relayed[0]}: "
                f"{b_key.stderr.strip()[-60:]}")


def forged_author():
    """A's kiosk writes as someone no kiosk is: headquarters, an admin, a
    nameless volunteer; and changes a person as the evacuee ("self")."""
    events = [event("corrected", A_PERSON, {"needs_other": "signed by nobody"}, author=a)
              for a in ("hq:mayor", "admin", "staff:", "self")]
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", events),
                                 ["bad_author", "bad_author", "bad_author", "not_staff"])


def any_volunteer_name():
    """A's kiosk claims a volunteer for a correction of its own person: a
    name nobody registered, B's lead, A2's lead (same shelter, never signed
    in on A), A's lead without a signature or with the signature of another
    event; each signed with what A holds (its own lead's key)."""
    def correction(author):
        return event("corrected", A_PERSON, {"needs_other": "signed by nobody"}, author=author)
    claimed = [correction(a) for a in ("staff:mayor", "staff:高橋", "staff:鈴木")]
    sigs = {e["id"]: staff_signature(e, A_LEAD_KEY[1]) for e in claimed}
    unsigned, reused = correction(A_LEAD), correction(A_LEAD)
    sigs[reused["id"]] = staff_signature(dict(reused, body={"needs_other": "something else"}), A_LEAD_KEY[1])
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", claimed + [unsigned, reused], sigs=sigs),
                                 ["unverified_volunteer"] * 5)


def unvouched_volunteer():
    """A's kiosk registers a volunteer of its own making, unsigned, signed by
    a key of its own, or as a second first lead; then signs as them."""
    made = ed25519(os.urandom(32))
    def register(name, role, vouched_by="", vouch=""):
        body = {"v": 1, "device": "tama-01-a", "volunteers": [
            {"name": name, "role": role, "public_key": made[0].hex(), "vouched_by": vouched_by, "vouch": vouch}]}
        status, data = request("POST", "/v1/volunteers", A_TOKEN, json.dumps(body).encode())
        answers = reply_json(data).get("volunteers", []) if status == 200 else []
        return status == 200 and len(answers) == 1 and not answers[0]["registered"], answers
    statement = f"shelter-volunteer-v1\ntama-01\n偽者\nvolunteer\n{made[0].hex()}".encode()
    self_signed = ctypes.create_string_buffer(64)
    SODIUM.crypto_sign_detached(self_signed, None, statement, ctypes.c_ulonglong(len(statement)), made[1])
    results = [register("偽者", "volunteer"), register("偽者", "lead"),
               register("偽者", "volunteer", "佐藤", self_signed.raw.hex())]
    e = event("corrected", A_PERSON, {"needs_other": "by a made-up volunteer"}, author="staff:偽者")
    pushed = expect_refused_events(*push(A_TOKEN, "tama-01-a", [e], sigs={e["id"]: staff_signature(e, made[1])}),
                                   ["unverified_volunteer"])
    return all(r[0] for r in results) and pushed[0], f"{[r[1] for r in results]} {pushed[1]}"


def relay_as_other_shelters_device():
    """A's token relays an arrival 'written' by B's kiosk under a seq B has
    not used yet: B's next real event at that seq would be refused."""
    e = new_arrival("他端末 名義", device="tama-02-a")
    return expect_refused_events(*push(A_TOKEN, "tama-01-a", [e]), ["other_device"])


SIGNED = "Ed25519-signed cards and passes (issue 19) close it"
ATTACKS = [
    # (name, function, None or why it is still open)
    ("kiosk A corrects B's person (consent 0→1, staff:mayor, year 9999)", correct_b_person, None),
    ("kiosk A records out and leave for B's person", out_leave_b_person, None),
    ("kiosk A merges B's person into its own", merge_b_person, None),
    ("kiosk A links B's person into its household", link_b_person, None),
    ("kiosk A pushes events under shelter B", push_under_other_shelter, None),
    ("kiosk A pushes as B's device", push_as_other_device, None),
    ("kiosk A pulls B's feed", pull_b_feed, None),
    ("kiosk token reads counts, devices, roster, search", kiosk_reads_headquarters, None),
    ("push without, with a forged or with a cut token", no_or_forged_token, None),
    ("headquarters account pushes", headquarters_pushes, None),
    ("malformed, oversized, control-character bodies", malformed_bodies, None),
    ("search account downloads roster and PFIF", search_role_downloads_roster, None),
    ("counts account searches", counts_role_searches, None),
    ("old token after a role change", old_token_after_role_change, None),
    ("over-broad safety search", over_broad_search, None),
    ("expired API token", expired_api_token, None),
    ("revoked tablet pushes", revoked_tablet, None),
    ("enrolment code of another device, unknown, reused", enrolment_code_misuse, None),
    ("USB file: B's person and shelter B under A's header", usb_events_of_other_shelter, None),
    ("USB file altered", usb_damaged, None),
    ("USB file with a hand-made header of B's kiosk", usb_forged_header, None),
    # Open: reported, not failing, until the fix lands (then remove the reason).
    ("forged card rewrites B's person", forged_card, None),
    ("kiosk writes as headquarters, nobody, or changes as self", forged_author, None),
    ("forged pass moves B's person to A", forged_pass,
     "a kiosk's arrival is never refused, so that none is lost: an honest kiosk refuses an unsigned pass (" + SIGNED
     + "); a compromised one can move a person whose id it knows, shown as a transfer"),
    ("kiosk claims a volunteer who did not sign in on it", any_volunteer_name, None),
    ("kiosk registers a volunteer no lead vouched for", unvouched_volunteer, None),
    ("kiosk A relays events as B's device", relay_as_other_shelters_device, None),
]


def changed(before, after):
    return [k for k in before if before[k] != after.get(k)]


only = [w for w in os.environ.get("HOSTILE_ONLY", "").split(",") if w]
strict = os.environ.get("HOSTILE_STRICT") == "1"
opened = []

before = snapshot()
done, said = control_allowed_change()
after = snapshot()
check(done and changed(before, after), f"control: an allowed correction changes the snapshot ({', '.join(changed(before, after))})")

for name, attack, open_reason in ATTACKS:
    if only and not any(w in name for w in only):
        continue
    before = snapshot()
    refused, said = attack()
    after = snapshot()
    diff = changed(before, after)
    harmless = refused and not diff
    if open_reason and not strict:
        if harmless:
            print(f"CLOSED {name}: refused and harmless ({said}): remove its open reason", flush=True)
        else:
            opened.append(name)
            print(f"OPEN   {name}: {open_reason} [{said}; changed: {', '.join(diff) or 'nothing'}]", flush=True)
        continue
    check(harmless, f"{name}: {said}" + (f" — CHANGED: {', '.join(diff)}" if diff else ""))

log = open(LOG).read()
check(not any(n in log for n in ("被害", "多摩 一郎", "同意 五郎", "attacker")), "no person's data is in the server's log")
check("forged log line" not in log, "a forged author cannot write lines into the server's log")
print(f"{len(opened)} attack(s) still open")
server.terminate()
server.wait()
finish()
