"""Scoring new inputs with a stored run, for pages: a typed sentence, an uploaded file.

The web server has no TensorFlow, so the task's ``predict`` hook runs on a worker
(``Engine.predict``, beside any training). Pages go through ``score`` and never reach for the
engine: one place decides what a page may score and caches it, so a rerun (every widget change
reruns the page) does not ask a worker again for the same inputs.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import streamlit as st

from core.errors import UserError


def score(task: ModuleType, result, inputs: Any) -> Any:
    """``task.predict(result, inputs)`` on a worker, cached per (run, inputs). Raises UserError
    (one line) for a run that is not stored, inputs the task refuses, or no worker to answer."""
    if result.not_stored:
        raise UserError(f"scoring new inputs needs a stored run, and this one could not be saved ({result.not_stored})")
    if result.key is None:
        raise UserError("scoring new inputs needs a stored run: train it first")
    return _score(task.NAME, result.key, inputs)


@st.cache_data(max_entries=256, show_spinner=False)
def _score(task_name: str, key: str, inputs: Any) -> Any:
    from core import engine
    from core.tasks import get_task

    return engine.engine().predict(get_task(task_name), key, inputs)
