"""The one CSV reader (core/data/csvio.py): both loaders read a file the same way."""

import io

import numpy as np
import pandas as pd
import pytest

from core.data import csvio, prices, toy2d
from core.errors import DataError

DATES = pd.bdate_range("2021-01-04", periods=40)


def _latin1_semicolon_points() -> bytes:
    rows = [f"{i / 4:.2f};{(i * 7 % 13) / 4:.2f};{'défaut' if i % 3 else 'payé'}".replace(".", ",")
            for i in range(30)]
    return ("x1;x2;label\n" + "\n".join(rows) + "\n").encode("cp1252")


def _latin1_semicolon_prices() -> bytes:
    rows = [f"{d.date()};{100 + i / 4:.2f};Société".replace(".", ",") for i, d in enumerate(DATES)]
    return ("Date;Close;Émetteur\n" + "\n".join(rows) + "\n").encode("cp1252")


def test_semicolon_latin1_file_is_read_by_the_playground_loader():
    points = toy2d.load_csv(_latin1_semicolon_points())
    assert points.x.shape == (30, 2)
    np.testing.assert_allclose(points.x[:, 0], np.arange(30) / 4)  # decimal commas, not text
    assert set(points.class_names) == {"défaut", "payé"}  # accents decoded, not mojibake
    assert any("not UTF-8" in n for n in points.notes) and any("semicolons" in n for n in points.notes)


def test_semicolon_latin1_file_is_read_by_the_forecasting_loader():
    data = prices.from_csv(_latin1_semicolon_prices())
    assert len(data) == 40
    np.testing.assert_allclose(data.close.to_numpy(), 100 + np.arange(40) / 4)
    assert data.frame.index[0] == DATES[0]
    assert any("not UTF-8" in n for n in data.notes) and any("semicolons" in n for n in data.notes)


def test_both_loaders_share_the_size_cap_and_its_message(tmp_path, monkeypatch):
    monkeypatch.setattr(csvio, "MAX_BYTES", 100)
    monkeypatch.setattr(prices, "MAX_CSV_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text("x1,x2,label\n" + "1,2,0\n" * 50)
    messages = []
    for load in (toy2d.load_csv, prices.from_csv):
        with pytest.raises(DataError) as err:
            load(path)
        messages.append(str(err.value))
    assert messages[0] == messages[1] == "big.csv is larger than 0 MB; cut it to the rows you need"


@pytest.mark.parametrize("make", [bytes, io.BytesIO, lambda b: io.StringIO(b.decode()), "path"])
def test_every_kind_of_source_gives_the_same_text_and_fingerprint(tmp_path, make):
    raw = b"a,b\n1,2\n"
    if make == "path":
        (tmp_path / "f.csv").write_bytes(raw)
        source = tmp_path / "f.csv"
    else:
        source = make(raw)
    file = csvio.read(source)
    assert file.text == "a,b\n1,2\n" and file.delimiter == "," and file.notes == ()
    assert file.fingerprint == csvio.read(raw).fingerprint and len(file.fingerprint) == 64


@pytest.mark.parametrize("text,delimiter,row", [("a\tb\n1\t2\n", "\t", ["1", "2"]),
                                                ("a|b|c\n1|2|3\n", "|", ["1", "2", "3"]),
                                                ("a;b\n1,5;2,5\n", ";", ["1,5", "2,5"]),
                                                ('a,b\n"1;2",3\n', ",", ["1;2", "3"])])
def test_delimiter_is_sniffed(text, delimiter, row):
    file = csvio.read(text.encode())
    assert file.delimiter == delimiter and file.rows()[1] == row


def test_utf8_bom_is_not_part_of_the_first_column():
    file = csvio.read("\ufeffx1,x2\n1,2\n".encode("utf-8"))
    assert list(file.frame().columns) == ["x1", "x2"] and file.notes == ()


@pytest.mark.parametrize("source,fragment", [
    (b"", "uploaded file is empty"),
    (b" \n\n", "uploaded file is empty"),
    ("/nonexistent/x.csv", "file not found"),
    (b"a,b\n1,2\n3,4,5,6\n", "could not read uploaded file as CSV: Error tokenizing"),
])
def test_unreadable_input_is_one_line(source, fragment):
    with pytest.raises(DataError, match=fragment) as err:
        csvio.read(source).frame()
    assert "\n" not in str(err.value)


def test_decimal_commas_only_where_asked_and_never_thousands():
    frame = pd.DataFrame({"v": ["1,5", "-0,25", "3"]})
    np.testing.assert_allclose(csvio.numeric_column(frame, "v", decimal_comma=True), [1.5, -0.25, 3.0])
    with pytest.raises(DataError, match="line 2"):
        csvio.numeric_column(frame, "v")
    with pytest.raises(DataError, match="text where numbers belong"):
        csvio.numeric_column(pd.DataFrame({"v": ["1.234,5"]}), "v", decimal_comma=True)


# ---- one column finder, one date list and policy for every reader ------------------------------
def test_find_column_ignores_case_spaces_and_underscores_and_takes_the_first_alias():
    frame = pd.DataFrame(columns=[" Adj Close ", "close", "Label"])
    assert csvio.find_column(frame, "adj_close") == " Adj Close "
    assert csvio.find_column(frame, "price", "CLOSE") == "close"  # the first alias that is there
    assert csvio.find_column(["Text", "label"], "sentence", "text") == "Text"  # a header row works too
    assert csvio.find_column(frame, "volume") is None


def _sorted_x1(raw: bytes) -> list[float]:
    return toy2d.load_csv(raw).x[:, 0].tolist()


def test_every_reader_finds_the_same_date_columns():
    """The readers used to disagree: 'timestamp' ordered playground rows but was ignored by the
    sentiment reader; 'published' was the other way round."""
    from core.data import sentences

    for name in ("timestamp", "published"):
        points = toy2d.load_csv((f"{name},x1,x2,label\n" + "".join(
            f"2021-01-{30 - i:02d},{i},{i % 3},{i % 2}\n" for i in range(20))).encode())
        assert points.ordered and points.x[0, 0] == 19  # sorted by the dates, not file order
        table = sentences.from_file(f"text,label,{name}\nProfit rose,positive,2021-01-04\n".encode())
        assert str(table.dates[0]) == "2021-01-04"
        priced = prices.from_csv((f"close,{name}\n" + "".join(
            f"{100 + i},{d.date()}\n" for i, d in enumerate(DATES))).encode())
        assert priced.frame.index[0] == DATES[0]


def test_playground_dates_follow_the_one_date_policy():
    """Day-first dates are read day-first for every row, with a note (pandas' "mixed" format read
    13/01 day-first but 02/01 month-first, so rows were ordered by two calendars)."""
    rows = [("13/01/2021", 1), ("02/01/2021", 0), ("20/01/2021", 2)] * 4
    raw = ("date,x1,x2,label\n" + "".join(f"{d},{x},{x},{i % 2}\n" for i, (d, x) in enumerate(rows))).encode()
    points = toy2d.load_csv(raw)
    assert _sorted_x1(raw)[:4] == [0.0] * 4 and points.x[-1, 0] == 2  # 2 Jan, 13 Jan, 20 Jan
    assert any("day/month/year" in note for note in points.notes)
    ambiguous = raw.replace(b"13/01", b"03/01").replace(b"20/01", b"04/01")
    with pytest.raises(DataError, match="could be day/month or month/day"):
        toy2d.load_csv(ambiguous)
