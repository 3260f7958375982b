"""Store faults: a store that cannot be written (read-only, full, not creatable) costs no training,
a deleted entry never crashes a page's downloads, no store file is a pickle, and a training's
temporary files do not outlive it.

This module is also the small task those tests train (workers import it by its name): one
setting, one named file whose bytes say which run wrote it."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core import jobs
from core.config import TaskConfig, param
from core.errors import DataError
from core.result import Progress, Result
from core.store import Store

NAME = "store-fault-test"
SCHEMA = 1
PRESETS: dict = {}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME
    value: int = param(1, min=0, max=1000)


class Data:
    from_config = False
    fingerprint = "store-fault-data"


DATA = Data()


def load_data(config: Config, path=None) -> Data:
    return DATA


def train(config: Config, data, progress) -> Result:
    progress.update(1, 1, loss=0.5)
    fd, path = tempfile.mkstemp(prefix="findl-faulttest-", suffix=".keras")
    with os.fdopen(fd, "wb") as handle:
        handle.write(f"model-{config.value}".encode())
    return Result(metrics={"value": config.value}, arrays={"x": np.zeros(2)}, files={"model.keras": path})


def _task():
    return sys.modules[__name__]


# ---- a store that cannot be written -------------------------------------------------------------
@pytest.mark.parametrize(("code", "words"), [(errno.EACCES, "Permission denied"), (errno.ENOSPC, "No space left"),
                                             (errno.EROFS, "Read-only file system")])
def test_a_store_that_cannot_be_written_returns_the_trained_run_saying_why(tmp_path, monkeypatch, code, words):
    store = Store(str(tmp_path / "s"))
    real = Path.write_bytes

    def failing(path, data):
        if path.parent.name.startswith(".tmp-"):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    result = jobs.execute(_task(), Config(value=3), DATA, store, Progress())
    assert result.metrics == {"value": 3} and not result.cached and result.key is None
    assert result.not_stored == f"{os.strerror(code)} in {store.location}" and words in result.not_stored
    assert result.file_bytes("model.keras") == b"model-3"  # readable while the run is shown
    assert not store.has(jobs.key_for(_task(), Config(value=3), DATA))
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["locks"]  # no half-written .tmp- folder left
    temporary = Path(result.files["model.keras"])
    del result
    gc.collect()
    assert not temporary.exists()


def test_a_failed_rename_is_not_taken_for_a_lost_race(tmp_path, monkeypatch):
    def cross_device(src, dst):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "replace", cross_device)
    result = jobs.execute(_task(), Config(value=2), DATA, Store(str(tmp_path / "s")))
    assert result.not_stored.startswith(os.strerror(errno.EXDEV)) and result.file_bytes("model.keras") == b"model-2"


def test_a_store_that_cannot_be_created_or_locked_still_trains(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    store = Store(str(tmp_path / "a-file" / "store"))  # used to raise NotADirectoryError
    assert store.get("k") is None and store.status()["entries"] == 0
    result = jobs.execute(_task(), Config(value=4), DATA, store)
    assert result.metrics == {"value": 4} and result.not_stored.startswith("Not a directory in ")

    from filelock import FileLock

    def denied(self, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileLock, "acquire", denied)  # a read-only store's lock files
    stored = jobs.execute(_task(), Config(value=5), DATA, Store(str(tmp_path / "ok")))
    assert stored.not_stored is None and Store(str(tmp_path / "ok")).get(stored.key).metrics == {"value": 5}


def test_a_read_only_store_still_serves_what_it_holds(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "s"))
    first = jobs.execute(_task(), Config(value=6), DATA, store)
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only")))
    again = jobs.execute(_task(), Config(value=6), DATA, Store(str(tmp_path / "s")))
    assert again.cached and again.key == first.key and again.file_bytes("model.keras") == b"model-6"


def test_cli_prints_the_run_and_exits_3_when_the_store_cannot_keep_it(tmp_path, monkeypatch, capsys):
    from core import cli

    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "a-file" / "store"))
    code = cli.main(["train", "playground", "--set", "engine=numpy", "--set", "epochs=2", "--set", "n_samples=100",
                     "--json"])
    out, err = capsys.readouterr()
    assert code == cli.NOT_STORED == 3
    report = json.loads(out)
    assert report["stored"] is False and report["store_error"].startswith("Not a directory in ")
    assert "test_accuracy" in json.dumps(report["metrics"])
    assert err.strip().splitlines() == [err.strip()] and "could not be saved to the store" in err
    assert "Traceback" not in err

    code = cli.main(["prewarm", "--task", "playground", "--preset", "overfit"])
    out, err = capsys.readouterr()
    assert code == 3 and "prewarm stopped" in err and len(out.strip().splitlines()) == 1


# ---- pages: a run the store refused, a run whose entry was deleted -------------------------------
def _panel_page():
    import streamlit as st
    import test_store_faults as here

    from core.ui import job_panel
    from core.ui.page import download_file

    value = st.session_state.get("value", 7)
    result = job_panel.run(here, here.Config(value=value), here.DATA)
    if result is not None:
        st.write(f"shown value={result.metrics['value']}")
        download_file("Model", result, "model.keras", "model.keras")


def _until_shown(at, key: str, timeout: float = 120):
    from core import engine

    deadline = time.monotonic() + timeout
    while not any("shown value" in m.value for m in at.markdown):
        assert not at.exception, at.exception
        assert time.monotonic() < deadline, "timed out waiting for the page"
        job = engine.engine().get(key)
        if job is not None and job.active:
            engine.engine().wait(job, timeout=deadline - time.monotonic())
        at.run()
    return at


def _downloads(at) -> list[str]:
    return [e.proto.label for e in at.get("download_button")]


def test_the_page_shows_a_run_the_store_refused_with_one_warning(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "a-file" / "store"))
    at = AppTest.from_function(_panel_page, default_timeout=120)
    at.session_state["value"] = 8
    at.run()
    at = _until_shown(at, jobs.key_for(_task(), Config(value=8), DATA))
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown if "shown" in m.value] == ["shown value=8"]
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("This run could not be saved to the store (Not a directory in ")
    assert warning.endswith("it is shown but will be trained again next time.")
    assert _downloads(at) == ["Model"]  # the bytes came back with the run


def test_downloads_after_the_entry_is_deleted_say_so_and_train_again(tmp_path):
    from streamlit.testing.v1 import AppTest

    from core import engine

    key, _ = jobs.run_sync(_task(), Config(value=7), DATA)
    at = AppTest.from_function(_panel_page, default_timeout=120)
    at.run()
    assert not at.exception and _downloads(at) == ["Model"]
    shutil.rmtree(Path(Store().location) / key)  # README: "delete the store folder"
    at.run()  # the run is still on screen, from the server's memory
    assert not at.exception, at.exception  # was FileNotFoundError
    assert _downloads(at) == [] and any("files are gone from the store" in w.value for w in at.warning)
    at.button(key=f"gone:{key}:model.keras").click().run()
    at = _until_shown(at, key)
    assert not at.exception and _downloads(at) == ["Model"] and Store().has(key)  # trained and stored again
    assert engine.engine().stored(key).file_bytes("model.keras") == b"model-7"


def test_file_bytes_serves_held_bytes_and_none_for_a_gone_file(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"m")
    result = Result(metrics={}, files={"model.keras": str(path)}, own_files=False)
    travelled = pickle.loads(pickle.dumps(result.detached()))  # as Dask brings it from a worker
    path.unlink()
    assert result.file_bytes("model.keras") is None and result.file_bytes("other") is None
    assert travelled.file_bytes("model.keras") == b"m"


# ---- temporary files -------------------------------------------------------------------------------
def test_a_training_s_temporary_files_go_once_stored_and_with_an_unstored_result(tmp_path):
    direct = train(Config(value=9), DATA, Progress())  # a test calling train() itself
    temporary = Path(direct.files["model.keras"])
    del direct
    gc.collect()
    assert not temporary.exists()

    seen = []

    def watching(config, data, progress):
        result = train(config, data, progress)
        seen.append(Path(result.files["model.keras"]))
        return result

    task = type(sys)("watching_task")
    task.__dict__.update(NAME=NAME, SCHEMA=SCHEMA, Config=Config, PRESETS=PRESETS, train=watching)
    stored = jobs.execute(task, Config(value=10), DATA, Store(str(tmp_path / "s")))
    assert not seen[0].exists()  # deleted at once, not when the Result is collected
    assert stored.file_bytes("model.keras") == b"model-10" and Path(stored.files["model.keras"]).parent.name == stored.key


# ---- no pickles: the sentiment TF-IDF baseline -----------------------------------------------------
@pytest.fixture(scope="module")
def tfidf():
    from core.data import sentences
    from core.tasks.sentiment.baselines import TfidfLogreg

    train_set = sentences.bundled("train")
    return TfidfLogreg(seed=0).fit(train_set.texts[:400], train_set.labels[:400])


def _saved(model) -> bytes:
    buffer = io.BytesIO()
    model.save(buffer)
    return buffer.getvalue()


def test_tfidf_baseline_is_stored_as_arrays_and_predicts_exactly_as_before(tfidf):
    from core.data import sentences
    from core.tasks.sentiment.baselines import TfidfLogreg

    data = _saved(tfidf)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        assert all(npz[name].dtype.kind != "O" for name in npz.files)
    loaded = TfidfLogreg.load(io.BytesIO(data))
    texts = sentences.bundled("eval").texts
    np.testing.assert_array_equal(loaded.predict_proba(texts), tfidf.predict_proba(texts))  # bit for bit
    assert loaded.word_weights(texts[0], 2) == tfidf.word_weights(texts[0], 2)


def _tampered(good: bytes, kind: str) -> bytes:
    arrays = dict(np.load(io.BytesIO(good), allow_pickle=False))
    settings = json.loads(str(arrays["settings"]))
    changes = {"not-json": {"settings": np.array("{not json")},
               "other-settings": {"settings": np.array(json.dumps({**settings, "sublinear_tf": False}))},
               "short-idf": {"idf": arrays["idf"][:-1]},
               "wide-coef": {"coef": np.hstack([arrays["coef"], arrays["coef"]])},
               "no-intercept": {"intercept": None},
               "bad-classes": {"classes": np.array([0, 1, 7])},
               "numeric-vocabulary": {"vocabulary": np.arange(len(arrays["vocabulary"]))},
               "nan-coef": {"coef": arrays["coef"] * np.nan}}[kind]
    arrays = {k: v for k, v in {**arrays, **changes}.items() if v is not None}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


class _RunsCode:
    """A pickle that runs a command when loaded (``id`` as root, in the issue)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["pickle", "joblib-pickle", "garbage", "empty", "not-json", "other-settings",
                                  "short-idf", "wide-coef", "no-intercept", "bad-classes", "numeric-vocabulary",
                                  "nan-coef"])
def test_a_tampered_tfidf_file_is_refused_in_one_line_and_not_kept(tfidf, tmp_path, kind):
    from core.tasks import sentiment as se

    good = _saved(tfidf)
    raw = {"pickle": pickle.dumps(_RunsCode(tmp_path / "ran")), "joblib-pickle": pickle.dumps(tfidf), "garbage": b"\x00garbage",
           "empty": b""}
    bad = raw[kind] if kind in raw else _tampered(good, kind)
    path = tmp_path / "tfidf.npz"
    path.write_bytes(bad)
    result = Result(metrics={}, files={se.TFIDF_FILE: str(path), "model.keras": str(tmp_path / "none.keras")},
                    own_files=False)
    with pytest.raises(DataError) as refused:
        se.predict(result, {"texts": ["shares rose"]})
    message = str(refused.value)
    assert message.startswith("the stored TF-IDF baseline is not valid (") and "\n" not in message
    assert "allow_pickle" not in message and "loaded" not in result.memo  # nothing kept: a fixed file loads
    assert not (tmp_path / "ran").exists()


def test_the_sentiment_schema_moved_past_the_pickled_baseline():
    """Runs stored with ``tfidf.joblib`` (schema 2) have other keys: they are trained again, never loaded."""
    from core.tasks import sentiment as se

    assert se.SCHEMA >= 3 and se.TFIDF_FILE == "tfidf.npz"
    config = se.Config()
    data = se.load_data(config)
    old = jobs.make_key(se.NAME, 2, config.to_dict(), data.fingerprint)
    assert jobs.key_for(se, config, data) != old
