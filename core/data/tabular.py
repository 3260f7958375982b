"""Tables of numeric features for anomaly detection, read from a user's CSV.

The meaning of the cells: every numeric column is a feature; an optional label column (``label``,
``Class`` or ``y``, any case) says 1 = anomaly, 0 = normal (what the anomaly task uses labels for
is in its docstring). Rows are kept in file order; the anomaly task splits them in that order
or, with ``order=shuffled``, in a fixed random one (``core.tasks.anomaly``). Reading (size cap,
encoding, delimiter) is ``csvio``'s; what goes wrong here is one sentence each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data import csvio
from core.errors import DataError

LABEL_NAMES = ("label", "class", "y")
AMOUNT_NAMES = ("amount",)
MIN_ROWS = 400
# Feature tables are wide: 50,000 rows x 60 columns written at full precision is ~60 MB, over the
# 50 MB that price and 2-D files get. 200 MB is Streamlit's own upload limit (ULB's 284,807-row
# card file is 150 MB); pandas holds such a file in well under 1 GB.
MAX_BYTES = 200 * 1024 * 1024
PIECE_ROWS = 50_000  # rows parsed at a time (``from_csv``)
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Table:
    x: np.ndarray
    feature_names: list[str]
    y: np.ndarray | None
    amount: np.ndarray | None
    fingerprint: str
    notes: list[str] = field(default_factory=list)


def from_csv(source: csvio.Source) -> Table:
    file = csvio.read(source, max_bytes=MAX_BYTES)
    notes = list(file.notes)
    decimal_comma = file.delimiter != ","
    # Read in pieces into one float32 matrix (and the labels): a 190 MB upload is parsed on the
    # web server, whose memory a class shares, and never exists there as a whole table as well.
    # float32 holds the 6-7 significant digits a spreadsheet writes and halves the matrix (the
    # networks train in float32 anyway); a value beyond float32's range is reported, not rounded.
    x = names = label_column = None
    labels, ignored, rows = [], set(), 0
    for frame in file.frames(PIECE_ROWS):
        if x is None:
            label_column = csvio.find_column(frame, *LABEL_NAMES)
            names = [str(column) for column in frame.columns if column != label_column]
            x = np.empty((file.lines(), len(names)), np.float32)
        if label_column is not None:
            labels.append(_labels(frame, label_column))
        for j, column in enumerate(column for column in frame.columns if column != label_column):
            if j in ignored:
                continue
            try:
                values = csvio.numeric_column(frame, column, decimal_comma).to_numpy(np.float64)
            except DataError:  # text: not a feature (said in the notes)
                ignored.add(j)
                continue
            if np.nanmax(np.abs(values), initial=0.0) > FLOAT32_MAX:
                raise_too_large(column, values)
            x[rows:rows + len(frame), j] = values
        rows += len(frame)
    y = np.concatenate(labels) if labels else None
    if y is not None and y.min() == y.max():
        raise DataError(f"label column '{label_column}' of {file.name} holds only {int(y[0])}s: both classes are "
                        "needed to evaluate (remove the column to train without labels)")
    if rows < MIN_ROWS:
        raise DataError(f"{file.name} has {rows} rows; at least {MIN_ROWS} are needed "
                        "(training, validation and test rows in time order)")
    x = x[:rows]
    if ignored:
        notes.append(f"Ignored non-numeric column(s): {csvio.listed(names[j] for j in sorted(ignored))}.")
        keep = [j for j in range(len(names)) if j not in ignored]
        if not keep:
            raise DataError(f"{file.name} has no numeric columns to learn from (only "
                            f"{csvio.listed([*names, *([label_column] if label_column is not None else [])])})")
        x, names = x[:, keep], [names[j] for j in keep]
    if not names:
        raise DataError(f"{file.name} has no numeric columns to learn from (only {csvio.listed([label_column])})")
    for j, name in enumerate(names):
        bad = ~np.isfinite(x[:, j])
        if bad.any():
            raise DataError(f"column '{name}' has {int(bad.sum())} empty or infinite value(s) (first at line "
                            f"{int(np.flatnonzero(bad)[0]) + 2}); fill or remove them")
    varies = np.ptp(x, axis=0) != 0
    if not varies.all():
        constant = [name for name, v in zip(names, varies, strict=True) if not v]
        notes.append(f"Dropped constant column(s), which carry no information: {csvio.listed(constant)}.")
        names = [name for name, v in zip(names, varies, strict=True) if v]
        x = x[:, varies]
    if not names:
        raise DataError(f"every numeric column of {file.name} is constant: nothing to learn from")
    x = np.ascontiguousarray(x)  # a copy only where columns were dropped
    amount_column = csvio.find_column(names, *AMOUNT_NAMES)
    amount = x[:, names.index(amount_column)] if amount_column is not None else None
    return Table(x=x, feature_names=names, y=y, amount=amount,
                 fingerprint=file.fingerprint, notes=notes)


def raise_too_large(column, values: np.ndarray) -> None:
    big = np.flatnonzero(np.abs(values) > FLOAT32_MAX)
    raise DataError(f"column '{column}' has a value beyond ±3.4e38 ({values[big[0]]:g}); such numbers are not "
                    "features a network can learn from: rescale the column")


def _labels(frame: pd.DataFrame, column) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        found = ", ".join(f"'{v}'" for v in frame[column][bad].astype(str).unique()[:3])
        raise DataError(f"label column '{column}' must hold 0 (normal) or 1 (anomaly); found {found}")
    return values.to_numpy(np.int8)
