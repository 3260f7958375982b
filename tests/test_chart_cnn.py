"""The chart-CNN task (issue 20): labels, the split's gap, the baselines, one quick run, bad files.
Image drawing is tests/test_chart_images.py; the data layer tests/test_ohlc.py; the presets' claims
over seeds tests/test_lessons.py; the page tests/test_app.py."""

import numpy as np
import pytest

from core.errors import DataError
from core.result import Progress
from core.tasks import chart_cnn as cc
from core.tasks.chart_cnn import baselines, windows

QUICK = {"epochs": 2, "window": 5, "filters": 4, "blocks": 1}


def test_one_image_every_horizon_days_labelled_by_the_close_horizon_days_later():
    config = cc.Config(window=20, horizon=5)
    data = cc.load_data(config)
    close = windows.series(config).arrays()["close"]
    assert np.all(np.diff(data.ends) == 5), "one image every horizon days: futures do not overlap"
    assert np.array_equal(data.labels, (close[data.ends + 5] > close[data.ends]).astype(np.int8))
    assert data.ends[-1] + 5 <= len(close) - 1 and data.images.shape[1:] == (64, 60)
    assert np.allclose(data.future_returns, close[data.ends + 5] / close[data.ends] - 1)


@pytest.mark.parametrize("window,horizon", [(5, 5), (20, 5), (20, 20), (60, 5)])
def test_no_future_of_one_part_is_drawn_in_a_later_parts_image(window, horizon):
    config = cc.Config(window=window, horizon=horizon)
    data = cc.load_data(config)
    (train, val, test), gap = windows.split(config, len(data))
    for before, after in ((train, val), (val, test)):
        last_future = data.ends[before.stop - 1] + horizon
        first_window = data.ends[after.start] - window + 1
        assert first_window > last_future, (window, horizon, gap)


def test_too_few_images_for_a_split_is_one_line():
    config = cc.Config(source="gbm", n_days=500, window=60, horizon=20)
    with pytest.raises(DataError, match="images"):
        windows.split(config, len(cc.load_data(config)))


def test_baselines_read_only_the_training_images():
    data = cc.load_data(cc.Config(source="gbm", n_days=2000))
    (train, _, test), _ = windows.split(cc.Config(source="gbm", n_days=2000), len(data))
    assert baselines.majority(np.array([1, 1, 0])) == 1 and baselines.majority(np.array([0, 0, 1])) == 0
    first = baselines.scores(data, train, test)
    shuffled = cc.ChartData(**{**data.__dict__, "labels": np.concatenate(
        [data.labels[:test.start], 1 - data.labels[test.start:]])})
    assert all(np.array_equal(first[k], baselines.scores(shuffled, train, test)[k]) for k in first), (
        "a test label changed a baseline's scores")
    momentum = data.window_returns[test].sum(axis=1)
    assert np.array_equal(first["momentum"] > 0.5, momentum > 0)


def test_a_quick_run_compares_the_cnn_with_every_baseline_on_the_same_windows():
    config = cc.Config(**QUICK)
    result = cc.train(config, cc.load_data(config), Progress())
    m = result.metrics
    assert [c["baseline"] for c in m["comparisons"]] == ["base_rate", "momentum", "logistic"]
    assert {c["n"] for c in m["comparisons"]} == {m["n_test"]} == {len(result.arrays["test_labels"])}
    assert set(m["scorers"]) == {"model", "base_rate", "momentum", "logistic"}
    assert result.arrays["occlusion"].shape == (m["n_test"], 5)  # every test image can be explained
    assert sum(r["n"] for r in m["accuracy_by_year"].values()) == m["n_test"]


def test_bad_ohlc_files_exit_2_from_the_cli_and_store_nothing(tmp_path, capsys, monkeypatch):
    from core import cli

    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    close_only = tmp_path / "close.csv"
    close_only.write_text("Date,Close\n" + "".join(f"2020-01-{d:02d},{100 + d}\n" for d in range(1, 29)))
    high_below_low = tmp_path / "hl.csv"
    rows = [f"2020-{1 + i // 28:02d}-{1 + i % 28:02d},100,99,101,100,1000\n" for i in range(200)]
    high_below_low.write_text("Date,Open,High,Low,Close,Volume\n" + "".join(rows))
    for path, says in ((close_only, "High and Low"), (high_below_low, "high")):
        code = cli.main(["train", "chart-cnn", "--set", "source=csv", "--data", str(path)])
        err = capsys.readouterr().err
        assert code == 2 and says.lower() in err.lower() and "Traceback" not in err, err
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())
