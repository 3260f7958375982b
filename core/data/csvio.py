"""The one reader of user CSV files: uploads, paths and bytes become text and rows, or one-line
DataErrors.

Why one: the playground and the forecasting page each had a reader of their own, with different
size caps, encodings and messages, so a semicolon file saved by a European spreadsheet in
Windows-1252 loaded on one page and failed on the other. ``read`` does the part every loader
shares: size cap, UTF-8 (with or without BOM) or else Windows-1252 / Latin-1 with a note, the
delimiter sniffed (',' ';' tab '|') with a note, the sha256 of the raw bytes as fingerprint.
Hostile files end here too, as one line each: UTF-16 (a BOM) is decoded, CR-only line endings
(old Mac exports) read as lines, binary data and lines over ``MAX_LINE`` characters refused
before the csv module or pandas see them (they raised ``csv.Error`` tracebacks).
What the cells mean stays with each loader: ``core/data/toy2d.py`` (x1, x2, label) and
``core/data/prices.py`` on top of ``core/data/quality.py`` (dates, number formats, bad ticks).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from core.errors import DataError
from core.escape import shortened

MAX_BYTES = 50 * 1024 * 1024
# The csv module's default field limit: no table row is longer. The module's own limit is raised
# once (it is per process) so that this check decides, with a message, and the sentiment reader
# can read a longer text cell and cut it (``read(..., max_line=None)``).
MAX_LINE = 128 * 1024
csv.field_size_limit(2**31 - 1)
_HEAD = 64 * 1024  # the first characters the binary check and the delimiter sniffer look at
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # in no text file, a tenth of random bytes
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
Source = str | Path | bytes | IO[bytes]
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass(frozen=True)
class CsvText:
    """A decoded CSV file. ``name`` is what messages call it (the file name, or "uploaded file");
    ``fingerprint`` is the sha256 of the raw bytes; ``notes`` say what was interpreted (encoding,
    delimiter), one sentence each, for the page to show. ``content`` is the text, or the file's
    own bytes when they are UTF-8 as they stand: ``frame`` then parses them without a decoded
    copy (a 190 MB upload held as bytes by the server and again as text cost 190 MB more), and
    ``text`` decodes them only for readers that want text."""

    content: str | bytes
    name: str
    fingerprint: str
    delimiter: str
    notes: tuple[str, ...] = ()

    @functools.cached_property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else self.content.decode("utf-8-sig")

    def rows(self) -> list[list[str]]:
        """Every non-blank row as text cells (spaces after a delimiter dropped)."""
        try:
            return [row for row in csv.reader(_lines(self.text), delimiter=self.delimiter,
                                              skipinitialspace=True) if any(cell.strip() for cell in row)]
        except csv.Error as exc:
            raise DataError(f"could not read {self.name} as CSV: {exc}") from None

    def frame(self) -> pd.DataFrame:
        """The table with column types guessed by pandas (numbers, text); at least one row."""
        frames = list(self.frames(rows=None))
        return frames[0]

    def frames(self, rows: int | None = 50_000) -> Iterator[pd.DataFrame]:
        """The table in pieces of ``rows`` rows (None: one piece), each with column types guessed
        by pandas on its own rows; at least one row in all. In pieces, a large file never exists
        as a whole table beside what a reader builds from it (pandas' own parse of a 190 MB feature
        table peaked at three times the table)."""
        source = (io.BytesIO(self.content) if isinstance(self.content, bytes)  # shares the bytes, no copy
                  else _Chunks(self.content))
        empty = True
        try:
            reader = pd.read_csv(source, sep=self.delimiter, encoding="utf-8-sig", chunksize=rows)
            for frame in ([reader] if rows is None else reader):
                empty = empty and frame.empty
                if not frame.empty or rows is None:
                    yield frame
        except (pd.errors.ParserError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"could not read {self.name} as CSV: {first}") from None
        if empty:
            raise DataError(f"{self.name} has a header but no rows")

    def lines(self) -> int:
        """At most how many rows the file has (its line ends), without parsing it."""
        return self.content.count(b"\n" if isinstance(self.content, bytes) else "\n") + 1


class _Chunks:
    """``text`` as a file pandas reads in chunks. Not ``io.StringIO(text)``: once read from, it
    keeps the whole text as 4 bytes per character, and a 190 MB upload parsed through it took the
    server 1.3 GB above the file itself (0.5 GB this way)."""

    def __init__(self, text: str):
        self._text, self._at = text, 0

    def read(self, size: int | None = -1) -> str:
        end = len(self._text) if size is None or size < 0 else self._at + size
        chunk = self._text[self._at:end]
        self._at += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[str]:
        return _lines(self._text)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (with their line ends), without a copy of the text."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def read(source: Source, max_bytes: int | None = None, max_line: int | None = MAX_LINE) -> CsvText:
    """Decode ``source`` (bytes, a path, or an open binary or text file), at most ``max_bytes``
    (default MAX_BYTES, read when called so a caller or a test can lower it). A line longer than
    ``max_line`` characters is a DataError; None lets a reader take long cells (and cut them)."""
    data, name = _read_bytes(source, max_bytes or MAX_BYTES)
    fingerprint = hashlib.sha256(data).hexdigest()
    text, notes = _decode(data, name)
    as_is = not notes  # UTF-8: the bytes can stand for the text
    if len(_CONTROL.findall(text, 0, _HEAD)) > min(len(text), _HEAD) // 100:
        raise DataError(f"{name} does not look like a CSV text file (it holds binary data); "
                        "save it as CSV (comma separated values, UTF-8)")
    if "\r" in text and "\n" not in text:  # CR-only line endings: csv and the sniffer need newlines
        text, as_is = text.replace("\r", "\n"), False
    if max_line is not None:
        check_lines(text, name, max_line)
    delimiter = sniff_delimiter(text)
    if delimiter != ",":
        notes.append(f"columns are separated by {_DELIMITER_NAMES[delimiter]}")
    return CsvText(data if as_is else text, name, fingerprint, delimiter, tuple(notes))


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text and a note when it was not UTF-8: UTF-16 with a byte-order mark (Excel's "Unicode
    text"), else UTF-8 (with or without BOM), else Windows-1252 / Latin-1."""
    if data[:2] in _UTF16_BOMS:
        try:
            return data.decode("utf-16"), [f"{name} is UTF-16 text; read it as such"]
        except UnicodeDecodeError:
            raise DataError(f"{name} starts like UTF-16 text but is not; save it as CSV UTF-8") from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined: Latin-1 reads every byte
        text = data.decode("latin-1")
    return text, [f"{name} is not UTF-8; read it as Windows-1252 (Latin-1) text"]


def check_lines(text: str, name: str, limit: int) -> None:
    """DataError for the first line longer than ``limit`` characters. Jumps to the last newline
    within the next ``limit + 1`` characters: a window without one holds a longer line, and a
    200 MB file is checked in a few thousand steps, not one per line."""
    start = 0
    while len(text) - start > limit:
        newline = text.rfind("\n", start, start + limit + 1)
        if newline < 0:
            line = text.count("\n", 0, start) + 1
            raise DataError(f"line {line} of {name} is longer than {limit:,} characters: a CSV row is not that "
                            "long (a very wide header, text without line breaks?); save the table as CSV")
        start = newline + 1


def _read_bytes(source: Source, max_bytes: int) -> tuple[bytes, str]:
    too_big = f"is larger than {max_bytes // 2**20} MB; cut it to the rows you need"
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "uploaded file"
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        data = data.encode() if isinstance(data, str) else data
        name = Path(getattr(source, "name", "uploaded file")).name
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"file not found: {path}")
        if path.stat().st_size > max_bytes:
            raise DataError(f"{path.name} {too_big}")
        data, name = path.read_bytes(), path.name
    if len(data) > max_bytes:
        raise DataError(f"{name} {too_big}")
    if not data.strip():
        raise DataError(f"{name} is empty; it needs a header row and one row per record")
    return data, name


def sniff_delimiter(text: str) -> str:
    """',' ';' tab or '|': the one that splits the first lines into the same number (> 1) of fields.
    European spreadsheets write ';' because ',' is their decimal point."""
    lines = text[:_HEAD].splitlines()
    if len(text) > _HEAD and 1 < len(lines) <= 20:
        lines.pop()  # the head cut it short
    lines = [line for line in lines[:20] if line.strip()]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = delimiter, fields
    if best_fields == 1:  # rows differ in length with every delimiter: take the one splitting the header most
        header = lines[0] if lines else ""
        best = max(DELIMITERS, key=lambda d: header.count(d))
    return best


def find_column(columns: Iterable[Any], *names: str) -> Any | None:
    """The column (as written in the file) named by the first of ``names`` that is there; a
    DataFrame or a header row. Names match whatever their case, surrounding spaces, and
    spaces vs underscores ("Adj Close" = "adj_close"); the first such column wins. One rule for
    every reader (there were four, each ignoring case, spaces and underscores a little differently)."""
    by_key: dict[str, Any] = {}
    for column in columns:
        by_key.setdefault(_column_key(column), column)
    return next((by_key[_column_key(name)] for name in names if _column_key(name) in by_key), None)


def listed(names: Iterable[Any], shown: int = 8) -> str:
    """Column names for a message: the first ``shown`` (each at most 40 characters), then how many
    more, so a header of a million columns is still a one-line message."""
    names = [str(n) for n in names]
    text = ", ".join(shortened(n) for n in names[:shown])
    return text + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


def _column_key(name: Any) -> str:
    return " ".join(str(name).replace("_", " ").split()).lower()


_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")


def numeric_column(frame: pd.DataFrame, column: str, decimal_comma: bool = False) -> pd.Series:
    """Floats of ``frame[column]``. With ``decimal_comma`` (a file whose columns are not separated
    by commas, as European spreadsheets write them) cells like ``-1,25`` are -1.25; thousands
    separators are never guessed. Text that is no number is a DataError naming the first line."""
    cells = frame[column]
    if decimal_comma and not pd.api.types.is_numeric_dtype(cells):
        text = cells.astype("string").str.strip()
        cells = text.where(~text.str.match(_DECIMAL_COMMA).fillna(False), text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(cells, errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2  # +1 header, +1 one-based
        raise DataError(f"column '{column}' has text where numbers belong (line {row}: {frame[column][bad].iloc[0]!r})")
    return values.astype(float)
