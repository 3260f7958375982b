"""A task for the engine tests that worker processes can import: it waits on a Dask Event (a
gate that crosses processes), logs each training to a file (calls are counted across workers),
and fails on request (divergence, a bug, or its worker process killed mid-training)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import TaskConfig, param
from core.errors import TrainingDiverged
from core.result import Result

NAME = "engine-test"
SCHEMA = 1
PRESETS: dict = {}
FAILURES = ("", "diverge", "bug", "die", "die-once")


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME
    value: int = param(1, min=0, max=1000)
    gate: str = param("", help="name of a distributed.Event to wait on before each step")
    fail: str = param("", choices=FAILURES)
    log: str = param("", help="folder where each training writes a file")
    generated: bool = param(False, help="data made from the config alone (the worker rebuilds it)")


def train(config: Config, data, progress) -> Result:
    from distributed import Event

    if config.log:
        Path(config.log, f"{config.value}-{os.getpid()}-{len(os.listdir(config.log))}").touch()
    marker = Path(config.log or ".", f"died-{config.value}")
    if config.fail == "die" or (config.fail == "die-once" and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), 9)  # the worker process dies mid-training, like an out-of-memory kill
    for step in range(1, 4):
        if config.gate:
            Event(config.gate).wait(60)
        progress.update(step, 3, loss=1.0 / step)
    if config.fail == "diverge":
        raise TrainingDiverged()
    if config.fail == "bug":
        raise RuntimeError("boom")
    return Result(metrics={"value": config.value, "pid": os.getpid(), "data_pid": getattr(data, "pid", None)},
                  arrays={"x": np.zeros(2)})


def load_data(config: Config, path=None):
    if path is not None:  # "parsed" from a file: its text is the fingerprint
        return Data(fingerprint=Path(path).read_text())
    return Data(generated=config.generated)


class Data:
    """``generated``: made from the config alone, so the engine lets the worker rebuild it; ``pid``
    is the process that built it."""

    def __init__(self, generated: bool = False, fingerprint: str = "engine-test-data"):
        self.from_config, self.pid, self.fingerprint = generated, os.getpid(), fingerprint


def predict(result: Result, inputs):
    """Scores new inputs with a stored run: value x input; counts its calls in ``result.memo``
    (the engine keeps recent runs loaded on a worker)."""
    from core.errors import UserError

    if not isinstance(inputs, list) or not all(isinstance(v, (int, float)) for v in inputs):
        raise UserError("inputs must be a list of numbers")
    result.memo["calls"] = result.memo.get("calls", 0) + 1
    return {"scores": [result.metrics["value"] * v for v in inputs], "calls": result.memo["calls"],
            "pid": os.getpid(), "tensorflow": "tensorflow" in __import__("sys").modules}
