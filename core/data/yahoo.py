"""Yahoo Finance downloads that work whatever else the process has loaded.

Why this module exists: yfinance talks to Yahoo through ``curl_cffi``, whose extension
``curl_cffi/_wrapper.abi3.so`` carries its own libcurl-impersonate and exports the usual
``curl_*`` names. TensorFlow's ``libtensorflow_framework.so.2`` exports a plain libcurl under the
same names (for its HTTP/GCS file systems). When TensorFlow is loaded first, the dynamic linker
binds the wrapper's own calls (``curl_easy_setopt`` ...) to TensorFlow's copy (``LD_DEBUG=bindings``
shows it), which does not know the browser-impersonation options, so every request fails with
``ImpersonateError('Impersonating chrome150 is not supported')``. Loaded first, the wrapper binds
to itself.

Two defences: ``core.device.tensorflow()`` imports curl_cffi before TensorFlow
(``preload_curl()``), and ``download()`` checks that impersonation works in this process (a local
call, no network) and otherwise runs the download in a fresh Python process
(``python -m core.data.yahoo``), which has not loaded TensorFlow.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

CHILD_TIMEOUT_S = 120
# words in an error that mean "could not reach Yahoo" (and only then "offline" is the right word)
_NETWORK_WORDS = ("resolve host", "could not resolve", "timed out", "timeout", "connection", "connect",
                  "network", "unreachable", "ssl", "too many requests", "ratelimit", "rate limit", "curl: (6)",
                  "curl: (7)", "curl: (28)", "curl: (35)")


def preload_curl() -> None:
    """Import curl_cffi (if installed) so its symbols bind to its own libcurl-impersonate before
    TensorFlow brings another libcurl into the process. Call before the first TensorFlow import."""
    with contextlib.suppress(Exception):  # not installed or broken: yfinance says so when used
        import curl_cffi  # noqa: F401


@functools.lru_cache(maxsize=1)
def impersonation_works() -> bool:
    """True when curl_cffi can set up browser impersonation in this process (no request is made).
    False after TensorFlow was loaded before curl_cffi (see the module docstring). Cached: the
    answer cannot change once both libraries are loaded."""
    try:
        from curl_cffi import Curl
        from curl_cffi.requests.impersonate import DEFAULT_CHROME
    except Exception:
        return True  # no curl_cffi: nothing to clash with
    curl = Curl()
    try:
        return curl.impersonate(DEFAULT_CHROME) == 0
    except Exception:
        return False
    finally:
        curl.close()


def is_network_error(reason: str) -> bool:
    """Whether an error text means Yahoo could not be reached (offline, blocked, rate-limited)."""
    text = reason.lower()
    return any(word in text for word in _NETWORK_WORDS)


def _download_here(ticker: str, period: str, interval: str) -> pd.DataFrame | None:
    import yfinance as yf  # lazy: only this source needs it

    return yf.download(ticker, period=period, interval=interval, auto_adjust=True,
                       progress=False, threads=False, multi_level_index=False)


def download(ticker: str, period: str, interval: str) -> pd.DataFrame | None:
    """yfinance's frame (possibly empty); raises on failure with the real error text."""
    if impersonation_works():
        return _download_here(ticker, period, interval)
    with tempfile.TemporaryDirectory(prefix="findl-yahoo-") as tmp:
        out = Path(tmp) / "frame.parquet"
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
        try:
            done = subprocess.run([sys.executable, "-m", "core.data.yahoo", ticker, period, interval, str(out)],
                                  check=False, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env, cwd=root)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"the download timed out after {CHILD_TIMEOUT_S} s") from None
        if done.returncode != 0:
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            error = json.loads(lines[-1]).get("error") if lines else (done.stderr.strip().splitlines() or ["?"])[-1]
            raise RuntimeError(error)
        return pd.read_parquet(out) if out.exists() else None


def _child(argv: list[str]) -> int:
    ticker, period, interval, out = argv
    try:
        frame = _download_here(ticker, period, interval)
        if frame is not None and not frame.empty:
            frame.to_parquet(out)
    except Exception as exc:  # reported to the parent as one line of JSON
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
