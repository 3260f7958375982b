"""core.result.jsonable: the one NumPy -> JSON sanitiser (metrics, progress events, CLI output)."""

import json

import numpy as np

from core.result import jsonable


def test_numpy_values_become_plain_json():
    value = {"a": np.float32(0.5), "b": np.int64(3), 4: (np.bool_(True), float("nan"), np.inf),
             "arr": np.array([[1.0, np.nan]]), "ints": np.arange(3), "name": np.str_("x")}
    out = jsonable(value)
    assert out == {"a": 0.5, "b": 3, "4": [True, None, None], "arr": [[1.0, None]], "ints": [0, 1, 2], "name": "x"}
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert type(out["b"]) is int and type(out["4"][0]) is bool


def test_array_decimals_round_progress_snapshots_only():
    event = {"step": np.int64(2), "loss": 0.123456789, "snapshot": np.array([[0.123456, 0.5]], np.float16)}
    out = jsonable(event, array_decimals=4)
    assert out["loss"] == 0.123456789 and out["step"] == 2
    assert out["snapshot"] == [[round(float(np.float16(0.123456)), 4), 0.5]]
