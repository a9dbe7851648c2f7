"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only).

Headless Chromium reads NUL-terminated JSON commands on file descriptor 3 and writes
responses and events on descriptor 4. This drives a real browser for the HTML report tests
without a test dependency (no selenium, chromedriver or playwright download): open a page,
record console errors and network requests, evaluate JavaScript, take full-page
screenshots, print to PDF.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def find_chromium() -> str | None:
    """The browser to use: ``$COSTMODEL_CHROMIUM``, else ``chromium`` on the PATH."""
    exe = os.environ.get("COSTMODEL_CHROMIUM") or shutil.which("chromium")
    return exe if exe and os.access(exe, os.X_OK) else None


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process and its DevTools pipe."""

    def __init__(self, exe: str, timeout: float = 60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="costmodel-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # move the child's ends above 9, so the redirections below cannot clobber them
        for name in ("to_chrome_r", "from_chrome_w"):
            fd = locals()[name]
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            if name == "to_chrome_r":
                to_chrome_r = high
            else:
                from_chrome_w = high
        # bash puts the pipe ends on descriptors 3 and 4, as Chromium expects (dash only
        # takes one-digit descriptors in redirections)
        r, w = to_chrome_r, from_chrome_w
        script = f'exec "$0" "$@" 3<&{r} 4>&{w} {r}<&- {w}>&-'
        self.proc = subprocess.Popen(
            [
                shutil.which("bash") or "/bin/bash",
                "-c",
                script,
                exe,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, "stderr.log"), "wb"),  # noqa: SIM115
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self._page: Page | None = None

    def log_tail(self, n: int = 800) -> str:
        try:
            with open(os.path.join(self.profile, "stderr.log"), "rb") as f:
                return f.read().decode(errors="replace")[-n:]
        except OSError:
            return ""

    # ------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise CDPError(
                        f"Chromium closed the pipe (exit {self.proc.wait(10)}): {self.log_tail()}"
                    )
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise CDPError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, session: str | None = None, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    # ------------------------------------------------------------ pages
    def open(self, url: str, width: int, height: int = 900) -> Page:
        """A new tab showing ``url`` (the previous tab, if any, is closed)."""
        if self._page is not None:
            self.call("Target.closeTarget", {"targetId": self._page.target})
            self.events = [e for e in self.events if e.get("sessionId") != self._page.sid]
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self._page = Page(self, sid, target)
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(m, session=sid)
        page.resize(width, height)
        self.call("Page.navigate", {"url": url}, sid)
        self.wait_event("Page.loadEventFired", sid)
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str, target: str):
        self.b, self.sid, self.target = browser, session, target

    def call(self, method: str, params: dict | None = None) -> dict:
        return self.b.call(method, params, self.sid)

    def resize(self, width: int, height: int = 900) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    def eval(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise CDPError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def events(self, method: str) -> list[dict]:
        return [
            e["params"]
            for e in self.b.events
            if e.get("sessionId") == self.sid and e.get("method") == method
        ]

    def requests(self) -> list[str]:
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors."""
        out = [
            " ".join(str(a.get("value", a.get("description", ""))) for a in e["args"])
            for e in self.events("Runtime.consoleAPICalled")
            if e["type"] in ("error", "assert")
        ]
        out += [
            e["exceptionDetails"].get("text", "") for e in self.events("Runtime.exceptionThrown")
        ]
        out += [
            e["entry"]["text"]
            for e in self.events("Log.entryAdded")
            if e["entry"]["level"] == "error"
        ]
        return out

    def screenshot(self, width: int, scale: float = 1.0) -> bytes:
        """A PNG of the whole page laid out at ``width`` CSS pixels (``scale``: image size)."""
        self.resize(width)
        height = int(self.eval("Math.ceil(document.documentElement.scrollHeight)"))
        self.resize(width, max(height, 100))
        clip = {"x": 0, "y": 0, "width": width, "height": max(height, 100), "scale": scale}
        data = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
        )
        self.resize(width)
        return base64.b64decode(data["data"])

    def pdf(self) -> bytes:
        data = self.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
        return base64.b64decode(data["data"])


def png_ink_share(png: bytes) -> tuple[int, int, float]:
    """(width, height, share of pixels that are not near-white) of an 8-bit RGB(A) PNG.

    Pure Python, so use it on small (scaled-down) screenshots.
    """
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos : pos + 8])
        chunk = png[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6), f"unsupported PNG: depth {depth} color {color}"
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    ink = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):  # PNG filters (RFC 2083 s6)
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        ink += sum(1 for x in range(0, stride, bpp) if min(line[x], line[x + 1], line[x + 2]) < 200)
        prev = line
    return width, height, ink / max(width * height, 1)
