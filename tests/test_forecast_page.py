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
