import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.result import Result
from core.store import Store, make_key

ROOT = Path(__file__).resolve().parents[1]


def _result():
    return Result(metrics={"acc": 0.9}, arrays={"a": np.arange(5.0), "b": np.eye(2, dtype=np.float32)},
                  info={"note": "x"}, seconds=1.5)


def test_round_trip(tmp_path):
    store = Store(str(tmp_path / "s"))
    key = make_key("t", 1, {"x": 1}, "data")
    assert store.get(key) is None and not store.has(key)
    store.put(key, _result())
    assert store.has(key)
    got = store.get(key)
    assert got.cached and got.metrics == {"acc": 0.9} and got.info == {"note": "x"}
    np.testing.assert_array_equal(got.arrays["a"], np.arange(5.0))
    assert store.status()["entries"] == 1


def test_key_depends_on_every_part():
    base = make_key("t", 1, {"x": 1}, "d")
    assert len({base, make_key("u", 1, {"x": 1}, "d"), make_key("t", 2, {"x": 1}, "d"),
                make_key("t", 1, {"x": 2}, "d"), make_key("t", 1, {"x": 1}, "e")}) == 5
    assert make_key("t", 1, {"a": 1, "b": 2}, "d") == make_key("t", 1, {"b": 2, "a": 1}, "d")


@pytest.mark.parametrize("damage", ["arrays", "meta", "missing_meta"])
def test_corrupt_entry_is_discarded(tmp_path, damage):
    store = Store(str(tmp_path / "s"))
    key = make_key("t", 1, {}, "d")
    store.put(key, _result())
    folder = tmp_path / "s" / key
    if damage == "arrays":
        (folder / "arrays.npz").write_bytes(b"garbage")
    elif damage == "meta":
        (folder / "meta.json").write_text("{not json")
    else:
        (folder / "meta.json").unlink()
    assert store.get(key) is None
    if damage != "missing_meta":
        assert not folder.exists()  # removed so the next run retrains cleanly


def test_half_written_temp_folders_are_ignored(tmp_path):
    store = Store(str(tmp_path / "s"))
    (tmp_path / "s" / ".tmp-abc-123").mkdir()
    assert store.status()["entries"] == 0


def test_model_file_travels(tmp_path):
    """``Result(model_path=...)``, the one-model form the forecast task uses, still round-trips."""
    store = Store(str(tmp_path / "s"))
    model = tmp_path / "m.keras"
    model.write_bytes(b"model-bytes")
    r = Result(metrics={"acc": 0.9}, model_path=str(model))
    assert r.files == {"model.keras": str(model)}
    got = store.put("k" * 64, r)
    assert set(got.files) == {"model.keras"}
    with open(got.model_path, "rb") as fh:
        assert fh.read() == b"model-bytes"


def _two_files(tmp_path) -> Result:
    (tmp_path / "enc.tmp").write_bytes(b"encoder-bytes")
    (tmp_path / "vec.tmp").write_text('{"vocabulary": ["up", "down"]}')
    r = _result()
    r.files = {"encoder.keras": str(tmp_path / "enc.tmp"), "vectorizer.json": str(tmp_path / "vec.tmp")}
    return r


@pytest.mark.parametrize("location", ["local", "memory"])
def test_named_files_round_trip_with_checksums(tmp_path, location):
    where = str(tmp_path / "s") if location == "local" else f"memory://findl-files-{tmp_path.name}"
    store = Store(where)
    store.put("k", _two_files(tmp_path))
    got = Store(where).get("k")
    assert set(got.files) == {"encoder.keras", "vectorizer.json"}
    assert Path(got.files["encoder.keras"]).read_bytes() == b"encoder-bytes"
    assert json.loads(Path(got.files["vectorizer.json"]).read_text()) == {"vocabulary": ["up", "down"]}
    assert [Path(p).name for p in got.files.values()] == ["encoder.keras", "vectorizer.json"]  # names kept
    assert got.model_path == got.files["encoder.keras"]  # no model.keras: the first file
    meta = json.loads(store._read(store._path("k", "meta.json")))
    assert meta["files"]["vectorizer.json"] == hashlib.sha256(b'{"vocabulary": ["up", "down"]}').hexdigest()
    assert set(meta["files"]) == {"arrays.npz", "encoder.keras", "vectorizer.json"}


def test_corrupted_second_file_discards_the_entry(tmp_path):
    store = Store(str(tmp_path / "s"))
    store.put("k", _two_files(tmp_path))
    folder = tmp_path / "s" / "k"
    (folder / "vectorizer.json").write_text('{"vocabulary": []}')
    assert store.get("k") is None
    assert not folder.exists()


@pytest.mark.parametrize("name", ["../evil.keras", "sub/model.keras", "/abs.keras", "a\\b.json", "", ".hidden",
                                  "meta.json", "arrays.npz", "model..keras", None])
def test_bad_file_names_are_refused(tmp_path, name):
    store = Store(str(tmp_path / "s"))
    (tmp_path / "f").write_bytes(b"x")
    r = _result()
    r.files = {name: str(tmp_path / "f")}
    with pytest.raises(ValueError, match="plain file name|reserved"):
        store.put("k", r)
    assert not store.has("k") and not (tmp_path / "evil.keras").exists()


def test_an_entry_whose_meta_names_a_path_is_discarded(tmp_path):
    """A damaged or hostile meta.json cannot make ``get`` read outside the entry."""
    store = Store(str(tmp_path / "s"))
    store.put("k", _result())
    (tmp_path / "s" / "secret").write_bytes(b"s")
    meta_path = tmp_path / "s" / "k" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["files"]["../secret"] = hashlib.sha256(b"s").hexdigest()
    meta_path.write_text(json.dumps(meta))
    assert store.get("k") is None
    assert (tmp_path / "s" / "secret").exists()


def test_fsspec_memory_store_round_trip():
    store = Store("memory://findl-test-store")
    store.put("abc", _result())
    assert store.get("abc").metrics == {"acc": 0.9}
    assert store.get("missing") is None


_HOLD_LOCK = """
import sys, time
from core.store import Store
with Store(sys.argv[1]).lock("k"):
    print("in", time.time(), flush=True)
    time.sleep(0.4)
    print("out", time.time(), flush=True)
"""


def test_lock_serialises_processes(tmp_path):
    """Two processes take the same key's lock: one holds it while the other waits. Plain
    interpreters, not multiprocessing: a spawned child re-runs the parent's __main__, which after
    an AppTest is a Streamlit script."""
    procs = [subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(tmp_path / "s")], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT) for _ in range(2)]
    lines = [line.split() for p in procs for line in p.communicate(timeout=60)[0].splitlines()]
    events = sorted(lines, key=lambda e: float(e[1]))
    assert [e[0] for e in events] == ["in", "out", "in", "out"]


def test_meta_has_checksums(tmp_path):
    store = Store(str(tmp_path / "s"))
    store.put("k", _result())
    meta = json.loads((tmp_path / "s" / "k" / "meta.json").read_text())
    assert set(meta["files"]) == {"arrays.npz"}


def test_put_builds_what_it_returns_without_reading_the_store_back(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "s"))
    monkeypatch.setattr(Store, "get", lambda *a: pytest.fail("put read the entry back"))
    monkeypatch.setattr(Store, "_read", lambda *a: pytest.fail("put read a file back"))
    r = _two_files(tmp_path)
    r.metrics = {"acc": np.float32(0.5), "pair": (1, 2)}
    got = store.put("k", r, {"task": "t"})
    assert got.metrics == {"acc": 0.5, "pair": [1, 2]}  # as a later get gives them: through JSON
    assert got.key == "k" and not got.cached and got.seconds == 1.5 and set(got.files) == set(r.files)
    assert Path(got.files["encoder.keras"]).parent == tmp_path / "s" / "k"  # the entry's own files
    np.testing.assert_array_equal(got.arrays["a"], np.arange(5.0))
    monkeypatch.undo()
    assert store.get("k").metrics == got.metrics


def test_remote_copies_are_removed_when_their_result_is_dropped(tmp_path):
    import gc

    store = Store(f"memory://findl-copies-{tmp_path.name}")
    store.put("k", _two_files(tmp_path))
    got = store.get("k")
    folder = Path(got.files["encoder.keras"]).parent
    assert folder.name.startswith("findl-") and Path(got.files["vectorizer.json"]).exists()
    again = store.get("k")
    assert Path(again.files["encoder.keras"]).parent != folder  # each read owns its copies
    del got
    gc.collect()
    assert not folder.exists()
    assert Path(again.files["encoder.keras"]).read_bytes() == b"encoder-bytes"  # another reader's stay


def test_a_local_entry_is_read_in_place(tmp_path):
    store = Store(str(tmp_path / "s"))
    store.put("k", _two_files(tmp_path))
    got = store.get("k")
    assert Path(got.files["encoder.keras"]).parent == tmp_path / "s" / "k"  # no temporary copy to clean
