"""The task contract and the registry.

A task is a module (or a package whose ``__init__`` is the module) that satisfies ``Task`` below:
what the CLI, the engine's workers, the pages and the result store rely on, written once and held
to every registered task by ``check_task`` (``tests/test_task_contract.py``), as scikit-learn's
``check_estimator`` holds every estimator to its API. Optional hooks are listed in ``HOOKS`` and
read through ``hook(task, name)``, never with a bare ``getattr``.

Data that depends on the config alone (generated or bundled) may say so with ``from_config = True``:
the engine then sends the worker the settings, not the rows (``core.engine.shipped``). Task modules
import TensorFlow only inside the functions that train or predict (the web server imports them).

Which tasks exist: every live lesson of ``core.catalog`` (a page and its task), plus
``PAGELESS_TASKS``, tasks that run from another page (a tab, a button) and have no page of their
own: registering one is one line there.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

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
    """A lesson: settings, one sentence of what to look at (no result figures: those come from
    the run), the claims (``core.lessons.Claim``) the run is checked against on screen, the
    question a classroom link asks before revealing the run (``core.lessons.Question``: the run
    decides its right answer) and the teacher's notes (``core.lessons.Notes``)."""

    description: str
    settings: dict[str, Any] = field(default_factory=dict)
    claims: tuple = ()
    question: Any = None
    notes: Any = None


class TaskData(Protocol):
    """What ``load_data`` returns: anything with a fingerprint of its rows (part of the store key)
    and notes to show under the settings (may be empty)."""

    fingerprint: str
    notes: list[str]


class Task(Protocol):
    """The module-level API of a task.

    NAME        the task's name: ``findl train NAME``, the store key, the registry key
    SCHEMA      int, bumped when results change meaning (old stored runs are then not reused)
    Config      a ``core.config.TaskConfig``: every setting, with its limits (links, CLI, widgets)
    PRESETS     {name: Preset}: lessons, each a set of valid settings and one sentence
    load_data   (config, path=None) -> TaskData; raises DataError/ConfigError with one line
    train       (config, data, progress) -> Result whose ``metrics["comparisons"]`` is a list in
                the schema of ``core.comparisons`` (the model against each baseline; [] without
                labels) and whose metrics are plain JSON
    """

    NAME: str
    SCHEMA: int
    Config: type
    PRESETS: dict[str, Preset]

    def load_data(self, config: Any, path: Any = None) -> TaskData: ...

    def train(self, config: Any, data: Any, progress: Any) -> Any: ...


HOOKS: dict[str, tuple[str, ...]] = {
    "predict": ("result", "inputs"),      # score new inputs with a stored run (Engine.predict, on a worker)
    "key_config": ("config",),            # the settings that decide the result (the store key ignores the rest)
    "companions": ("config",),            # tasks ``findl prewarm`` trains after this one for the same settings
    "evaluate_file": ("result", "path"),  # metrics of a stored run on a labelled file (``findl train --eval``)
}


def hook(task: ModuleType, name: str) -> Callable | None:
    """The task's optional hook ``name`` (one of HOOKS), or None when the task has none."""
    if name not in HOOKS:
        raise KeyError(f"{name} is not a task hook; hooks: {', '.join(HOOKS)}")
    return getattr(task, name, None)


def _check_signature(task_name: str, name: str, fn: Any, params: tuple[str, ...]) -> None:
    if not callable(fn):
        raise TypeError(f"{task_name}.{name} is not callable")
    got = tuple(inspect.signature(fn).parameters)[: len(params)]
    if got != params:
        raise TypeError(f"{task_name}.{name} takes {got}, the contract says {params}")


def check_task(task: ModuleType, result: Any = None) -> None:
    """Raise (TypeError/ValueError) where ``task`` breaks the contract: the module API, its hooks'
    signatures, presets that validate and carry claims; with ``result`` (a run of the task) also the metrics: JSON,
    and comparisons in the shared schema."""
    from core.config import TaskConfig
    from core.lessons import Claim

    name = getattr(task, "NAME", None)
    if not isinstance(name, str) or TASK_MODULES.get(name) != task.__name__:
        raise ValueError(f"{task.__name__}: NAME {name!r} is not registered to this module")
    if not isinstance(getattr(task, "SCHEMA", None), int):
        raise TypeError(f"{name}: SCHEMA must be an int")
    if not (isinstance(getattr(task, "Config", None), type) and issubclass(task.Config, TaskConfig)):
        raise TypeError(f"{name}: Config must be a TaskConfig")
    _check_signature(name, "load_data", getattr(task, "load_data", None), ("config", "path"))
    _check_signature(name, "train", getattr(task, "train", None), ("config", "data", "progress"))
    for hook_name, params in HOOKS.items():
        fn = hook(task, hook_name)
        if fn is not None:
            _check_signature(name, hook_name, fn, params)
    presets = getattr(task, "PRESETS", None)
    if not isinstance(presets, dict):
        raise TypeError(f"{name}: PRESETS must be a dict of Preset")
    for preset, lesson in presets.items():
        if not isinstance(lesson, Preset) or not lesson.description.strip():
            raise TypeError(f"{name}: preset {preset} must be a Preset with a description")
        if not all(isinstance(claim, Claim) for claim in lesson.claims):
            raise TypeError(f"{name}: preset {preset}'s claims must be core.lessons.Claim")
        config = task.Config(**lesson.settings)  # raises ConfigError when the settings do not validate
        if task.Config.from_strings(config.to_strings(only_changed=True)) != config:
            raise ValueError(f"{name}: preset {preset} does not survive a share link")
    if result is not None:
        check_result(task, result)


def check_result(task: ModuleType, result: Any) -> None:
    """A run's metrics: plain JSON, with ``comparisons`` in the schema of ``core.comparisons``."""
    import json

    from core import comparisons

    metrics = result.metrics
    json.dumps(metrics, allow_nan=True)  # TypeError on numpy values or other objects
    if not isinstance(metrics.get("comparisons"), list):
        raise TypeError(f"{task.NAME}: metrics['comparisons'] must be a list (core.comparisons)")
    for entry in metrics["comparisons"]:
        comparisons.check(entry)


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
