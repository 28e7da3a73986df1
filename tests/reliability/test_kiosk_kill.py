#!/usr/bin/env python3
"""kill -9 the real kiosk (under Xvfb) around the moment a household is
confirmed, ROUNDS times on one database, seeded. A household counts as
acknowledged when the kiosk showed its done screen before the kill; every
acknowledged household must be in the file afterwards, no person twice, and
the file must pass PRAGMA integrity_check after every kill.

usage: test_kiosk_kill.py KIOSK SHELTERCTL REPO_ROOT      ROUNDS=30, SEED=n
"""
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
from test_kiosk_gui import CTL, KIOSK, Kiosk, Xvfb, check, failures  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "30"))
rng = random.Random(int(os.environ.get("SEED", "7")))
work = tempfile.mkdtemp(prefix="kiosk-kill-")
DB = os.path.join(work, "kiosk.db")


class KioskOnDb(Kiosk):
    """The GUI test's driver, on one database kept across restarts."""

    def __init__(self, x, card):
        self.dir = work
        self.map = os.path.join(work, "ui.json")
        if os.path.exists(self.map):
            os.remove(self.map)
        config = os.path.join(work, "kiosk.toml")
        with open(config, "w") as f:
            f.write(f'db = "{DB}"\nshelter_id = "kill-01"\ndevice_id = "kill-01-a"\nfullscreen = false\n')
        self.env = dict(os.environ, DISPLAY=x.display, SDL_AUDIODRIVER="dummy")
        self.log = open(os.path.join(work, "kiosk.log"), "a")
        self.proc = subprocess.Popen([KIOSK, "--config", config, "--replay", card, "--ui-map", self.map],
                                     env=self.env, stdout=self.log, stderr=self.log)
        end = time.time() + 10
        while not self.ui()["screen"] and time.time() < end:
            time.sleep(0.05)
        subprocess.run(["xdotool", "mousemove", "2", "2"], env=self.env, check=False)
        time.sleep(0.2)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


# One card per round, two persons each, made as the city would make them.
residents = os.path.join(work, "residents.csv")
with open(residents, "w") as f:
    f.write("household,name,reading,sex,birth\n")
    for n in range(ROUNDS):
        f.write(f"H{n},Kill Test {n}a,キル,F,{1950 + n}\nH{n},Kill Test {n}b,キル,M,{1960 + n}\n")
subprocess.run([CTL, "make-card", residents, "--out", os.path.join(work, "cards")], check=True,
               stdout=subprocess.DEVNULL)
subprocess.run([CTL, "--db", DB, "init", "--shelter", "kill-01", "--device", "kill-01-a"], check=True,
               stdout=subprocess.DEVNULL)

acked, modes = [], {"before-confirm": 0, "right-after-tap": 0, "after-done": 0}
t0 = time.time()
with Xvfb() as x:
    for n in range(ROUNDS):
        k = KioskOnDb(x, os.path.join(work, "cards", f"household-H{n}.png"))
        mode = list(modes)[n % len(modes)]  # each moment in turn; the delays are random
        modes[mode] += 1
        if not k.wait_for(screen="scan-result", timeout=15):
            check(False, f"round {n}: the card opens the household screen ({k.ui()['screen']})")
        elif mode == "before-confirm":
            time.sleep(rng.uniform(0, 0.3))
        elif mode == "right-after-tap":
            w = next((w for w in k.ui()["widgets"] if w["id"] == "confirm"), None)
            if w:
                subprocess.run(["xdotool", "mousemove", str(int(w["x"] + w["w"] / 2)), str(int(w["y"] + w["h"] / 2)),
                                "click", "1"], env=k.env, check=True)
            time.sleep(rng.uniform(0, 0.05))
        else:
            k.tap("confirm")
            if k.wait_for(screen="done", timeout=10):
                time.sleep(rng.uniform(0, 0.2))
        if k.ui()["screen"] == "done":
            acked.append(n)
        k.kill9()
        c = sqlite3.connect(DB)
        check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"round {n} ({mode}): integrity_check ok")
        c.close()
print(f"kiosk kill -9: {ROUNDS} rounds in {time.time() - t0:.1f} s, {modes}; {len(acked)} households acknowledged",
      flush=True)

c = sqlite3.connect(DB)
names = [r[0] for r in c.execute("SELECT name FROM person")]
c.close()
check(modes["after-done"] > 0 and modes["before-confirm"] > 0, "kills fell both before and after confirmation")
for n in acked:
    check(f"Kill Test {n}a" in names and f"Kill Test {n}b" in names, f"household H{n}, acknowledged, is in the file")
check(len(names) == len(set(names)), f"no person twice ({len(names)} persons)")
for n in range(ROUNDS):
    if n not in acked:
        both = (f"Kill Test {n}a" in names) == (f"Kill Test {n}b" in names)
        check(both, f"household H{n}, killed before its done screen, is all there or not at all")
if failures:
    print(f"{len(failures)} failure(s); kept {work}")
    sys.exit(1)
shutil.rmtree(work, ignore_errors=True)
print("0 failure(s)")
