"""Task registry. A task module provides:

NAME, SCHEMA (int, bump when results change meaning), Config (a TaskConfig), PRESETS
({name: Preset}), load_data(config, path=None) -> object with a ``fingerprint`` str (raises
DataError), and train(config, data, progress) -> Result. Data that depends on the config alone
(generated or bundled) may say so with ``from_config = True``: the engine then sends the worker
the settings, not the rows, and the worker loads them itself (``core.engine.shipped``). Task modules import TensorFlow only
inside the functions that train or predict.

Which tasks exist: every live lesson of ``core.catalog`` (a page and its task), plus
``PAGELESS_TASKS``, tasks that run from another page (a tab, a button) and have no page of their
own: registering one is one line there.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from core import catalog
from core.errors import UserError

PAGELESS_TASKS: dict[str, str] = {
    "forecast-walk-forward": "core.tasks.forecast.walk_forward",  # started from the forecasting page's tab
}

if _clash := sorted(set(PAGELESS_TASKS) & {lesson.task for lesson in catalog.LESSONS}):
    raise ValueError(f"task name(s) {', '.join(_clash)} belong to a lesson page in core/catalog.py")

TASK_MODULES: dict[str, str] = {lesson.task: lesson.module for lesson in catalog.live()} | PAGELESS_TASKS


@dataclass(frozen=True)
class Preset:
    """A lesson: settings plus one sentence of what it shows."""

    description: str
    settings: dict[str, Any] = field(default_factory=dict)


def task_names() -> list[str]:
    return list(TASK_MODULES)


def get_task(name: str) -> ModuleType:
    if name not in TASK_MODULES:
        raise UserError(f"unknown task '{name}'; choose one of: {', '.join(TASK_MODULES)}")
    return importlib.import_module(TASK_MODULES[name])


def preset_config(task: ModuleType, preset: str | None):
    if not preset:
        return task.Config()
    if preset not in task.PRESETS:
        raise UserError(f"unknown preset '{preset}' for {task.NAME}; choose one of: {', '.join(task.PRESETS)}")
    return task.Config(**task.PRESETS[preset].settings)
