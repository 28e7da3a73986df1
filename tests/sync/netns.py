"""A shelter and a city in network namespaces of their own (issue 25): the
city server in one, the hub and the kiosks' daemons in the other, and a
veth "uplink" between them that is brought down and up. Every process is
started inside a namespace this module made, and stop() ends them and
deletes the namespaces (also after a failure). Needs root and iproute2.

Addresses (private to the namespaces): city 10.77.0.1, the shelter's end
of the uplink 10.77.0.2, the hub on the shelter LAN 10.77.1.1."""
import json
import os
import signal
import sqlite3
import subprocess
import time

CITY_ADDR, HUB_ADDR = "10.77.0.1", "10.77.1.1"
CITY_PORT, HUB_PORT = 8000, 8080
CITY_URL, HUB_URL = f"http://{CITY_ADDR}:{CITY_PORT}", f"http://{HUB_ADDR}:{HUB_PORT}"
PIN = "739215"


def usable():
    """Why namespaces cannot be used here, or ''."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    probes = ((["ip", "netns", "list"], "no ip netns"), (["unshare", "--net", "true"], "cannot make a net namespace"))
    for probe, why in probes:
        try:
            if subprocess.run(probe, capture_output=True).returncode != 0:
                return why
        except OSError:
            return why
    return ""


def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"ip {' '.join(args)}: {r.stderr.strip()}")


class World:
    def __init__(self, work, tag=None):
        self.work = work
        tag = tag or f"shn{os.getpid()}"
        self.city_ns, self.shelter_ns = tag + "-city", tag + "-shelter"
        self.procs = {}
        self.made = []

    # --- namespaces and links -------------------------------------------
    def make(self):
        for n in (self.city_ns, self.shelter_ns):
            ip("netns", "add", n)
            self.made.append(n)
            ip("-n", n, "link", "set", "lo", "up")
        # The uplink: made inside the shelter namespace, its peer moved to
        # the city's, so no interface ever appears in the host's namespace.
        ip("-n", self.shelter_ns, "link", "add", "up0", "type", "veth", "peer", "name", "city0", "netns", self.city_ns)
        ip("-n", self.city_ns, "addr", "add", CITY_ADDR + "/24", "dev", "city0")
        ip("-n", self.shelter_ns, "addr", "add", "10.77.0.2/24", "dev", "up0")
        # The shelter LAN the hub listens on (both ends in the shelter).
        ip("-n", self.shelter_ns, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1")
        ip("-n", self.shelter_ns, "addr", "add", HUB_ADDR + "/24", "dev", "lan0")
        ip("-n", self.shelter_ns, "link", "set", "lan0", "up")
        ip("-n", self.shelter_ns, "link", "set", "lan1", "up")

    def link(self, up):
        """Both ends of the uplink up, or down (then the shelter has no
        route to the city at all: connects fail at once)."""
        state = "up" if up else "down"
        ip("-n", self.city_ns, "link", "set", "city0", state)
        ip("-n", self.shelter_ns, "link", "set", "up0", state)

    def exec_args(self, ns, *cmd):
        return ["ip", "netns", "exec", ns, *cmd]

    # --- processes ---------------------------------------------------------
    def start(self, name, ns, *cmd):
        """A long-running process in namespace ns; its log in work/name.log."""
        log = open(os.path.join(self.work, name + ".log"), "a")
        p = subprocess.Popen(self.exec_args(ns, *cmd), stdout=log, stderr=log, start_new_session=True)
        self.procs[name] = p
        return p

    def kill(self, name, sig=signal.SIGKILL):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def run(self, ns, *cmd, stdin=None):
        """A command in namespace ns (None: here) that must succeed."""
        args = self.exec_args(ns, *cmd) if ns else list(cmd)
        r = subprocess.run(args, capture_output=True, text=True, input=stdin)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def get(self, ns, url, token):
        """GET url inside namespace ns with a bearer token: JSON, or None."""
        r = subprocess.run(self.exec_args(ns, "curl", "-sf", "-m", "5", "-H", "Authorization: Bearer " + token, url),
                           capture_output=True, text=True)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def wait_health(self, ns, url, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if subprocess.run(self.exec_args(ns, "curl", "-sf", "-m", "1", url + "/v1/health"),
                              capture_output=True).returncode == 0:
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        procs, self.procs = list(self.procs.values()), {}
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 5
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        # Anything still in a namespace of ours was started by this test.
        for n in self.made:
            r = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        for n in self.made:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        self.made = []


def events(db, shelter):
    """(device, seq) -> event id of a shelter's events in a SQLite file."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT device_id, device_seq, id FROM event WHERE shelter_id = ?", (shelter,)).fetchall()
    finally:
        con.close()
    return rows


def event_count(db, shelter):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM event WHERE shelter_id = ?", (shelter,)).fetchone()[0]
    finally:
        con.close()


def wait_until(seconds, what, every=0.2):
    """Polls what() until it is true or the deadline passes; its last value."""
    deadline = time.monotonic() + seconds
    while True:
        v = what()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(every)
