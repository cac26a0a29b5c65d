"""``python -m optviz serve``: the app as N Streamlit replicas behind a sticky HAProxy.

Streamlit keeps each session's state in the process that serves it, so a crowd is spread
over several processes (one GIL each) by pinning every browser to one replica: HAProxy sets
a cookie on the first response and sends everything carrying it (the page, its assets, the
websocket ``/_stcore/stream``) to the same replica. New browsers go to the replica with the
fewest open connections. Paths pass through unchanged, so a client cannot tell one replica
from several, apart from the cookie.

A replica that dies is restarted on its port; HAProxy's health checks
(``/_stcore/health``) keep new sessions off it meanwhile, and a browser pinned to it is
redispatched to another replica, where Streamlit's reconnect reruns the page from its URL:
the link is the view, so nothing is lost. SIGTERM or Ctrl-C stops the replicas and the proxy.

``--workers 1`` runs one replica alone, with no proxy: `streamlit run app.py`, booted first.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass

from optviz.core.spec import SpecError

COOKIE = "optviz_replica"
HEALTH = "/_stcore/health"
HAPROXY_TEMPLATE = """\
# Written by `python -m optviz serve`; see optviz/serve.py.
global
    maxconn 4096

defaults
    mode http
    option redispatch          # a browser pinned to a dead replica goes to a live one
    retries 3
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h          # an open websocket: one browser session
    timeout http-keep-alive 10s

frontend optviz
    bind {address}:{port}
    default_backend replicas

backend replicas
    balance leastconn
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET {health}
    http-check expect status 200
    http-response set-header X-Optviz-Replica %[srv_name]
    default-server inter 1s fall 2 rise 1
{servers}
"""


@dataclass
class Replica:
    """One Streamlit process on a loopback port."""

    name: str
    port: int
    log: str
    proc: subprocess.Popen | None = None
    restarts: int = 0


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(address: str, port: int, replicas: list[Replica]) -> str:
    """The proxy's configuration: sticky by cookie, health-checked, websockets passed through."""
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} check cookie {r.name}" for r in replicas)
    return HAPROXY_TEMPLATE.format(address=address, port=port, cookie=COOKIE, health=HEALTH, servers=servers)


def replica_argv(port: int, address: str = "127.0.0.1") -> list[str]:
    """The command of one replica: the booted launcher with Streamlit's serving flags."""
    return [
        sys.executable,
        "-m",
        "optviz.app.launch",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def healthy(port: int) -> bool:
    """Whether the Streamlit process on this loopback port answers its health check."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=1) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def routed(address: str, port: int, replica: str) -> bool:
    """Whether the proxy sends a browser pinned to ``replica`` there (so holds it up)."""
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
    request = urllib.request.Request(f"http://{host}:{port}{HEALTH}", headers={"Cookie": f"{COOKIE}={replica}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as r:
            return r.headers.get("X-Optviz-Replica") == replica
    except OSError:
        return False


class Supervisor:
    """Starts the replicas and the proxy, restarts replicas that die, stops everything on a signal."""

    def __init__(self, address: str, port: int, workers: int, run_dir: str):
        self.address, self.port, self.run_dir = address, port, run_dir
        self.replicas = [
            Replica(f"r{i + 1}", free_port(), os.path.join(run_dir, f"r{i + 1}.log")) for i in range(workers)
        ]
        self.proxy: subprocess.Popen | None = None
        self.stopping = False
        # One cookie secret for all, so Streamlit's XSRF cookie stays valid when a browser moves replica.
        self.env = dict(os.environ, STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32))

    def start_replica(self, r: Replica) -> None:
        with open(r.log, "ab") as log:
            r.proc = subprocess.Popen(
                replica_argv(r.port), stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )

    def start(self, haproxy: str) -> None:
        for r in self.replicas:
            self.start_replica(r)
        config = os.path.join(self.run_dir, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(haproxy_config(self.address, self.port, self.replicas))
        check = subprocess.run([haproxy, "-c", "-q", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise SpecError(
                f"serve: HAProxy refused its configuration ({check.stderr.strip() or check.stdout.strip()})"
            )
        with open(os.path.join(self.run_dir, "haproxy.log"), "ab") as log:  # the child keeps its own handle
            self.proxy = subprocess.Popen(
                [haproxy, "-db", "-f", config], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 600.0) -> bool:
        """Wait until every replica answers, and the proxy, which marked them down while they
        booted, routes to each again (booting compiles; from the cache it takes seconds)."""
        deadline = time.monotonic() + timeout
        pending = {r.name for r in self.replicas}
        while pending and time.monotonic() < deadline and not self.stopping:
            for r in self.replicas:
                if r.name in pending and healthy(r.port) and routed(self.address, self.port, r.name):
                    pending.discard(r.name)
                if r.proc is not None and r.proc.poll() is not None:
                    return False
            time.sleep(0.2)
        return not pending

    def watch(self) -> int:
        """Restart replicas that exit; returns when stopping (0) or when the proxy died (1)."""
        while not self.stopping:
            if self.proxy is not None and self.proxy.poll() is not None:
                print(
                    f"optviz: HAProxy exited with status {self.proxy.returncode}; stopping "
                    f"(see {self.run_dir}/haproxy.log)",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
            for r in self.replicas:
                if r.proc is not None and r.proc.poll() is not None and not self.stopping:
                    r.restarts += 1
                    print(
                        f"optviz: replica {r.name} (port {r.port}) exited with status {r.proc.returncode}; "
                        f"restarting it (restart {r.restarts})",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.start_replica(r)
            time.sleep(0.3)
        return 0

    def stop(self, *_args) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        procs = [p for p in [self.proxy] + [r.proc for r in self.replicas] if p is not None and p.poll() is None]
        for p in procs:
            p.terminate()
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def serve(port: int, workers: int, address: str) -> int:
    """Serve the app; returns the exit status. Blocks until SIGTERM or Ctrl-C."""
    if workers == 1:
        os.execv(sys.executable, replica_argv(port, address))  # one process: no proxy needed
    haproxy = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if os.path.exists(p)), None
    )
    if haproxy is None:
        raise SpecError(
            "serve: --workers above 1 needs HAProxy (apt-get install haproxy); or run one process with --workers 1"
        )
    # Compile into the shared persistent cache once, rather than in every replica at the same time.
    subprocess.run([sys.executable, "-m", "optviz", "warmup"], check=False, stdout=subprocess.DEVNULL)
    run_dir = tempfile.mkdtemp(prefix="optviz-serve-")
    sup = Supervisor(address, port, workers, run_dir)
    signal.signal(signal.SIGTERM, sup.stop)
    signal.signal(signal.SIGINT, sup.stop)
    try:
        sup.start(haproxy)
        if not sup.wait_ready():
            if sup.stopping:
                return 0
            print(f"optviz: a replica did not start; see the logs in {run_dir}", file=sys.stderr)
            sup.shutdown()
            return 1
        shown = "localhost" if address in ("0.0.0.0", "::") else address
        print(
            f"optviz: serving http://{shown}:{port} with {workers} replicas "
            f"(ports {', '.join(str(r.port) for r in sup.replicas)}; logs in {run_dir})",
            flush=True,
        )
        status = sup.watch()
    finally:
        sup.shutdown()
    if status == 0:
        shutil.rmtree(run_dir, ignore_errors=True)
    return status
