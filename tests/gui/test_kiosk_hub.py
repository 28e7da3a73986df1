#!/usr/bin/env python3
"""The staff screen's sync tab of a kiosk with a shelter hub, in the real
window at 1024x600 (the smallest screen the kiosk meets): the three links
this tablet ↔ hub, hub ↔ city and this tablet ↔ city, each with its state
in colour, whole on the screen in Japanese and Vietnamese (the longest
labels). First for real: a city server, a hub enrolled with it over
loopback http, the kiosk enrolled with the hub and synced by shelter-sync.
Then the link states are written into the kiosk's database as
shelter-sync writes them (sync/daemon/syncer.cpp) while the kiosk runs: the
hub's city link down, then the hub down. Screenshots in
tests/artifacts/gui/hub-sync-tab/.

usage: test_kiosk_hub.py KIOSK SHELTERCTL REPO_ROOT [SHELTER_SERVER]
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_kiosk_gui import (CTL, FRAMES, LEAD, SERVER, Kiosk, Xvfb, check, enter_pin, failures,  # noqa: E402
                            start_server)

SYNC = os.path.join(os.path.dirname(SERVER), "shelter-sync")


def utc(seconds_ago):
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def set_meta(db, values):
    with sqlite3.connect(db) as c:
        c.executemany("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      values.items())


def whole(k, where):
    """Nothing cut off by the screen's edge, no label cut, the links not
    scrolled away; a screenshot."""
    k.screenshot()
    widgets = k.ui()["widgets"]
    bad = [w["id"] for w in widgets if w.get("cut_off") or w.get("label_cut")]
    bad += [w["id"] for w in widgets if w["id"].startswith("text:link-") and w.get("clipped")]
    check(not bad, f"{where}: everything whole ({bad})")


def links(k, expected, where):
    ids = [f"text:link-{link}:{state}" for link, state in expected]
    ok = all(k.wait_for(widget=i, timeout=5) for i in ids)
    check(ok, f"{where}: the three links with their states ({sorted(w['id'] for w in k.ui()['widgets'] if w['id'].startswith('text:link-'))})")


def sign_in(k):
    """The lead enrolled with the hub; once more if a digit was lost to a busy machine."""
    k.tap("staff")
    k.wait_for(screen="staff-pin")
    time.sleep(0.3)
    for _ in range(2):
        enter_pin(k, LEAD[1])
        if k.wait_for(screen="staff", timeout=5):
            return
        for _ in range(4):
            k.tap("pin:del")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sync_through_hub(folder, db):
    """City, hub and this kiosk for real: the kiosk enrolled with the hub
    syncs until the hub has relayed to the city. The servers stop after."""
    city_db, hub_db = os.path.join(folder, "city.db"), os.path.join(folder, "hub.db")
    city_port, hub_port = free_port(), free_port()
    city, hub_url = f"http://127.0.0.1:{city_port}", f"http://127.0.0.1:{hub_port}"

    def out(*args):
        return subprocess.run([*args], capture_output=True, text=True, check=True).stdout.strip()

    servers = [start_server(["--db", city_db], city_port)]
    try:
        code = out(SERVER, "--db", city_db, "enrol-code", "--hub", "--shelter", "gui-01", "--device", "gui-01-hub")
        out(SERVER, "--db", hub_db, "hub-setup", "--shelter", "gui-01", "--device", "gui-01-hub", "--city", city,
            "--code", code, "--insecure")
        servers.append(start_server(["--db", hub_db, "--relay-interval", "1"], hub_port))
        code = out(SERVER, "--db", hub_db, "enrol-code", "--shelter", "gui-01", "--device", "gui-01-a")
        r = subprocess.run([CTL, "--db", db, "enrol", "--hub", "--server", hub_url, "--code", code, "--shelter",
                            "gui-01", "--device", "gui-01-a", "--name", "テスト避難所", "--lead", LEAD[0], "--insecure"],
                           input=LEAD[1] + "\n", capture_output=True, text=True)
        check(r.returncode == 0, "the kiosk enrols with the hub" + (f": {r.stderr.strip()}" if r.returncode else ""))
        link = {}
        for _ in range(50):
            subprocess.run([SYNC, "--db", db, "--server", city, "--hub", hub_url, "--insecure", "--once"],
                           capture_output=True)
            with sqlite3.connect(db) as c:
                row = c.execute("SELECT value FROM meta WHERE key = 'hub_city_link'").fetchone()
            link = json.loads(row[0]) if row and row[0] else {}
            if link.get("state", "").startswith("ok"):
                break
            time.sleep(0.2)
        check(link.get("state", "").startswith("ok") and link.get("hub") == "gui-01-hub" and "waiting" in link,
              f"shelter-sync keeps the hub's city link as JSON: {link}")
    finally:
        for p in servers:
            p.terminate()
            p.wait()


def hub_sync_tab(x):
    folder = tempfile.mkdtemp(prefix="kiosk-gui-hub-")
    db = os.path.join(folder, "kiosk.db")
    sync_through_hub(folder, db)
    k = Kiosk(x, "hub-sync-tab", os.path.join(FRAMES, "empty"), "window_width = 1024\nwindow_height = 600\n",
              reuse=folder)
    check(k.wait_for(screen="welcome"), "welcome screen")
    sign_in(k)
    k.tap("tab:sync")
    links(k, [("hub", "ok"), ("hub-city", "ok"), ("city", "unknown")], "ja: synced through the hub")
    whole(k, "ja: synced through the hub")
    k.tap("staff-exit")
    k.wait_for(screen="welcome")
    # The hub answers; the hub has lost the city for ten minutes with 1234
    # records waiting; this tablet never synced with the city directly.
    set_meta(db, {
        "hub_sync_state": f"ok {utc(20)} (sent 3, received 12)",
        "hub_sync_last_ok": utc(20),
        "hub_city_link": json.dumps({"hub": "gui-01-hub", "shelter": "gui-01", "city": "https://shelter.city.example:8443",
                                     "state": f"error {utc(25)}: hub report: Could not establish connection",
                                     "last_relay": int((time.time() - 600) * 1000), "waiting": 1234}),
    })
    for lang in ["ja", "vi"]:
        k.tap(f"lang:{lang}")
        sign_in(k)
        check(k.wait_for(screen="staff"), f"{lang}: staff mode")
        k.tap("tab:sync")
        links(k, [("hub", "ok"), ("hub-city", "error"), ("city", "unknown")], f"{lang}: the hub's city link down")
        whole(k, f"{lang}: the sync tab with a hub")
        k.tap("staff-exit")
        check(k.wait_for(screen="welcome"), f"{lang}: back at the welcome screen")
    # The link comes back; the hub is now down and the tablet syncs with
    # the city directly (the hub's last word on its city link stays).
    set_meta(db, {
        "hub_sync_state": f"error {utc(5)}: push: Could not establish connection; last success {utc(300)}",
        "hub_city_link": json.dumps({"hub": "gui-01-hub", "state": f"ok {utc(310)} (relayed 1234, received 56)",
                                     "last_relay": int((time.time() - 310) * 1000), "waiting": 0}),
        "sync_state": f"ok {utc(4)} (sent 3, received 0)",
    })
    k.tap("lang:ja")
    sign_in(k)
    k.tap("tab:sync")
    links(k, [("hub", "error"), ("hub-city", "ok"), ("city", "ok")], "ja: the hub down, the city directly")
    whole(k, "ja: the hub down")
    k.stop()
    shutil.rmtree(folder, ignore_errors=True)


def main():
    with Xvfb("1024x600") as x:
        hub_sync_tab(x)
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
