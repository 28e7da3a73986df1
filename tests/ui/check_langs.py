#!/usr/bin/env python3
"""Checks the kiosk's translations in assets/i18n/ against the C++ sources.

Usage: check_langs.py REPO_ROOT

Fails (exit 1, one problem per line) when
  a) a language file is not a valid JSON object of strings (UTF-8), repeats a
     key, has keys missing or extra compared with en.json, or has an empty value;
  b) a translation key written literally in the kiosk sources (kiosk/ui/,
     kiosk/app/, kiosk/platform/, kiosk/main.cpp) is not in en.json;
  c) a family of keys built at run time is incomplete: "qr.<error_name()>",
     "need.<need>", "stay.<stay>", "field.<f>", "age.<band>", "pet.<kind>",
     "counts.pet.<kind>" for every entry of core/vocabulary.hpp's lists,
     "presence.<state>", "event.<type>" for every event type of
     core/event.cpp;
  d) the dashboard (assets/dashboard/i18n.js) lacks a need, stay or pet
     text in a language.
On success prints "check_langs: N languages, M keys, ok".
Standard library only.
"""
import json
import re
import sys
from pathlib import Path

KEY_RE = re.compile(
    r"^(age|camera|common|counts|done|error|event|field|history|idle|keyboard|need|pass|pet|presence|qr|scan|sex|staff|stay|"
    r"walkin|welcome)"
    r"\.[a-z0-9_.+-]+$")

# Sources whose string literals may be translation keys. kiosk/cli (shelterctl)
# and kiosk/camera do not show translated text.
KEY_SOURCES = ["kiosk/ui/*.cpp", "kiosk/ui/*.hpp", "kiosk/app/*.cpp", "kiosk/app/*.hpp", "kiosk/platform/*.cpp",
               "kiosk/platform/*.hpp", "kiosk/main.cpp"]

PRESENCE = ["", "present", "out", "left", "moved"]  # to_string(Presence), "" is "not checked in"; "moved": latest arrival elsewhere
# Needs, stays, person fields and age bands come from core/vocabulary.hpp,
# the one place the code defines them (read by vocab_lists below).
IGNORED_QR_ERRORS = {"none", "unknown"}

RAW_STRING_RE = re.compile(r'(?:u8|u|U|L)?R"([^ ()\\\t\n]{0,16})\((.*?)\)\1"', re.S)
CHAR_RE = re.compile(r"'(?:\\[^'\n]{1,10}|[^\\'\n]{1,4})'")


def scan_cpp(text):
    """Returns (literals, masked): literals as [start, end, value] with adjacent
    literals joined the way the compiler joins them, and the text with
    comments and literal contents blanked out (same length, same lines)."""
    masked = list(text)
    lits = []
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if masked[k] != "\n":
                masked[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c in "uULR" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and \
                RAW_STRING_RE.match(text, i):
            m = RAW_STRING_RE.match(text, i)
            lits.append([i, m.end(), m.group(2)])
            blank(i + 1, m.end() - 1)
            i = m.end()
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j, n - 1)
            lits.append([i, j + 1, text[i + 1:j]])
            blank(i + 1, j)
            i = j + 1
        elif c == "'":
            m = CHAR_RE.match(text, i)
            if m:
                blank(i + 1, m.end() - 1)
                i = m.end()
            else:  # a digit separator, or something odd: not a literal
                i += 1
        else:
            i += 1
    masked = "".join(masked)
    # "staff." "saved" is one literal to the compiler.
    joined = []
    for lit in lits:
        if joined and masked[joined[-1][1]:lit[0]].strip() == "":
            joined[-1][1] = lit[1]
            joined[-1][2] += lit[2]
        else:
            joined.append(lit)
    return joined, masked


ROOT = Path(".")


def show(path):
    """A path as it is reported: relative to REPO_ROOT."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def block_after(masked, pos):
    """(start, end) of the {...} block whose '{' is the first one at or after pos."""
    start = masked.find("{", pos)
    if start < 0:
        return None
    depth = 0
    for k in range(start, len(masked)):
        if masked[k] == "{":
            depth += 1
        elif masked[k] == "}":
            depth -= 1
            if depth == 0:
                return start, k + 1
    return None


def function_body(masked, name):
    m = re.search(r"\b" + re.escape(name) + r"\s*\([^;{)]*\)\s*(?:const\s*)?(?:noexcept\s*)?\{", masked)
    return block_after(masked, m.end() - 1) if m else None


def returned_names(path, func, problems):
    """The string literals a function returns: `return "x";` directly, or
    `return TABLE[i];` with TABLE initialised from literals in the same file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{show(path)}: cannot read ({e})")
        return None
    lits, masked = scan_cpp(text)
    body = function_body(masked, func)
    if not body:
        problems.append(f"{show(path)}: cannot find {func}() to read its names")
        return None
    names = []
    for start, end, value in lits:
        if body[0] <= start < body[1] and re.search(r"\breturn\s*$", masked[body[0]:start]):
            names.append(value)
    for table in re.findall(r"\breturn\s+([A-Za-z_]\w*)\s*\[", masked[body[0]:body[1]]):
        m = re.search(r"\b" + re.escape(table) + r"\s*(?:\[[^\]]*\])?\s*=?\s*\{", masked)
        block = block_after(masked, m.end() - 1) if m else None
        if not block:
            problems.append(f"{show(path)}: {func}() returns from {table}, but its initialiser was not found")
            continue
        names += [value for start, end, value in lits if block[0] <= start < block[1]]
    names = [x for x in names if x]
    if not names:
        problems.append(f"{show(path)}: found no names returned by {func}()")
        return None
    return names


def vocab_lists(path, problems):
    """{name: [values]} for each `kName = {...}` list of string literals in
    core/vocabulary.hpp."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{show(path)}: cannot read ({e})")
        return {}
    lits, masked = scan_cpp(text)
    lists = {}
    for m in re.finditer(r"\b(k[A-Z]\w*)\s*=\s*\{", masked):
        block = block_after(masked, m.end() - 1)
        if block:
            lists[m.group(1)] = [v for s, e, v in lits if block[0] <= s < block[1]]
    for name in ("kNeeds", "kStays", "kPersonFields", "kAgeBands", "kPetKinds", "kHouseholdFields"):
        if not lists.get(name):
            problems.append(f"{show(path)}: cannot read the list {name}")
    return lists


def dashboard_keys(path, problems):
    """{language: set of keys} of assets/dashboard/i18n.js (`key: "text"`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{show(path)}: cannot read ({e})")
        return {}
    langs = {}
    for m in re.finditer(r"^\s{2}([a-z-]+):\s*\{(.*?)^\s{2}\}", text, re.S | re.M):
        langs[m.group(1)] = set(re.findall(r"\b([a-z_0-9]+)\s*:", m.group(2)))
    if not langs:
        problems.append(f"{show(path)}: no languages found")
    return langs


def load_lang(path, problems):
    """The language file as a dict, or None (with the problems noted)."""
    try:
        raw = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{show(path)}: not readable as UTF-8 ({e})")
        return None
    if raw.startswith("\ufeff"):
        problems.append(f"{show(path)}: starts with a byte order mark")
        raw = raw[1:]
    dups = []

    def pairs(items):
        seen = {}
        for k, v in items:
            if k in seen:
                dups.append(k)
            seen[k] = v
        return seen

    try:
        data = json.loads(raw, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        problems.append(f"{show(path)}: not valid JSON ({e})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{show(path)}: not a JSON object")
        return None
    for k in dups:
        problems.append(f"{show(path)}: key {k!r} appears more than once")
    for k, v in data.items():
        if not isinstance(v, str):
            problems.append(f"{show(path)}: value of {k!r} is not a string")
    return data


def main(argv):
    if len(argv) != 2:
        print("usage: check_langs.py REPO_ROOT", file=sys.stderr)
        return 2
    global ROOT
    root = ROOT = Path(argv[1])
    i18n = root / "assets" / "i18n"
    problems = []

    # a) every language file against en.json
    files = sorted(i18n.glob("*.json"))
    langs = {f.stem: load_lang(f, problems) for f in files}
    en = langs.get("en")
    if en is None:
        if "en" not in langs:
            problems.append(f"{show(i18n / 'en.json')}: missing")
        for p in problems:
            print(p)
        return 1
    for code, data in langs.items():
        if data is None:
            continue
        path = i18n / f"{code}.json"
        if code != "en":
            for k in en:
                if k not in data:
                    problems.append(f"{show(path)}: missing key {k!r}")
            for k in data:
                if k not in en:
                    problems.append(f"{show(path)}: extra key {k!r} (not in en.json)")
        for k, v in data.items():
            if isinstance(v, str) and not v.strip():
                problems.append(f"{show(path)}: empty value for {k!r}")

    # b) keys written literally in the kiosk sources
    sources = sorted({p for pattern in KEY_SOURCES for p in root.glob(pattern)})
    if not sources:
        problems.append(f"{show(root / 'kiosk')}: no kiosk sources found")
    for src in sources:
        try:
            text = src.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{show(src)}: cannot read ({e})")
            continue
        for start, end, value in scan_cpp(text)[0]:
            if KEY_RE.match(value) and not value.endswith(".") and value not in en:
                problems.append(f"{show(src)}:{line_of(text, start)}: key {value!r} is not in en.json")

    # c) families of keys built at run time
    needed = []  # (key, why)
    qr_names = returned_names(root / "core" / "qr_payload.cpp", "error_name", problems) or []
    needed += [(f"qr.{x}", "qr::error_name()") for x in qr_names if x not in IGNORED_QR_ERRORS]
    vocab = vocab_lists(root / "core" / "vocabulary.hpp", problems)
    needed += [(f"need.{x}", "vocab::kNeeds") for x in vocab.get("kNeeds", [])]
    needed += [(f"presence.{x}", "presence") for x in PRESENCE]
    needed += [(f"stay.{x}", "vocab::kStays") for x in vocab.get("kStays", [])]
    needed += [(f"field.{x}", "vocab::kPersonFields") for x in vocab.get("kPersonFields", [])]
    needed += [(f"age.{x}", "vocab::kAgeBands") for x in vocab.get("kAgeBands", [])]
    # Event types, as the audit trail names them (core/event.cpp's kTypeNames).
    event_src = (root / "core" / "event.cpp").read_text(encoding="utf-8")
    m = re.search(r"kTypeNames\s*=\s*\{([^}]*)\}", event_src)
    if not m:
        problems.append("core/event.cpp: kTypeNames not found")
    else:
        needed += [(f"event.{x}", "kTypeNames") for x in re.findall(r'"([a-z_]+)"', m.group(1))]
    needed += [(f"field.{x}", "vocab::kHouseholdFields") for x in vocab.get("kHouseholdFields", [])]
    needed += [(f"pet.{x}", "vocab::kPetKinds") for x in vocab.get("kPetKinds", [])]
    needed += [(f"counts.pet.{x}", "vocab::kPetKinds") for x in vocab.get("kPetKinds", [])]
    for key, why in needed:
        if key not in en:
            problems.append(f"{show(i18n / 'en.json')}: missing key {key!r} ({why})")

    # d) the dashboard's texts: every need and stay in every language
    dash = root / "assets" / "dashboard" / "i18n.js"
    for code, keys in sorted(dashboard_keys(dash, problems).items()):
        wanted = [f"need_{x}" for x in vocab.get("kNeeds", [])] + [f"stay_{x}" for x in vocab.get("kStays", [])]
        wanted += [f"pet_{x}" for x in vocab.get("kPetKinds", [])] + ["pets"]
        for key in wanted + ["age_unknown", "sex_m", "sex_f", "sex_x", "sex_unknown"]:
            if key not in keys:
                problems.append(f"{show(dash)}: language {code!r} misses key {key!r}")

    if problems:
        for p in problems:
            print(p)
        return 1
    print(f"check_langs: {len(langs)} languages, {len(en)} keys, ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
