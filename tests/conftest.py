"""Every test gets a private result store; nothing touches the network or ~/.cache.

The one shared store is ``lessons``: every lesson preset trained at its real settings at most once
per test session, read by the page, CLI and lesson-claim tests (each used to train the presets
again, about three times a preset)."""

import contextlib
import io
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("FINDL_DATA_CACHE", str(tmp_path / "data-cache"))
    yield


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, request):
    """Any attempt to connect outside loopback fails the test loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def no_training(monkeypatch):
    """Pages stop after their settings and data: no engine, no cluster, no training. For what a
    page says before its run panel (link warnings, data errors and notes)."""
    from core.ui import frame, job_panel

    monkeypatch.setattr(job_panel, "run", lambda *a, **k: None)
    monkeypatch.setattr(frame, "sidebar_status", lambda: None)


@contextlib.contextmanager
def _environ(**values: str):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LessonRuns:
    """A store holding the lesson presets, filled one task at a time by ``findl prewarm --task``
    (in this process: no second TensorFlow import), the command a teacher runs before class,
    without the companion runs (the forecast's walk-forward): no test reads them, and
    ``tests/test_cli.py`` checks that prewarm trains them on one preset."""

    def __init__(self, root: Path):
        self.location = str(root / "store")
        self._prewarm_lines: dict[str, list[str]] = {}

    def prewarm(self, task_name: str) -> list[str]:
        """The output lines of the task's prewarm into this store, run on first use: so they are
        the lines of a fresh store ("trained", or "cached" for a preset repeating an earlier one)."""
        if task_name not in self._prewarm_lines:
            from core import cli

            out, err = io.StringIO(), io.StringIO()
            with _environ(FINDL_STORE=self.location, FINDL_DEBUG="1"), \
                    contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["prewarm", "--task", task_name, "--no-companions"])
            assert code == 0, err.getvalue()
            self._prewarm_lines[task_name] = out.getvalue().strip().splitlines()
        return self._prewarm_lines[task_name]

    def run(self, task_name: str, preset: str):
        """The stored Result of ``preset`` (its task prewarmed first)."""
        from core import jobs
        from core.store import Store
        from core.tasks import get_task, preset_config

        self.prewarm(task_name)
        task = get_task(task_name)
        config = preset_config(task, preset)
        result = Store(self.location).get(jobs.key_for(task, config, task.load_data(config)))
        assert result is not None, f"{task_name}/{preset} is not in the lesson store"
        return result


    def seeded(self, task_name: str, preset: str, seed: int):
        """The preset's run with its seeds moved by ``seed`` (the model ``seed`` and, where the
        data are generated, ``data_seed``); seed 0 is the preset's own run. Trained into this store
        on first use, so every test that checks a preset over seeds shares the runs."""
        if seed == 0:
            return self.run(task_name, preset)
        from core import jobs
        from core.result import Progress
        from core.store import Store
        from core.tasks import get_task, preset_config

        task = get_task(task_name)
        config = preset_config(task, preset)
        fields = task.Config.field_names()
        config = config.replace(**{f: getattr(config, f) + seed for f in ("seed", "data_seed") if f in fields})
        return jobs.execute(task, config, task.load_data(config), Store(self.location), Progress())


@pytest.fixture(scope="session")
def lessons(tmp_path_factory) -> LessonRuns:
    return LessonRuns(tmp_path_factory.mktemp("lessons"))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """Under ``pytest -n 2 --dist loadgroup`` (``make test``) every test that reads the lesson
    store runs in one worker, so each preset still trains once per session and the prewarm lines
    are those of a fresh store; the other worker takes the browsers, clusters and subprocesses."""
    for item in items:
        if "lessons" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("lessons"))
