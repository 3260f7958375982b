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
