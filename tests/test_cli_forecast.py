import pytest

"""The forecast task through the CLI: a CSV, a faked Yahoo Finance (never the network)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--set", "epochs=2", "--set", "units=8", "--set", "lookback=10", "--set", "walk_forward=2",
        "--set", "batch_size=128", "--set", "min_steps=0"]
METRIC_KEYS = {"rmse", "mae", "mase", "smape", "directional_accuracy"}


def findl(*args, env=None):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)


def _gbm_csv(path, rows=400, seed=0):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, rows)))
    dates = pd.bdate_range("2015-01-01", periods=rows)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": close, "Volume": rng.integers(1e5, 1e6, rows)}).to_csv(path, index=False)


def test_forecast_csv_json_has_the_design_metric_keys(tmp_path):
    csv = tmp_path / "prices.csv"
    _gbm_csv(csv)
    r = findl("train", "forecast", "--data", str(csv), *TINY, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    m = out["metrics"]
    for name in ("model", "naive", "drift", "mean"):
        assert METRIC_KEYS <= set(m[name]), name
    assert m["n_test"] > 10 and [c["baseline"] for c in m["comparisons"]] == ["naive", "drift", "mean"]
    assert "random walk" in m["comparisons"][0]["baseline_label"]
    assert out["config"]["source"] == "csv"  # not the default bundled index: the run is on the file
    assert out["cached"] is False
    again = json.loads(findl("train", "forecast", "--data", str(csv), *TINY, "--json").stdout)
    assert again["cached"] is True and again["metrics"] == m


def test_forecast_bad_csv_and_settings_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-02,1\n2020-01-01,2\n2020-01-01,3\n")
    r = findl("train", "forecast", "--data", str(bad))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    short = tmp_path / "short.csv"
    _gbm_csv(short, rows=60)
    r = findl("train", "forecast", "--data", str(short), "--set", "lookback=60")
    assert r.returncode == 2 and "lookback" in r.stderr
    r = findl("train", "forecast", "--set", "lookback=0")
    assert r.returncode == 2 and "lookback" in r.stderr


def _fake_yfinance(tmp_path, body: str) -> dict:
    pkg = tmp_path / "fakeyf" / "yfinance"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    return {"PYTHONPATH": str(tmp_path / "fakeyf"), "FINDL_DATA_CACHE": str(tmp_path / "cache")}


def test_forecast_yahoo_offline_is_a_clear_exit_2(tmp_path):
    env = _fake_yfinance(tmp_path, """
        import pandas as pd
        def download(*a, **k): return pd.DataFrame()
        class Ticker:
            def __init__(self, *a, **k): pass
            def history(self, *a, **k): return pd.DataFrame()
    """)
    r = findl("train", "forecast", "--set", "source=yahoo", "--set", "ticker=AAPL", env=env)
    assert r.returncode == 2
    assert "Yahoo" in r.stderr and "AAPL" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow  # starts processes that import TensorFlow
def test_forecast_yahoo_multiindex_tz_frame_trains_and_is_cached(tmp_path):
    env = _fake_yfinance(tmp_path, """
        import numpy as np, pandas as pd
        def _frame():
            idx = pd.bdate_range("2016-01-01", periods=500, tz="America/New_York")
            close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 500)))
            cols = pd.MultiIndex.from_product([["Close", "Volume"], ["AAPL"]], names=["Price", "Ticker"])
            return pd.DataFrame(np.c_[close, np.full(500, 1e6)], index=idx, columns=cols)
        def download(*a, **k): return _frame()
        class Ticker:
            def __init__(self, *a, **k): pass
            def history(self, *a, **k):
                f = _frame(); f.columns = f.columns.get_level_values(0); return f
    """)
    r = findl("train", "forecast", "--set", "source=yahoo", "--set", "ticker=AAPL", *TINY, "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["metrics"]["n_test"] > 10
    assert any(p.suffix == ".parquet" for p in (tmp_path / "cache").rglob("*"))


@pytest.mark.slow  # starts processes that import TensorFlow
def test_walk_forward_is_its_own_cli_task_and_the_main_run_reports_without_it(tmp_path):
    csv = tmp_path / "prices.csv"
    _gbm_csv(csv)
    main = json.loads(findl("train", "forecast", "--data", str(csv), *TINY, "--json").stdout)
    assert "walk_forward" not in main["metrics"] and main["cached"] is False
    r = findl("train", "forecast-walk-forward", "--data", str(csv), *TINY, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    wf = out["metrics"]["walk_forward"]
    assert out["task"] == "forecast-walk-forward" and out["cached"] is False and out["key"] != main["key"]
    assert len(wf["windows"]) == 2 and METRIC_KEYS <= set(wf["mean"]["model"])
    # another number of windows: a new walk-forward run, but the main run comes from the store
    again = json.loads(findl("train", "forecast", "--data", str(csv), *TINY, "--set", "walk_forward=3",
                             "--json").stdout)
    assert again["cached"] is True and again["metrics"] == main["metrics"]
    off = findl("train", "forecast-walk-forward", "--data", str(csv), *TINY, "--set", "walk_forward=0")
    assert off.returncode == 2 and "walk_forward" in off.stderr and len(off.stderr.strip().splitlines()) == 1
