import json
import multiprocessing as mp
import time

import numpy as np
import pytest

from core.result import Result
from core.store import Store, make_key


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
    store = Store(str(tmp_path / "s"))
    model = tmp_path / "m.keras"
    model.write_bytes(b"model-bytes")
    r = _result()
    r.model_path = str(model)
    got = store.put("k" * 64, r)
    with open(got.model_path, "rb") as fh:
        assert fh.read() == b"model-bytes"


def test_fsspec_memory_store_round_trip():
    store = Store("memory://findl-test-store")
    store.put("abc", _result())
    assert store.get("abc").metrics == {"acc": 0.9}
    assert store.get("missing") is None


def _hold_lock(location, key, hold, out):
    store = Store(location)
    with store.lock(key):
        out.put(("in", time.time()))
        time.sleep(hold)
        out.put(("out", time.time()))


def test_lock_serialises_processes(tmp_path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_hold_lock, args=(str(tmp_path / "s"), "k", 0.4, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    events = sorted([q.get() for _ in range(4)], key=lambda e: e[1])
    assert [e[0] for e in events] == ["in", "out", "in", "out"]


def test_meta_has_checksums(tmp_path):
    store = Store(str(tmp_path / "s"))
    store.put("k", _result())
    meta = json.loads((tmp_path / "s" / "k" / "meta.json").read_text())
    assert set(meta["files"]) == {"arrays.npz"}
