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
    frame = file.frame()
    notes = list(file.notes)
    decimal_comma = file.delimiter != ","
    label_column = csvio.find_column(frame, *LABEL_NAMES)
    y = _labels(frame, label_column, file.name) if label_column is not None else None
    if len(frame) < MIN_ROWS:
        raise DataError(f"{file.name} has {len(frame)} rows; at least {MIN_ROWS} are needed "
                        "(training, validation and test rows in time order)")
    # One float64 matrix filled column by column (no second copy of every column beside the
    # frame): a 190 MB upload is parsed on the web server, and its memory is what a class shares.
    candidates = [column for column in frame.columns if column != label_column]
    amount_column = csvio.find_column(candidates, *AMOUNT_NAMES)
    x = np.empty((len(frame), len(candidates)))
    names, ignored = [], []
    for column in candidates:
        try:
            x[:, len(names)] = csvio.numeric_column(frame, column, decimal_comma).to_numpy(np.float64)
            names.append(str(column))
        except DataError:
            ignored.append(str(column))
    columns_found = list(frame.columns)
    del frame
    if ignored:
        notes.append(f"Ignored non-numeric column(s): {csvio.listed(ignored)}.")
    if not names:
        raise DataError(f"{file.name} has no numeric columns to learn from (only {csvio.listed(columns_found)})")
    if len(names) < x.shape[1]:
        x = x[:, :len(names)].copy()
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
    amount = x[:, names.index(str(amount_column))] if amount_column is not None and str(amount_column) in names else None
    return Table(x=x, feature_names=names, y=y, amount=amount,
                 fingerprint=file.fingerprint, notes=notes)


def _labels(frame: pd.DataFrame, column, name: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        found = ", ".join(f"'{v}'" for v in frame[column][bad].astype(str).unique()[:3])
        raise DataError(f"label column '{column}' must hold 0 (normal) or 1 (anomaly); found {found}")
    y = values.to_numpy(np.int8)
    if y.min() == y.max():
        raise DataError(f"label column '{column}' of {name} holds only {int(y[0])}s: both classes are needed to "
                        "evaluate (remove the column to train without labels)")
    return y
