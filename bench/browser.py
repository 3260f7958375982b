"""The real app in a real browser, for the browser tests and the app benchmarks: start
``streamlit run app.py`` on a free port with its own store, drive Debian Chromium through
Playwright (``playwright install`` cannot download browsers here), and read what the page says."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(store: str | Path, data_cache: str | Path | None = None, env: dict[str, str] | None = None,
          start_timeout: float = 60.0) -> Iterator[str]:
    """The app on 127.0.0.1:<free port> with FINDL_STORE=store; yields its URL. The server's
    output goes to ``<store>.server.log`` (read it when something fails)."""
    port = free_port()
    log_path = Path(f"{store}.server.log")
    full_env = {**os.environ, "FINDL_STORE": str(store), **(env or {})}
    if data_cache is not None:
        full_env["FINDL_DATA_CACHE"] = str(data_cache)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                 "--server.address", "127.0.0.1", "--server.port", str(port)],
                                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start: " + log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        try:
            yield browser
        finally:
            browser.close()


def settle(page, timeout_s: float = 120) -> None:
    """Wait until the page's script run is over."""
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def wait_for_text(page, pattern: str, timeout_s: float = 240, absent: str | None = None) -> re.Match:
    """Wait until the page's main area matches ``pattern`` (a JavaScript-compatible regex) while
    ``absent`` (text) is not there; fail on an exception box. The check runs inside the page on
    each animation frame: polling from here (reading the whole text 20 times a second) costs the
    browser CPU that the page under test needs."""
    found = page.wait_for_function(
        """([pattern, absent]) => {
             const main = document.querySelector("[data-testid='stMain']");
             if (document.querySelector("[data-testid='stException']")) return "EXCEPTION";
             const text = main ? main.innerText : "";
             if (absent && text.includes(absent)) return null;
             return new RegExp(pattern).test(text) ? text : null;
           }""", arg=[pattern, absent], polling="raf", timeout=timeout_s * 1000).json_value()
    if found == "EXCEPTION":
        raise AssertionError("the page shows an exception: "
                             + page.locator("[data-testid='stException']").first.inner_text()[:500])
    return re.search(pattern, found)


def wait_for_engine(page, timeout_s: float = 180) -> None:
    """Wait until the sidebar says the training engine has its workers (TensorFlow imported)."""
    deadline = time.monotonic() + timeout_s
    while "worker" not in page.locator("[data-testid='stSidebar']").inner_text():
        if time.monotonic() > deadline:
            raise TimeoutError("the training engine did not start")
        time.sleep(0.5)
        page.reload()
        settle(page)
