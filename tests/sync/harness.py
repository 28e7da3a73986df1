"""Shared pieces of the sync tests: checks, processes that are always
cleaned up, a free loopback port, a server that is up before it is used."""
import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

failures = []
procs = []
work = tempfile.mkdtemp(prefix="shelter-sync-test-")


@atexit.register
def _cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
    if os.environ.get("KEEP"):
        print("kept", work)
    else:
        shutil.rmtree(work, ignore_errors=True)


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def binaries(build):
    """shelterctl, shelter-server and shelter-sync in a build directory."""
    return (os.path.join(build, "kiosk", "shelterctl"), os.path.join(build, "sync", "shelter-server"),
            os.path.join(build, "sync", "shelter-sync"))


def secrets_of(db):
    """The kiosk's secrets file beside its database (core/secrets.hpp)."""
    path = db + ".secret"
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def token_of(db):
    """A kiosk's sync token (kept beside its database, never in it)."""
    return secrets_of(db).get("sync_token", "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*args):
    """Runs a command that must succeed; returns its stdout, stripped."""
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{args}: {r.stderr}")
    return r.stdout.strip()


def run_with_stdin(text, *args):
    """run(), with `text` on stdin (a PIN)."""
    r = subprocess.run(list(args), capture_output=True, text=True, input=text)
    if r.returncode != 0:
        raise SystemExit(f"{args}: {r.stderr}")
    return r.stdout.strip()


def get_json(url, path, token):
    """GET url+path with a bearer token (or none); (status, JSON body)."""
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token} if token else {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "{}")


def start_server(server, store_args, port, log=None):
    """Starts shelter-server and waits until it answers; returns the process."""
    p = subprocess.Popen([server, *store_args, "--port", str(port)], stdout=subprocess.DEVNULL,
                         stderr=open(log, "a") if log else subprocess.DEVNULL)
    procs.append(p)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=1)
            return p
        except OSError:
            time.sleep(0.02)
    raise SystemExit("server did not start")


def finish():
    print(f"{len(failures)} failure(s)")
    raise SystemExit(1 if failures else 0)
