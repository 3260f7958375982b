"""Huge, hostile and odd input files: every CSV loader (playground points, forecast prices, anomaly
features, sentiment sentences) and the CLI answer with one line, or read the file as it was meant.

Before: a line over the csv module's 128 KB field limit raised an uncaught ``csv.Error`` (exit 1,
a crash on all four pages); UTF-16 gave "missing x1, x2, label (found: ÿþx\\x001...)"; CR-only
line endings gave Python's "universal-newline mode" message; a forecast error on stderr came after
a 3-line pandas warning."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.data import csvio, prices, sentences, tabular, toy2d
from core.errors import DataError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATES = pd.bdate_range("2020-01-01", periods=60)


def _points() -> str:
    return "x1,x2,label\n" + "".join(f"{i / 7:.3f},{(i * 5 % 11) / 3:.3f},{i % 2}\n" for i in range(40))


def _prices() -> str:
    return "Date,Close\n" + "".join(f"{d.date()},{100 + np.sin(i / 5) * 3:.2f}\n" for i, d in enumerate(DATES))


def _features() -> str:
    return "a,b,label\n" + "".join(f"{i % 17 / 3:.3f},{i % 5},{int(i % 50 == 0)}\n" for i in range(420))


def _sentences() -> str:
    rows = [f"Profit rose {i} per cent in the quarter,positive" if i % 2 else f"Sales fell {i} per cent,negative"
            for i in range(40)]
    return "text,label\n" + "\n".join(rows) + "\n"


# (loader, a valid file's text, what the loaded data is compared by)
LOADERS = {
    "playground": (toy2d.load_csv, _points, lambda d: (d.x.tolist(), d.y.tolist())),
    "forecast": (prices.from_csv, _prices, lambda d: d.close.tolist()),
    "anomaly": (tabular.from_csv, _features, lambda d: (d.x.tolist(), d.y.tolist())),
    "sentiment": (sentences.from_file, _sentences, lambda d: (d.texts, d.labels.tolist())),
}


def _one_line_error(load, raw: bytes) -> str:
    with pytest.raises(DataError) as err:
        load(raw)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400, message
    return message


@pytest.fixture(scope="module")
def wide_header() -> bytes:
    """A header of a million columns (7.9 MB on one line) and one row."""
    return (",".join(f"c{i}" for i in range(10**6)) + "\n" + ",".join("1" * 10**6) + "\n").encode()


BINARY = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes().translate(
    bytes.maketrans(b"\n\r", b"xy"))  # random bytes without a line break


@pytest.mark.parametrize("task", LOADERS)
def test_a_million_column_header_is_one_line(task, wide_header):
    message = _one_line_error(LOADERS[task][0], wide_header)
    assert message.startswith("line 1 of uploaded file is longer than 131,072 characters")


@pytest.mark.parametrize("task", LOADERS)
def test_binary_without_newlines_does_not_look_like_csv(task):
    message = _one_line_error(LOADERS[task][0], BINARY)
    assert message.startswith("uploaded file does not look like a CSV text file")


@pytest.mark.parametrize("task", ["playground", "forecast", "anomaly"])
def test_a_200000_character_cell_is_one_line_where_no_text_belongs(task):
    load, make, _ = LOADERS[task]
    lines = make().splitlines()
    lines[3] = lines[3] + "x" * 200_000
    assert "line 4 of uploaded file is longer than" in _one_line_error(load, "\n".join(lines).encode())


def test_a_200000_character_sentence_is_cut_at_the_documented_limit_with_a_note():
    lines = _sentences().splitlines()
    lines[3] = "Revenue grew " + "strongly and " * 16_000 + "steadily,positive"  # ~208,000 characters
    data = sentences.from_file("\n".join(lines).encode())
    assert len(data.texts[2]) <= sentences.MAX_CHARS == 2000 and len(data) == 40
    assert "cut 1 text(s) longer than 2,000 characters to 2,000" in data.notes


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("task", LOADERS)
def test_utf16_with_a_byte_order_mark_is_decoded(task, encoding):
    load, make, content = LOADERS[task]
    raw = make().encode(encoding)
    if encoding != "utf-16":  # the explicit-endian codecs write no BOM: add the one Excel writes
        raw = ("\ufeff" + make()).encode(encoding)
    data = load(raw)
    assert content(data) == content(load(make().encode()))
    assert "uploaded file is UTF-16 text; read it as such" in data.notes


@pytest.mark.parametrize("task", LOADERS)
def test_utf16_without_a_byte_order_mark_is_one_line(task):
    message = _one_line_error(LOADERS[task][0], LOADERS[task][1]().encode("utf-16-le"))
    assert "does not look like a CSV text file" in message


@pytest.mark.parametrize("task", LOADERS)
def test_cr_only_line_endings_read_as_lines(task):
    load, make, content = LOADERS[task]
    assert content(load(make().replace("\n", "\r").encode())) == content(load(make().encode()))


def test_the_line_check_finds_the_first_long_line_and_passes_long_files_of_short_lines():
    short = "a,b\n" + "1,2\n" * 300_000  # 1.2 MB of short lines: no false alarm
    assert csvio.read(short.encode()).text == short
    text = "a,b\n" + "1,2\n" * 5 + "3" * 70_000 + "\n" + "4" * 70_000 + "\n" + "5" * 140_000 + "\n"
    with pytest.raises(DataError, match="^line 9 of uploaded file is longer"):
        csvio.read(text.encode())
    assert csvio.read(text.encode(), max_line=None).text == text  # the sentiment reader's choice


def test_a_name_list_in_a_message_stays_short():
    assert csvio.listed(["a" * 100, "b"], shown=1) == "a" * 39 + "… and 1 more"
    assert csvio.listed(["a", "b"]) == "a, b"


# ---- the CLI: exit 2, one line on stderr ------------------------------------------------------------
def _findl(*args):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONWARNINGS": "default"}, timeout=120)


@pytest.mark.parametrize("task,case", [("playground", "wide"), ("forecast", "binary"), ("anomaly", "binary"),
                                       ("sentiment", "wide"), ("forecast", "dates")])
def test_cli_answers_a_hostile_file_with_exit_2_and_one_line(task, case, tmp_path):
    path = tmp_path / f"{case}.csv"
    if case == "wide":
        path.write_text(",".join(f"c{i}" for i in range(30_000)) + "\n" + ",".join("1" * 30_000) + "\n")
    elif case == "binary":
        path.write_bytes(BINARY)
    else:  # dates pandas cannot guess a format for: its warning came before the one-line error
        path.write_text("Date,Close\n" + "".join(f"day {i},{100 + i}\n" for i in range(40)))
    run = _findl("train", task, "--data", str(path))
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("findl: error: "), run.stderr


# ---- the web server's uploads: held once, parsed once, bounded, released ----------------------------
def _uploads(**options):
    from core.ui.uploads import Uploads

    alive = {"s1": True, "s2": True}
    clock = [0.0]
    registry = Uploads(is_alive=lambda s: alive.get(s, False), clock=lambda: clock[0], **options)
    registry._sweeper = object()  # no background thread in a unit test: sweep() is called by hand
    return registry, alive, clock


def test_the_upload_cache_keys_by_fingerprint_and_keeps_one_copy_of_a_file():
    registry, _, _ = _uploads()
    first = registry.hold("s1", "an", "a.csv", b"a,b\n1,2\n")
    second = registry.hold("s2", "an", "copy.csv", bytes(bytearray(b"a,b\n1,2\n")))  # equal bytes, another object
    assert second is first and registry.held_bytes() == len(b"a,b\n1,2\n")
    calls = []
    parse = lambda: calls.append(1) or np.zeros(10)
    assert registry.parsed("cfg", first, parse) is registry.parsed("cfg", second, parse)  # by reference
    assert len(calls) == 1


def test_the_upload_cache_holds_at_most_its_byte_budget_and_the_newest_entry():
    registry, _, _ = _uploads(budget=3 * 8000)
    upload = registry.hold("s1", "an", "a.csv", b"a\n1\n")
    for i in range(5):
        registry.parsed(("cfg", i), upload, lambda: np.zeros(1000))  # 8,000 bytes each
        assert registry.parsed_bytes() <= 3 * 8000
    assert registry.parsed_bytes() == 3 * 8000
    registry.parsed("huge", upload, lambda: np.zeros(10_000))  # over the budget alone: kept, the rest evicted
    assert registry.parsed_bytes() == 80_000 and len(registry._parsed) == 1


def test_errors_are_not_cached():
    registry, _, _ = _uploads()
    upload = registry.hold("s1", "an", "a.csv", b"a\n1\n")
    with pytest.raises(DataError):
        registry.parsed("cfg", upload, lambda: (_ for _ in ()).throw(DataError("bad")))
    assert registry.parsed("cfg", upload, lambda: "fixed") == "fixed"


def test_an_upload_is_released_when_its_last_session_is_gone_or_replaces_it():
    registry, alive, clock = _uploads(grace_s=90)
    upload = registry.hold("s1", "an", "a.csv", b"a\n1\n")
    registry.hold("s2", "an", "a.csv", b"a\n1\n")
    registry.parsed("cfg", upload, lambda: np.zeros(100))
    alive["s1"] = False
    registry.sweep()
    clock[0] = 100.0
    registry.sweep()
    assert registry.held("s1", "an") is None and registry.held("s2", "an") is upload  # s2 still holds it
    registry.hold("s2", "an", "b.csv", b"b\n2\n")  # another file in the same slot
    assert registry.held_bytes() == 4 and registry.parsed_bytes() == 0
    alive["s2"] = False
    registry.sweep()
    clock[0] = 150.0
    registry.sweep()
    assert registry.held("s2", "an") is not None  # within the grace a dropped connection may come back
    clock[0] = 200.0
    registry.sweep()
    assert registry.held_bytes() == 0 and registry._held == {}


def test_a_page_upload_is_read_once_and_released_when_removed_in_the_widget():
    from streamlit.testing.v1 import AppTest

    from core.ui.uploads import UPLOADS

    app = os.path.join(ROOT, "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.query_params.update({"dataset": "csv", "epochs": "10"})
    at.run()
    at.switch_page("app_pages/playground.py")
    at.run()
    at.file_uploader(key="pg:upload:widget").upload("points.csv", _points().encode())
    at.run()
    held = UPLOADS.held("test session id", "pg")
    assert held is not None and held.name == "points.csv" and not at.exception
    assert at.session_state["pg:upload"] == held.fingerprint  # the session keeps a fingerprint, not the bytes
    assert not any("Upload a CSV" in i.value for i in at.info)
    at.file_uploader(key="pg:upload:widget").clear()
    at.run()
    assert UPLOADS.held("test session id", "pg") is None
    assert any("Upload a CSV" in i.value for i in at.info)


def test_a_feature_table_read_in_pieces_is_the_table_read_whole(monkeypatch):
    """``tabular.from_csv`` parses a large upload a piece at a time (the server never holds the
    whole parsed table beside the matrix it builds): pieces of 7 rows give the same matrix, labels,
    notes and amounts, also when a column turns to text in a later piece and another is constant."""
    from core.data import tabular

    rows = ["a;b;c;Label;Amount;const"] + [
        f"{i / 10:.1f};{'x' if i == 300 else str(i % 5).replace('.', ',')};{i % 7},5;{int(i % 41 == 0)};{i % 13};5"
        for i in range(450)]
    data = "\n".join(rows).encode()
    whole = tabular.from_csv(data)
    monkeypatch.setattr(tabular, "PIECE_ROWS", 7)
    pieces = tabular.from_csv(data)
    assert pieces.feature_names == whole.feature_names == ["a", "c", "Amount"]
    assert np.array_equal(pieces.x, whole.x) and np.array_equal(pieces.y, whole.y)
    assert np.array_equal(pieces.amount, whole.amount) and pieces.notes == whole.notes
    assert any("Ignored non-numeric column(s): b" in note for note in pieces.notes)


def test_a_feature_beyond_float32_is_named_not_rounded_to_infinity():
    """Feature tables are read into float32 (half the web server's memory for a large upload)."""
    rows = "a,b,label\n" + "".join(f"{i * 0.5},{1e300 if i == 10 else i},{int(i % 50 == 0)}\n" for i in range(500))
    with pytest.raises(DataError, match=r"column 'b' has a value beyond ±3.4e38 \(1e\+300\)"):
        tabular.from_csv(rows.encode())
    table = tabular.from_csv(rows.replace("1e+300", "7").replace("1e300", "7").encode())
    assert table.x.dtype == np.float32
