"""Forecast page helpers: the model summary, the formatted metrics table, and widget limits that
come from the Config (not re-declared narrower in the page)."""

import ast
import os
from pathlib import Path

import pytest

from core.charts import forecast as charts
from core.result import Result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = Path(ROOT, "app_pages", "forecasting.py")
SUMMARY = 'Model: "forecast_lstm"\n┏━━━┓\n│ lstm_1 (LSTM) │\n└───┘\n Total params: 117'


def _result(**metrics) -> Result:
    block = {"rmse": 0.0082, "mae": 0.006, "mase": 0.98, "smape": None, "directional_accuracy": 0.512}
    naive = {**block, "rmse": 0.008, "directional_accuracy": None}
    return Result(metrics={"model": block, "naive": naive, "target": "log_return", **metrics}, arrays={},
                  info={"model_summary": SUMMARY})


def test_model_summary_is_shown_line_by_line_not_char_by_char():
    text = charts.summary_text(_result())
    assert text == SUMMARY and len(text.splitlines()) == 5


def test_page_does_not_join_the_summary_string_again():
    source = PAGE.read_text()
    assert 'join(result.info.get("model_summary"' not in source and "charts.summary_text(result)" in source


def test_metrics_table_text_uses_percent_and_never_none():
    table = charts.metrics_table_text(_result())
    assert table.loc["model", "RMSE"] == "0.820 %"
    assert table.loc["model", "direction hit rate"] == "51.2 %"
    assert table.loc["naive (random walk)", "direction hit rate"] == "n/a"
    assert table.loc["model", "RMSE vs naive"] == "+2.50 %"
    assert table.loc["model", "MASE"] == "0.980"
    assert not table.isin(["None", "nan", None]).any().any()


def _control_calls():
    tree = ast.parse(PAGE.read_text())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "controls"
                and node.func.attr in ("slider", "number")):
            yield node


@pytest.mark.parametrize("call", list(_control_calls()), ids=lambda c: ast.literal_eval(c.args[0]))
def test_page_widgets_take_their_limits_from_the_config(call):
    assert len(call.args) == 2, "name and label only: lo/hi come from the Config's param(min=, max=)"
    assert not {k.arg for k in call.keywords} - {"step", "fmt", "where"}


# ---- one unit per quantity ------------------------------------------------------------------------
def _walk_forward_result() -> Result:
    window = {"window": 1, "start": "2017-01-03", "end": "2017-06-30", "n": 120, "train_rows": 4000,
              "model": {"rmse": 0.0082}, "naive": {"rmse": 0.008}, "rmse_ratio": 1.025, "beat_naive": False}
    return Result(metrics={"target": "log_return", "walk_forward": {"windows": [window]}}, arrays={}, info={})


def test_walk_forward_table_and_chart_use_the_units_of_the_metrics_table():
    """RMSE of returns in percent and "RMSE vs naive" as a change in percent, as in the table above
    the tabs (not raw decimals and a ratio beside them)."""
    row = charts.walk_forward_table(_walk_forward_result()).iloc[0]
    headline = charts.metrics_table_text(_result())
    assert row["model RMSE"] == headline.loc["model", "RMSE"] == "0.820 %"
    assert row["RMSE vs naive"] == headline.loc["model", "RMSE vs naive"] == "+2.50 %"
    assert "ratio" not in charts.walk_forward_table(_walk_forward_result()).columns
    fig = charts.walk_forward_figure(_walk_forward_result())
    assert fig.layout.yaxis.tickformat == ".2%" and fig.layout.yaxis2.ticksuffix == " %"
    assert fig.data[2].y[0] == pytest.approx(2.5)


def test_per_horizon_rmse_of_returns_is_in_percent_and_prices_as_they_are():
    rows = [{"step": 1, "model": {"rmse": 0.0082}, "naive": {"rmse": 0.008}}]
    returns = Result(metrics={"target": "log_return", "per_horizon": rows}, arrays={}, info={})
    prices = Result(metrics={"target": "price", "per_horizon": rows}, arrays={}, info={})
    assert charts.per_horizon_figure(returns).layout.yaxis.tickformat == ".2%"
    assert charts.per_horizon_figure(prices).layout.yaxis.tickformat is None


def test_backtest_numbers_are_in_the_units_of_its_caveat():
    bt = {"strategy": {"cumulative_return": 0.468, "sharpe": 0.877, "max_drawdown": -0.138, "trades": 48,
                       "long_share": 0.931},
          "buy_and_hold": {"cumulative_return": 0.324, "sharpe": 0.663, "max_drawdown": -0.236}}
    table = charts.backtest_table(Result(metrics={"backtest": bt}, arrays={}, info={"model_label": "GRU"}))
    strategy, hold = table.loc["trade the GRU's sign"], table.loc["buy and hold"]
    assert (strategy["return"], strategy["max drawdown"], strategy["long share"]) == ("+46.8 %", "-13.8 %", "93.1 %")
    assert (hold["return"], hold["long share"], hold["Sharpe ratio (annualised)"]) == ("+32.4 %", "100.0 %", "0.663")
    assert "st.json(m.get(\"backtest\"" not in PAGE.read_text()  # raw decimals beside the caveat's percent


# ---- a first visit --------------------------------------------------------------------------------
def test_first_visit_trains_the_default_run_and_later_changes_wait_for_train():
    """The page trains on demand, but the settings a visit opens with train on their own: a first
    visit never says "Settings changed: press Train". A later change does."""
    import time

    from streamlit.testing.v1 import AppTest

    def notes(at):
        return " ".join(i.value for i in at.info)

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/forecasting.py")
    at.run()
    assert not at.exception and "press **Train**" not in notes(at)
    assert not [b for b in at.button if b.key == "train:forecast"]
    deadline = time.time() + 240
    while not any(m.label == "Model RMSE" for m in at.metric):
        assert time.time() < deadline and not at.exception and not at.error, "the default run did not show"
        assert "press **Train**" not in notes(at)
        time.sleep(0.5)
        at.run()
    at.number_input(key="fc.units").set_value(32)
    at.run()
    assert "Settings changed: press **Train**" in notes(at)
    assert [b for b in at.button if b.key == "train:forecast"]
