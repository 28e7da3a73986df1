#!/usr/bin/env python3
"""The shelter hub with real processes in network namespaces (issue 25): a
"city" namespace running shelter-server (SQLite), a "shelter" namespace
running the hub (shelter-server in hub mode) and three kiosks' shelter-sync
daemons; the uplink between them starts down (no route).
  1. check in at A, scan the pass at B to go out: every kiosk's counts agree
     with each other and with the hub's /v1/counts, the city has nothing;
  2. the link comes up: the city's counts and events equal the shelter's;
  3. a backlog made with the link down, then the link up and kill -9 of the
     hub while it relays: restarted, it finishes, and the city holds every
     event exactly once by (device, seq);
  4. the hub down: the kiosks keep checking in, and all catch up once the
     hub is back; kiosk C, also enrolled with the city, syncs with the city
     directly meanwhile, and nothing is doubled.
Every process is stopped and both namespaces deleted at exit. Skipped
(77) without root or ip netns.

usage: test_hub_netns.py BUILD_DIR
"""
import json
import os
import signal
import sys
import threading
import time

if os.path.isdir("/dev/shm"):
    os.environ.setdefault("TMPDIR", "/dev/shm")  # shelterctl's fsyncs are most of a check-in's time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import binaries, check, finish, run, run_with_stdin, work  # noqa: E402
import netns  # noqa: E402
from netns import CITY_URL, HUB_URL, HUB_ADDR, HUB_PORT, CITY_ADDR, CITY_PORT, PIN  # noqa: E402

why = netns.usable()
if why:
    print("skip:", why)
    sys.exit(77)

CTL, SERVER, SYNC = binaries(sys.argv[1])
SHELTER = "sh1"
CITY_DB, HUB_DB = os.path.join(work, "city.db"), os.path.join(work, "hub.db")
BACKLOG = int(os.environ.get("HUB_NETNS_BACKLOG", "1100"))  # check-ins: 2 events each, > one relay batch of 2000
world = netns.World(work)


def ctl(db, *args):
    return run(CTL, "--db", db, *args)


def counts(db):
    c = json.loads(ctl(db, "counts", "--shelter", SHELTER, "--json"))
    return {k: v for k, v in c.items() if k != "shelter"}


def server_counts(ns, url, token):
    body = world.get(ns, url + "/v1/counts?shelter=" + SHELTER, token)
    return {k: v for k, v in body[0].items() if k != "shelter"} if body else None


def start_city():
    world.start("city", world.city_ns, SERVER, "--db", CITY_DB, "--host", CITY_ADDR, "--port", str(CITY_PORT),
                "--insecure")
    if not world.wait_health(world.city_ns, CITY_URL):
        raise SystemExit("the city server did not start")


def start_hub():
    world.start("hub", world.shelter_ns, SERVER, "--db", HUB_DB, "--host", HUB_ADDR, "--port", str(HUB_PORT),
                "--insecure", "--relay-interval", "1")
    if not world.wait_health(world.shelter_ns, HUB_URL):
        raise SystemExit("the hub did not start")


def start_daemon(k, *more):
    world.start("sync-" + k, world.shelter_ns, SYNC, "--db", kiosks[k], "--hub", HUB_URL, "--insecure", "--interval",
                "1", "--max-backoff", "2", *more)


def shelter_agrees(expect=None):
    """Every kiosk's counts equal the hub's (and `expect`'s present/out)."""
    hub = server_counts(world.shelter_ns, HUB_URL, HUB_HQ)
    each = [counts(db) for db in kiosks.values()]
    ok = hub is not None and all(c == hub for c in each)
    if ok and expect:
        ok = all(hub[k] == v for k, v in expect.items())
    return ok and hub


def city_agrees():
    """The city's counts and events for the shelter equal the hub's."""
    city = server_counts(world.city_ns, CITY_URL, CITY_HQ)
    hub = server_counts(world.shelter_ns, HUB_URL, HUB_HQ)
    if city is None or city != hub:
        return False
    return sorted(netns.events(CITY_DB, SHELTER)) == sorted(netns.events(HUB_DB, SHELTER))


def hub_event_count():
    return netns.event_count(HUB_DB, SHELTER)


def city_event_count():
    return netns.event_count(CITY_DB, SHELTER)


def duplicates(db):
    rows = netns.events(db, SHELTER)
    return len(rows) - len({(d, s) for d, s, _ in rows})


stopping = threading.Event()


def backlog(k, n):
    for i in range(n):
        if stopping.is_set():
            return
        ctl(kiosks[k], "checkin", "--name", f"Backlog {k} {i}", "--birth", str(1930 + i % 90))


def on_term(*_):
    raise SystemExit("terminated")


signal.signal(signal.SIGTERM, on_term)
t_start = time.monotonic()
kiosks = {}
try:
    world.make()
    # The city, and the hub enrolled with it while the box was at the city
    # office (the uplink up for that only).
    start_city()
    CITY_HQ = run(SERVER, "--db", CITY_DB, "add-user", "--name", "hq", "--role", "counts")
    hub_code = run(SERVER, "--db", CITY_DB, "enrol-code", "--hub", "--shelter", SHELTER, "--device", "sh1-hub")
    world.link(True)
    world.run(world.shelter_ns, SERVER, "--db", HUB_DB, "hub-setup", "--shelter", SHELTER, "--device", "sh1-hub",
              "--city", CITY_URL, "--insecure", "--code", hub_code)
    world.link(False)
    HUB_HQ = run(SERVER, "--db", HUB_DB, "add-user", "--name", "hq", "--role", "counts")
    start_hub()
    for k in "abc":
        db = kiosks[k] = os.path.join(work, f"kiosk-{k}.db")
        ctl(db, "init", "--shelter", SHELTER, "--device", f"sh1-{k}")
        code = run(SERVER, "--db", HUB_DB, "enrol-code", "--shelter", SHELTER, "--device", f"sh1-{k}")
        run_with_stdin(PIN + "\n", *world.exec_args(world.shelter_ns, CTL, "--db", db, "enrol", "--hub", "--server",
                                                    HUB_URL, "--code", code, "--shelter", SHELTER, "--device",
                                                    f"sh1-{k}", "--lead", "Lead", "--insecure"))
        start_daemon(k)
    check(world.get(world.shelter_ns, CITY_URL + "/v1/health", "") is None, "the shelter has no route to the city")

    # 1. Check in at A, go out at B with the pass.
    ctl(kiosks["a"], "checkin", "--name", "Hanako Yamada", "--birth", "1961", "--sex", "F")
    person = json.loads(ctl(kiosks["a"], "list", "--json"))[0]["id"]
    known = netns.wait_until(15, lambda: person in ctl(kiosks["b"], "list", "--all"))
    check(bool(known), "an arrival at A is known at B through the hub")
    out = ctl(kiosks["b"], "scan", ctl(kiosks["a"], "pass", person))
    check(out.startswith("Went out"), f"her pass scanned at B: {out}")
    agreed = netns.wait_until(15, lambda: shelter_agrees({"present": 0, "out": 1}))
    check(bool(agreed), f"every kiosk's counts agree with the hub's (present 0, out 1): {agreed}")
    check(city_event_count() == 0, "the city has nothing from the shelter yet")

    # 2. The uplink comes up: the city catches up with the shelter.
    t = time.monotonic()
    world.link(True)
    check(netns.wait_until(60, city_agrees), "with the link up, the city's counts and events equal the hub's")
    print(f"     the city agreed {time.monotonic() - t:.1f} s after the link came up", flush=True)
    check(server_counts(world.city_ns, CITY_URL, CITY_HQ) == counts(kiosks["c"]), "and the kiosks'")

    # 3. A backlog behind a dead link, kill -9 of the hub while it relays.
    world.link(False)
    before = hub_event_count()
    t = time.monotonic()
    threads = [
        threading.Thread(target=backlog, args=(k, n), daemon=True)
        for k, n in (("a", BACKLOG - BACKLOG // 2), ("c", BACKLOG // 2))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(f"     {BACKLOG} check-ins at A and C in {time.monotonic() - t:.1f} s", flush=True)
    total = before + 2 * BACKLOG
    check(netns.wait_until(60, lambda: hub_event_count() == total), f"the hub holds the backlog ({total} events)")
    city_before = city_event_count()
    world.link(True)
    grew = netns.wait_until(60, lambda: city_event_count() > city_before, every=0.005)
    world.kill("hub")  # kill -9, while it relays
    at_kill = city_event_count()
    print(f"     hub killed with {at_kill - city_before} of {total - city_before} relayed", flush=True)
    check(bool(grew), "the city's event count grew once the link was up")
    if at_kill >= total:
        print("     (the relay had finished before the kill: no partial batch this run)")
    start_hub()
    check(netns.wait_until(90, city_agrees), "restarted, the hub finishes: the city equals the hub")
    check(city_event_count() == total and duplicates(CITY_DB) == 0,
          f"the city holds every event exactly once: {city_event_count()} of {total}, "
          f"{duplicates(CITY_DB)} duplicate (device, seq)")
    check(duplicates(HUB_DB) == 0, "and so does the hub")

    # 4. The hub down: kiosks keep working offline, then catch up. Kiosk C
    # also holds a city token: it syncs with the city directly meanwhile.
    code = run(SERVER, "--db", CITY_DB, "enrol-code", "--shelter", SHELTER, "--device", "sh1-c")
    world.run(world.shelter_ns, CTL, "--db", kiosks["c"], "enrol", "--server", CITY_URL, "--code", code, "--shelter",
              SHELTER, "--device", "sh1-c", "--lead", "Lead", "--insecure", stdin=PIN + "\n")
    world.kill("sync-c", signal.SIGTERM)
    start_daemon("c", "--server", CITY_URL)
    world.kill("hub", signal.SIGTERM)
    city_before = city_event_count()
    for k in "abc":
        for i in range(3):
            ctl(kiosks[k], "checkin", "--name", f"Offline {k} {i}", "--birth", "1990")
    direct = netns.wait_until(20, lambda: city_event_count() == city_before + 6)
    check(bool(direct), f"C's check-ins reach the city directly while the hub is down: "
          f"{city_event_count() - city_before} of 6 events")
    time.sleep(2)
    check(netns.wait_until(5, lambda: all(
        run("sqlite3", db, "SELECT value FROM meta WHERE key='hub_sync_state'").startswith("error")
        for db in kiosks.values())), "with the hub down, every kiosk's daemon records the failure")
    start_hub()
    present = BACKLOG + 9  # the first person is out
    agreed = netns.wait_until(30, lambda: shelter_agrees({"present": present, "out": 1}))
    check(bool(agreed), f"the hub back: every kiosk catches up (present {present}): {agreed and agreed['present']}")
    check(netns.wait_until(60, city_agrees), "and the city too")
    check(duplicates(CITY_DB) == 0 and duplicates(HUB_DB) == 0, "nothing doubled at the city or the hub")
    c_at_hub = [r for r in netns.events(HUB_DB, SHELTER) if r[0] == "sh1-c"]
    check(len(c_at_hub) == len([r for r in netns.events(CITY_DB, SHELTER) if r[0] == "sh1-c"]),
          "the hub holds C's events sent past it to the city")
finally:
    stopping.set()
    world.stop()
    left = [n for n in run("ip", "netns", "list").split() if n.startswith(world.city_ns.split("-")[0] + "-")]
    check(not left, f"every namespace is deleted: {left}")
    print(f"     {time.monotonic() - t_start:.0f} s in all", flush=True)
finish()
