"""A Streamlit client without a browser, and servers to point it at.

:class:`Session` speaks Streamlit's own websocket protocol (the BackMsg/ForwardMsg protobufs a
browser sends and receives), so that dozens of sessions fit on a small machine and only the
server's work is measured. It carries cookies like a browser, so a sticky load balancer in
front of several replicas keeps it on one. :class:`Server` starts `streamlit run` (or any
command that serves on a port) on loopback for as long as a ``with`` block lasts.
"""

from __future__ import annotations

import contextlib
import http.cookies
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB (NaN once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def children(pid: int) -> list[int]:
    """Every descendant of a process."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    return sum(v for v in (rss_mib(p) for p in [pid] + children(pid)) if v == v)


class Session:
    """One browser tab's worth of protocol: open a link, change a widget, wait for the rerun."""

    def __init__(self, base: str, query: str, page: str = ""):
        self.base, self.query, self.page = base, query, page
        self.widgets: dict[str, str] = {}  # user key -> widget id
        self.elements: dict[str, object] = {}  # user key -> the widget's latest protobuf
        self.sent: list[str] = []  # user keys of the keyed elements, in the order the server sent them
        self.exceptions: list[str] = []
        self.cookie = ""
        self.replica = ""  # the sticky cookie's value behind a load balancer

    async def connect(self) -> None:
        """Load the page over HTTP (as a browser does first, which sets any sticky cookie), then open the websocket."""
        import asyncio

        def get() -> str:
            with urllib.request.urlopen(f"{self.base}/{self.page}?{self.query}", timeout=60) as r:
                jar = http.cookies.SimpleCookie()
                for header in r.headers.get_all("Set-Cookie") or []:
                    jar.load(header)
                return "; ".join(f"{k}={m.value}" for k, m in jar.items())

        self.cookie = await asyncio.to_thread(get)
        self.replica = self.cookie
        await self._open()

    async def reconnect(self) -> None:
        """A new websocket with the same cookie, as a browser opens when its connection drops."""
        with contextlib.suppress(Exception):  # the server may already be gone
            await self.ws.close()
        await self._open()

    async def _open(self) -> None:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await connect(
            self.base.replace("http", "ws") + "/_stcore/stream",
            subprotocols=["streamlit"],
            origin=self.base,
            max_size=None,
            additional_headers=headers,
            open_timeout=60,
        )
        # Behind `optviz serve` the proxy names the replica that answered the websocket handshake.
        self.served_by = self.ws.response.headers.get("X-Optviz-Replica", "")

    async def close(self) -> None:
        await self.ws.close()

    def drop(self) -> None:
        """Close the tab: the connection ends at once. (``close`` waits for the server's closing
        frame, which comes behind every message the session has not read: 10 s of a busy page's
        progress bars, measured.)"""
        self.ws.transport.abort()

    async def rerun(self, widget_states=None) -> float:
        """Send a rerun (with the given widget states) and wait until the script has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        if self.page:
            msg.rerun_script.page_name = self.page
        if widget_states is not None:
            msg.rerun_script.widget_states.CopyFrom(widget_states)
        return await self._send(msg)

    async def _send(self, msg) -> float:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        t = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    self.exceptions.append(el.exception.message)
                elif which and hasattr(getattr(el, which), "id"):
                    wid = getattr(el, which).id
                    if "-" in wid:
                        self.widgets[wid.rsplit("-", 1)[-1]] = wid
                        self.elements[wid.rsplit("-", 1)[-1]] = getattr(el, which)
                        self.sent.append(wid.rsplit("-", 1)[-1])
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string  # the app wrote the URL, as a browser would keep it
            # A run that ends early for a rerun (st.navigation settling the page) is followed by another.
            if kind == "script_finished" and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return time.perf_counter() - t

    async def rerun_page(self, page_name: str, widget_states=None) -> float:
        """Open another page of the app (by its URL path), optionally with widget values."""
        self.page = page_name
        return await self.rerun(widget_states)

    async def set_number(self, key: str, value: float) -> float:
        """Type ``value`` into the number box with user key ``key`` and wait for the rerun."""
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        states = WidgetStates()
        state = states.widgets.add()
        state.id = self.widgets[key]
        state.double_value = value
        return await self.rerun(states)


class Server:
    """A server on a free loopback port for as long as the context lasts.

    By default `streamlit run app.py`; ``command`` may be any argv with ``{port}`` in it.
    """

    def __init__(
        self,
        script: str = "app.py",
        command: list[str] | None = None,
        env: dict | None = None,
        timeout: float = 120.0,
        log: str | None = None,
    ):
        self.script, self.command, self.env, self.timeout = script, command, env or {}, timeout
        self.log = log  # a file for the server's output (default: discarded)

    def __enter__(self):
        self.port = free_port()
        argv = (
            [a.replace("{port}", str(self.port)) for a in self.command]
            if self.command
            else [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                self.script,
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--browser.gatherUsageStats",
                "false",
            ]
        )
        self._output = open(self.log, "w") if self.log else None  # closed in __exit__
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=self._output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=ROOT, **self.env),
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(self.base + "/_stcore/health", timeout=1).read() == b"ok":
                    return self
            except OSError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                break
        self.__exit__()
        raise RuntimeError(f"{argv[:4]} did not start serving on port {self.port}")

    def rss(self) -> float:
        """The server's memory, every process it started included, in MiB."""
        return tree_rss_mib(self.proc.pid)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._output is not None:
            self._output.close()
