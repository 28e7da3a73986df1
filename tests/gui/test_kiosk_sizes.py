#!/usr/bin/env python3
"""Every keyboard and every household list in the real kiosk window, at the
three screen sizes the kiosk meets: 1280x800 (the tablet), 1024x600 (cheap
10" tablets) and 1920x1080 (a monitor).

A household of 8 arrives by card; the test then opens the walk-in's kana
and Latin keyboards, the PIN pad, the staff search and correction keyboards
and the lead's new-volunteer keyboard. On each, the kiosk's UI map must show
no widget cut off by the screen's edge, no label cut and (for the
household) all 8 members whole. Screenshots land in
tests/artifacts/gui/sizes-<W>x<H>/ to be looked at.

usage: test_kiosk_sizes.py KIOSK SHELTERCTL REPO_ROOT
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_kiosk_gui import CTL, LEAD, Kiosk, Xvfb, check, enter_pin, failures  # noqa: E402

SIZES = [(1280, 800), (1024, 600), (1920, 1080)]
FAMILY = [("髙橋 𠮷男", "タカハシ ヨシオ", "M", "1948-05-01", "care"),
          ("髙橋 花子", "タカハシ ハナコ", "F", "1950-03-03", ""),
          ("髙橋 一郎", "タカハシ イチロウ", "M", "1975-01-02", ""),
          ("髙橋 美咲", "タカハシ ミサキ", "F", "1978-07-07", "pregnant"),
          ("髙橋 翔太", "タカハシ ショウタ", "M", "2005-04-04", ""),
          ("髙橋 さくら", "タカハシ サクラ", "F", "2010-09-09", "allergy"),
          ("髙橋 陽斗", "タカハシ ハルト", "M", "2020-02-02", "infant"),
          ("Nguyen Thi Bich Ngoc", "グエン ティ ビック ゴック", "F", "1990-12-12", "language")]


def family_card(folder):
    """A card of the household of 8, as the replay camera's only frame."""
    csv = os.path.join(folder, "family.csv")
    with open(csv, "w") as f:
        f.write("household,name,reading,sex,birth,needs\n")
        for name, reading, sex, birth, needs in FAMILY:
            f.write(f"h8,{name},{reading},{sex},{birth},{needs}\n")
    out = os.path.join(folder, "card")
    subprocess.run([CTL, "make-card", csv, "--out", out], check=True, capture_output=True)
    frames = os.path.join(folder, "frames")
    os.makedirs(frames)
    shutil.copy(os.path.join(out, "household-h8.png"), frames)
    return frames


def whole(k, where, members=None):
    """Nothing on the screen cut off, every label whole; a screenshot."""
    k.screenshot()  # first: it also waits for the screen's last frames (a list scrolls from its second)
    widgets = k.ui()["widgets"]
    cut = [w["id"] for w in widgets if w.get("cut_off")]
    check(not cut, f"{where}: nothing cut off by the screen's edge ({cut})")
    labels = [w["id"] for w in widgets if w.get("label_cut")]
    check(not labels, f"{where}: every label whole ({labels})")
    if members:
        ids = {w["id"]: w for w in widgets}
        hidden = [m for m in members if m not in ids or ids[m].get("clipped")]
        check(not hidden, f"{where}: all {len(members)} members shown whole ({hidden})")


def one_size(x, width, height, frames):
    where = f"{width}x{height}"
    k = Kiosk(x, f"sizes-{where}", frames, f"window_width = {width}\nwindow_height = {height}\n", volunteers=(LEAD,))
    check(k.wait_for(screen="scan-result", timeout=20), f"{where}: the card of 8 opens the household screen")
    check(k.wait_for(widget="member:7"), f"{where}: the eighth member is listed")
    whole(k, f"{where} household of 8", [f"member:{i}" for i in range(8)])
    k.tap("confirm")
    check(k.wait_for(screen="done"), f"{where}: 8 checked in")
    whole(k, f"{where} done, 8 passes", [f"checked-in:{i}" for i in range(8)])
    k.tap("finish")
    # The walk-in's keyboards (the card, still in view, is ignored there).
    k.tap("no-card")
    check(k.wait_for(widget="key:ア"), f"{where}: the kana keyboard")
    whole(k, f"{where} kana keyboard")
    check(all(k.wait_for(widget=w, timeout=2) for w in ["key:゜", "key:ェ", "key:convert", "key:delete", "next"]),
          f"{where}: the ゜ and small-kana columns and the control row are there")
    # Kana -> kanji: the candidate bar.
    for w in ["key:ヤ", "key:マ", "key:タ", "key:゛", "key:convert"]:
        k.tap(w)
    check(k.wait_for(widget="cand:0"), f"{where}: the conversion's candidates")
    whole(k, f"{where} conversion bar")
    k.tap("key:delete")  # back to the kana
    k.tap("kbd:latin")
    check(k.wait_for(widget="key:Q"), f"{where}: the Latin keyboard")
    whole(k, f"{where} Latin keyboard")
    k.tap("kbd:hangul")
    check(k.wait_for(widget="key:ㅃ"), f"{where}: the Hangul keyboard")
    whole(k, f"{where} Hangul keyboard")
    k.tap("kbd:viet")
    check(k.wait_for(widget="key:tone-x"), f"{where}: the Vietnamese keyboard")
    whole(k, f"{where} Vietnamese keyboard")
    k.tap("kbd:hand")
    check(k.wait_for(widget="pad"), f"{where}: the handwriting pad")
    whole(k, f"{where} handwriting pad")
    k.tap("kbd:kana")
    k.tap("back")
    # Staff: the PIN pad, then the search and correction keyboards and the
    # lead's new-volunteer keyboard.
    check(k.wait_for(screen="welcome"), f"{where}: back at welcome")
    k.tap("staff")
    check(k.wait_for(widget="who:0"), f"{where}: the PIN screen")
    k.tap("who:0")
    whole(k, f"{where} PIN pad")
    # At 1920x1080 llvmpipe draws slowly: a digit tapped before the frame
    # that moved the keypad may miss. The PIN is typed again once then.
    for _ in range(2):
        enter_pin(k, LEAD[1])
        if k.wait_for(screen="staff", timeout=5):
            break
    check(k.ui()["screen"] == "staff", f"{where}: staff mode")
    whole(k, f"{where} staff search")
    k.tap("search-box")
    check(k.wait_for(widget="search-key:delete"), f"{where}: the search keyboard")
    whole(k, f"{where} search keyboard")
    k.tap("search-cancel")
    k.tap("result:0")
    check(k.wait_for(widget="edit:name"), f"{where}: a person's record")
    whole(k, f"{where} person")
    k.tap("edit:name")
    check(k.wait_for(widget="edit-key:delete"), f"{where}: the correction keyboard")
    whole(k, f"{where} correction keyboard")
    k.tap("edit-cancel")
    k.tap("tab:team")
    k.tap("team-add")
    check(k.wait_for(widget="name-key:delete"), f"{where}: the new volunteer's name keyboard")
    whole(k, f"{where} new volunteer keyboard")
    k.stop()
    k.cleanup()


def main():
    work = tempfile.mkdtemp(prefix="kiosk-sizes-")
    try:
        frames = family_card(work)
        for width, height in SIZES:
            print(f"== {width}x{height}", flush=True)
            # A screen the window's size: the UI map's coordinates are the
            # window's, and the taps the screen's.
            with Xvfb(f"{width}x{height}") as x:
                one_size(x, width, height, frames)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
