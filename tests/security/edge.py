"""The packaged network edge (deploy/nginx/shelter-checkin.conf) for tests:
a throwaway city CA and server certificate (deploy/shelter-tls init), and
nginx running the shipped site with only its paths and ports moved.

Tests and benchmarks of the edge must exercise the limits the package
ships, so the site is copied with exactly three substitutions (the TLS
folder, the HTTPS port, shelter-server's port); everything nginx needs
besides the site (pid, logs, temp folders) lives in a temporary prefix.
Every nginx (and shelter-server, started with start_server here) is
stopped when the test ends, passes, fails, or is stopped with SIGTERM or
SIGINT, and dies with the test even on SIGKILL (it gets SIGTERM when its
parent dies; nginx's master then stops its workers). Scripts using this
module keep their helper threads daemon threads, or exit would wait for
them before the cleanup runs.

    tls = edge.make_tls(os.path.join(work, "tls"))
    e = edge.Edge(tls, port=free_port(), server_port=PORT, prefix=os.path.join(work, "nginx"))
    ctx = edge.client_context(tls)   # an ssl.SSLContext trusting the test CA
"""
import atexit
import ctypes
import os
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PACKAGED_SITE = os.path.join(ROOT, "deploy", "nginx", "shelter-checkin.conf")
# SHELTER_EDGE_SITE=FILE tries a changed site (same installed paths and
# ports) in place of the packaged one; the tests say so when it is used.
SITE = os.environ.get("SHELTER_EDGE_SITE") or PACKAGED_SITE
SHELTER_TLS = os.path.join(ROOT, "deploy", "shelter-tls")
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")

# The packaged site's installed paths and ports, as shipped.
SITE_TLS_DIR = "/etc/shelter-checkin/tls/"
SITE_LISTEN = "listen 8443"
SITE_UPSTREAM = "127.0.0.1:8470"

_edges = []


def _stop_all():
    for e in list(_edges):
        e.stop()


atexit.register(_stop_all)


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # runs atexit: nginx and the server are stopped


# SIGTERM (ctest's timeout, kill) and SIGINT end the test through atexit.
for _sig in (signal.SIGTERM, signal.SIGINT):
    if signal.getsignal(_sig) in (signal.SIG_DFL, signal.default_int_handler):
        signal.signal(_sig, _exit_on_signal)

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, even by
    SIGKILL (nginx's master then stops its workers)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_server(server, store_args, port, log=None):
    """harness.start_server (cleaned up at exit), and the server also dies
    with the test if the test is killed outright."""
    import harness  # tests/sync, on the path of every script that imports this module
    p = subprocess.Popen([server, *store_args, "--port", str(port)], stdout=subprocess.DEVNULL,
                         stderr=open(log, "a") if log else subprocess.DEVNULL, preexec_fn=_die_with_parent)
    harness.procs.append(p)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return p
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.02)
    raise SystemExit(f"shelter-server did not start (exit {p.poll()})")


def make_tls(directory, hosts=("127.0.0.1",)):
    """A city CA and a server certificate in `directory`, as the package
    makes them (shelter-tls init); returns the directory."""
    os.makedirs(directory, exist_ok=True)
    args = [SHELTER_TLS, "init"]
    for h in hosts:
        args += ["--host", h]
    r = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, SHELTER_TLS_DIR=directory))
    if r.returncode != 0:
        raise SystemExit(f"shelter-tls init: {r.stderr}")
    return directory


def fingerprint(tls_dir):
    """The CA's SHA-256 fingerprint (AA:BB:...), as `shelter-tls fingerprint` prints it."""
    r = subprocess.run([SHELTER_TLS, "fingerprint"], capture_output=True, text=True,
                       env=dict(os.environ, SHELTER_TLS_DIR=tls_dir))
    if r.returncode != 0:
        raise SystemExit(f"shelter-tls fingerprint: {r.stderr}")
    return r.stdout.strip()


def client_context(tls_dir):
    """A client TLS context trusting only the CA in tls_dir (certificate and
    host name checked, as a kiosk does)."""
    return ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))


def site_for_test(tls_dir, port, server_port):
    """The packaged site with its TLS folder and ports moved, nothing else."""
    if SITE != PACKAGED_SITE:
        print(f"note: the edge runs {SITE}, not the packaged site (SHELTER_EDGE_SITE)", flush=True)
    text = open(SITE).read()
    for old in (SITE_TLS_DIR, SITE_LISTEN, SITE_UPSTREAM):
        if old not in text:
            raise SystemExit(f"{SITE} no longer has {old!r}: update tests/security/edge.py")
    return (text.replace(SITE_TLS_DIR, tls_dir.rstrip("/") + "/")
                .replace(SITE_LISTEN, f"listen {port}")
                .replace(SITE_UPSTREAM, f"127.0.0.1:{server_port}"))


class Edge:
    """nginx with the packaged site on 127.0.0.1:port (all addresses of the
    machine, as packaged), in front of shelter-server on server_port."""

    def __init__(self, tls_dir, port, server_port, prefix=None, workers=2):
        self.tls_dir, self.port, self.server_port = os.path.abspath(tls_dir), port, server_port
        self.own_prefix = prefix is None
        self.prefix = os.path.abspath(prefix or tempfile.mkdtemp(prefix="shelter-edge-"))
        os.makedirs(self.prefix, exist_ok=True)
        self.site = os.path.join(self.prefix, "shelter-checkin.conf")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.error_log = os.path.join(self.prefix, "error.log")
        self.access_log = os.path.join(self.prefix, "access.log")
        with open(self.site, "w") as f:
            f.write(site_for_test(self.tls_dir, port, server_port))
        p = self.prefix
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's TLS folder
        with open(self.conf, "w") as f:
            f.write(f"""# Made by tests/security/edge.py: the packaged site, in a throwaway prefix.
daemon off;
master_process on;
{user}worker_processes {workers};
pid {p}/nginx.pid;
lock_file {p}/nginx.lock;
error_log {p}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    log_format edge '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent t=$msec '
                    'rt=$request_time urt=$upstream_response_time uct=$upstream_connect_time';
    access_log {p}/access.log edge;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    include {self.site};
}}
""")
        test = subprocess.run([NGINX, "-p", p + "/", "-c", self.conf, "-e", self.error_log, "-t", "-q"],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise SystemExit(f"nginx -t refuses the packaged site: {test.stderr.strip()}")
        self.proc = subprocess.Popen([NGINX, "-p", p + "/", "-c", self.conf, "-e", self.error_log],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(p, "stderr.log"), "a"),
                                     start_new_session=True, preexec_fn=_die_with_parent)
        _edges.append(self)
        self.wait_ready()

    @property
    def pid(self):
        return self.proc.pid

    def url(self, host="127.0.0.1"):
        return f"https://{host}:{self.port}"

    def wait_ready(self, seconds=10):
        ctx = client_context(self.tls_dir)
        until = time.time() + seconds
        while time.time() < until:
            if self.proc.poll() is not None:
                raise SystemExit(f"nginx exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                        return
            except (OSError, ssl.SSLError):
                time.sleep(0.05)
        raise SystemExit(f"nginx does not accept TLS on {self.port}: {self.log_tail()}")

    def log_tail(self, lines=5):
        try:
            return " | ".join(open(self.error_log).read().strip().splitlines()[-lines:])
        except OSError:
            return "(no error log)"

    def workers(self):
        """Pids of the master's worker processes."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            fields = _stat(d)
            if fields and int(fields[1]) == self.proc.pid:
                out.append(int(d))
        return out

    def stop(self):
        """Fast shutdown (SIGTERM: the master stops its workers and waits for
        them); SIGKILL to this edge's process group if it lingers, while the
        master is not reaped yet (so the group id is still this edge's)."""
        if self not in _edges:
            return
        _edges.remove(self)
        workers = self.workers()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                deadline = time.time() + 10
                while time.time() < deadline and _running(self.proc.pid):
                    time.sleep(0.05)
                if _running(self.proc.pid):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for w in workers:  # a worker outliving its master (it should not)
            if _running(w) and _pgid(w) == self.proc.pid:
                os.kill(w, signal.SIGKILL)
        if self.own_prefix and not os.environ.get("KEEP"):
            shutil.rmtree(self.prefix, ignore_errors=True)


def _stat(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _running(pid):
    """Alive and not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _pgid(pid):
    fields = _stat(pid)
    return int(fields[2]) if fields else None


def proc_memory_mb(pid):
    """(VmRSS, VmHWM) of a process in MB, or (0, 0) once it is gone."""
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return 0.0, 0.0
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def reset_peak_memory(pid):
    """Resets a process's VmHWM to its current RSS (Linux 4.0+), so that the
    next reading is the peak of what follows."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def answer_waiting(sock):
    """Application data (or the close) waiting on a TLS socket, without
    blocking: b"" if closed, None if nothing; TLS 1.3 session tickets, which
    make the socket readable after the handshake, are not an answer."""
    if not sock.pending() and not select.select([sock], [], [], 0)[0]:
        return None
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return sock.recv(65536)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return None
    except (OSError, ssl.SSLError):
        return b""
    finally:
        sock.settimeout(timeout)


def read_answer(sock, got=b"", timeout=10):
    """(status, body) of an HTTP/1.1 answer on a raw socket whose first
    bytes may already be in `got`; status is an exception's name if the
    connection broke first."""
    sock.settimeout(timeout)
    data = got
    try:
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                break
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/"):
            return "closed without an answer", b""
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            more = sock.recv(65536)
            if not more:
                break
            body += more
        return int(head.split()[1]), body[:length]
    except (OSError, ssl.SSLError, ValueError) as e:
        return type(e).__name__, b""


def tls_connect(port, ctx, source="127.0.0.1", timeout=10, sndbuf=0):
    """A raw TLS socket to the edge from a loopback source address (all of
    127/8 is this machine's: nginx sees each as its own client)."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sndbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    raw.settimeout(timeout)
    try:
        raw.bind((source, 0))
        raw.connect(("127.0.0.1", port))
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except BaseException:
        raw.close()
        raise


def gzip_bomb(inflated, prefix=b'{"name":"'):
    """A gzip body of about inflated/1030 bytes (deflate's best ratio) that
    inflates to `inflated` bytes: a JSON start, then spaces. Built from one
    64 MiB piece compressed after a full flush (byte-aligned, history reset:
    the same bytes every time) repeated, with the right CRC and size, so a
    4 GiB bomb takes a second, not a minute of zlib."""
    chunk = b" " * (64 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH)
    piece = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
    if z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH) != piece:
        raise SystemExit("gzip_bomb: zlib's output after a full flush is not repeatable here")
    n = max(1, -(-(inflated - len(prefix)) // len(chunk)))
    tail = z.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    size = len(prefix) + n * len(chunk)
    gz_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gz_header + head + piece * n + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


if __name__ == "__main__":
    sys.exit("a helper module: tests/security/test_edge.py and tests/bench/bench_edge.py use it")
