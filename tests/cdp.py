"""Drive headless Chromium like a user: type into a page, press keys, read it.

Chromium's DevTools protocol over ``--remote-debugging-pipe``: JSON messages
ended by a NUL byte, commands on the browser's file descriptor 3, answers
and events on 4. No websocket library, no network port, nothing to install
beyond chromium itself.

    with Browser(CHROMIUM) as browser:
        browser.open(page.as_uri() + "#step=7")
        browser.type("0.5")          # into whatever has the focus, as key presses would
        browser.press("Enter")
        browser.text("quiz-result")  # an element's textContent
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import tempfile
import time
from typing import Any

# The flags every headless run in the tests uses: no GPU, no sandbox (root in
# CI), and nothing that reaches out to the network on its own.
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, chromium: str, timeout: float = 60.0) -> None:
        self.chromium, self.timeout = chromium, timeout
        self._id = 0
        self._buffer = b""
        self.events: list[dict] = []  # what the browser said on its own (after `watch`)

    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory()
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        args = [
            *HEADLESS,
            f"--user-data-dir={self._profile.name}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # bash puts the pipes where chromium looks for them: fd 3 and fd 4
        # (moved above 9 first, so that none of them already is 3 or 4).
        r, w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        plumbing = f'exec "$0" "$@" 3<&{r} 4>&{w} {r}<&- {w}>&-'
        self._process = subprocess.Popen(
            ["bash", "-c", plumbing, self.chromium, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(r, w),
        )
        os.close(r)
        os.close(w)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._call("Browser.close", {})
        except Exception:  # noqa: BLE001 - it may already be gone
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    # ------------------------------------------------------------ actions
    def open(self, url: str) -> None:
        """Load `url` and wait until its scripts have run."""
        self._call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + self.timeout
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"chromium: {url} did not finish loading")
            time.sleep(0.05)

    def watch(self) -> None:
        """Start reporting console messages, uncaught errors and network
        requests into `events` (call before `open`)."""
        for domain in ("Runtime", "Log", "Network"):
            self._call(f"{domain}.enable", {}, session=True)

    def problems(self) -> list[str]:
        """The console errors, uncaught exceptions and requests for anything
        but the page itself (file:, data:, about:) seen so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"uncaught: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "warning",
                "assert",
            ):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"request: {url}")
        return found

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        reply = self._call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"chromium: {expression!r} raised {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def text(self, element_id: str) -> str:
        return self.evaluate(f"document.getElementById({json.dumps(element_id)}).textContent")

    def type(self, text: str) -> None:
        """Type `text` into the focused element, one key press per character."""
        for ch in text:
            self._key("keyDown", key=ch, text=ch)
            self._key("keyUp", key=ch)

    def press(self, key: str) -> None:
        """Press and release a named key: 'Enter', 'Tab', 'ArrowRight'."""
        codes = {"Enter": 13, "Tab": 9, "ArrowRight": 39, "ArrowLeft": 37}
        extra = {"text": "\r"} if key == "Enter" else {}
        self._key("keyDown", key=key, code=key, windowsVirtualKeyCode=codes[key], **extra)
        self._key("keyUp", key=key, code=key, windowsVirtualKeyCode=codes[key])

    # ----------------------------------------------------------- protocol
    def _key(self, kind: str, **fields: Any) -> None:
        self._call("Input.dispatchKeyEvent", {"type": kind, **fields}, session=True)

    def _call(self, method: str, params: dict, session: bool = False) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:  # skip events until our answer comes
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"chromium: {method} failed: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise TimeoutError("chromium: no answer on the DevTools pipe")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise ConnectionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)
