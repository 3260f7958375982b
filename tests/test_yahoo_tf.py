"""Yahoo Finance after TensorFlow: both ship a libcurl (see core/data/yahoo.py). Each check runs
in a fresh interpreter (import order is process-wide) against an HTTP server on 127.0.0.1."""

import http.server
import os
import subprocess
import sys
import textwrap
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def local_url():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _python(code: str, tmp_path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=240)


@pytest.mark.slow  # starts processes that import TensorFlow
def test_curl_impersonation_works_after_the_projects_tensorflow_import(tmp_path, local_url):
    r = _python(f"""
        from core.device import tensorflow
        tensorflow()
        from curl_cffi import requests
        print("status", requests.Session(impersonate="chrome").get({local_url!r}).status_code)
    """, tmp_path)
    assert "status 200" in r.stdout, r.stdout + r.stderr[-2000:]


@pytest.mark.slow  # starts processes that import TensorFlow
def test_yahoo_fetch_works_even_when_tensorflow_was_imported_first(tmp_path, local_url):
    """The worst order (raw ``import tensorflow`` before anything else): the project's Yahoo path
    must still get through. The fake yfinance makes a real impersonating request to the local
    server, as the real one does to Yahoo."""
    fake = tmp_path / "fakeyf" / "yfinance"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(textwrap.dedent("""
        import os
        import numpy as np, pandas as pd
        from curl_cffi import requests
        def download(*a, **k):
            requests.Session(impersonate="chrome").get(os.environ["FAKE_YAHOO_URL"]).raise_for_status()
            idx = pd.bdate_range("2020-01-01", periods=60, name="Date")
            return pd.DataFrame({"Close": np.linspace(100, 110, 60), "Volume": 1e6}, index=idx)
    """))
    r = _python("""
        import tensorflow  # before curl_cffi: the order that breaks an in-process download
        from core.data import prices, yahoo
        print("in-process impersonation", yahoo.impersonation_works())
        data = prices.from_yahoo("SPY")
        print("rows", len(data))
    """, tmp_path, {"PYTHONPATH": os.pathsep.join([ROOT, str(tmp_path / "fakeyf")]),
                    "FAKE_YAHOO_URL": local_url, "FINDL_DATA_CACHE": str(tmp_path / "cache")})
    assert "in-process impersonation False" in r.stdout, r.stdout + r.stderr[-2000:]
    assert "rows 60" in r.stdout, r.stdout + r.stderr[-2000:]
