"""Reading user-supplied CSV files safely: size cap, one clear message per problem."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import IO

import pandas as pd

from core.errors import DataError

MAX_BYTES = 50 * 1024 * 1024
Source = str | Path | bytes | IO[bytes]


def read_bytes(source: Source, max_bytes: int | None = None) -> bytes:
    max_bytes = max_bytes or MAX_BYTES
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"file not found: {path}")
        if path.stat().st_size > max_bytes:
            raise DataError(f"{path.name} is {path.stat().st_size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB")
        data = path.read_bytes()
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DataError(f"the file is larger than {max_bytes / 2**20:.0f} MB; use a smaller extract")
    if not data.strip():
        raise DataError("the file is empty")
    return data


def read_csv(source: Source, max_bytes: int | None = None, **kwargs) -> tuple[pd.DataFrame, str]:
    """DataFrame and the sha256 fingerprint of the raw bytes."""
    data = read_bytes(source, max_bytes)
    try:
        frame = pd.read_csv(io.BytesIO(data), **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"could not read the file as CSV: {first}") from None
    if frame.empty:
        raise DataError("the CSV has a header but no rows")
    return frame, hashlib.sha256(data).hexdigest()


def find_column(frame: pd.DataFrame, *names: str) -> str | None:
    """The first column whose name matches one of ``names`` (case and spaces ignored)."""
    norm = {str(c).strip().lower().replace(" ", "_"): c for c in frame.columns}
    for name in names:
        if name.lower() in norm:
            return norm[name.lower()]
    return None


def numeric_column(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2  # +1 header, +1 one-based
        raise DataError(f"column '{column}' has text where numbers belong (line {row}: {frame[column][bad].iloc[0]!r})")
    return values
