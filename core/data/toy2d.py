"""Two-dimensional classification sets for the playground: the classic shapes, two finance sets
and CSV upload (columns x1, x2, label)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.data import csvio, quality
from core.errors import DataError

GENERATED = ("moons", "circles", "xor", "gauss", "spiral", "credit", "fraud")
DATASETS = GENERATED + ("csv",)
MIN_ROWS = 10
MAX_ROWS = 200_000

DESCRIPTIONS = {
    "moons": "Two interleaving half circles: needs a curved boundary.",
    "circles": "One class inside a ring of the other: no straight line separates them.",
    "xor": "Opposite quadrants share a class: the product x1*x2 is the key feature.",
    "gauss": "Two Gaussian clouds: almost linearly separable.",
    "spiral": "Two interleaved spirals: the hardest; needs depth or sin features.",
    "credit": "Credit default: annual income (k$) vs debt-to-income (%). High DTI defaults, "
              "but what counts as high depends on income: a curved boundary. 1 = default.",
    "fraud": "Imbalanced fraud-like set (~3 % fraud): log amount vs log distance from home. "
             "Accuracy is misleading here: look at AUC and F1. 1 = fraud.",
    "csv": "Your file: columns x1, x2, label (two classes).",
}
VERSIONS = {"fraud": "v2"}  # bump when a generator changes, so stored results are not reused
AXES = {"credit": ("income (k$)", "debt-to-income (%)"),
        "fraud": ("log10 amount ($)", "log10 distance from home (km)")}


COST_WORDS = {  # how the cost view speaks of a case, a flag and the two mistakes
    "credit": dict(case="applicant", flag="refuse", positive="default", missed="a missed default",
                   false_flag="a refused good client"),
    "fraud": dict(case="payment", flag="block", positive="fraud", missed="a missed fraud",
                  false_flag="a blocked legitimate payment"),
}


def cost_words(dataset: str, class_names: tuple[str, str] | list[str]) -> dict[str, str]:
    """Words for the cost view: the finance sets speak of applicants and payments, others of points."""
    negative, positive = class_names
    return COST_WORDS.get(dataset, dict(case="point", flag="flag", positive=str(positive),
                                        missed=f"a missed '{positive}' (predicted '{negative}')",
                                        false_flag=f"a wrongly flagged '{negative}'"))


@dataclass
class Points:
    x: np.ndarray  # (n, 2) float32
    y: np.ndarray  # (n,) float32 in {0, 1}
    name: str
    fingerprint: str
    axis_labels: tuple[str, str] = ("x1", "x2")
    class_names: tuple[str, str] = ("class 0", "class 1")
    notes: list[str] = field(default_factory=list)
    ordered: bool = False  # rows are in time order (a CSV with a date column, sorted by it)


def generate(name: str, n: int, noise: float, seed: int) -> Points:
    if name not in GENERATED:
        raise DataError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](n, noise, rng)
    classes = {"credit": ("repaid", "default"), "fraud": ("legit", "fraud")}.get(name, ("class 0", "class 1"))
    return Points(x.astype(np.float32), y.astype(np.float32), name,
                  f"generated:{name}:{VERSIONS.get(name, 'v1')}:{n}:{noise!r}:{seed}", AXES.get(name, ("x1", "x2")), classes)


def _moons(n, noise, rng):
    n1 = n // 2
    t1, t2 = rng.uniform(0, np.pi, n1), rng.uniform(0, np.pi, n - n1)
    a = np.c_[np.cos(t1), np.sin(t1)]
    b = np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]
    x = np.r_[a, b] + rng.normal(0, noise, (n, 2))
    return x, np.r_[np.zeros(n1), np.ones(n - n1)]


def _circles(n, noise, rng):
    n1 = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.full(n1, 1.0), np.full(n - n1, 0.45)]
    x = np.c_[r * np.cos(t), r * np.sin(t)] + rng.normal(0, noise, (n, 2))
    return x, np.r_[np.zeros(n1), np.ones(n - n1)]


def _xor(n, noise, rng):
    x = rng.uniform(-1, 1, (n, 2))
    x += np.sign(x) * 0.05  # a small margin around the axes
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    return x + rng.normal(0, noise, (n, 2)), y


def _gauss(n, noise, rng):
    n1 = n // 2
    spread = 0.35 + noise
    a = rng.normal([-1, -1], spread, (n1, 2))
    b = rng.normal([1, 1], spread, (n - n1, 2))
    return np.r_[a, b], np.r_[np.zeros(n1), np.ones(n - n1)]


def _spiral(n, noise, rng):
    n1 = n // 2
    out = []
    for k, m in enumerate((n1, n - n1)):
        t = np.sqrt(rng.uniform(0, 1, m)) * 3 * np.pi
        arm = np.c_[t * np.cos(t + k * np.pi), t * np.sin(t + k * np.pi)] / (3 * np.pi)
        out.append(arm + rng.normal(0, noise * 0.5, (m, 2)))
    return np.r_[out[0], out[1]], np.r_[np.zeros(n1), np.ones(n - n1)]


def _credit(n, noise, rng):
    income = np.exp(rng.normal(np.log(55), 0.5, n)).clip(12, 300)  # k$
    dti = rng.beta(2.2, 4.5, n) * 80  # percent
    # tolerated DTI rises with income and saturates: a curved boundary
    tolerated = 34 + 18 * np.tanh((income - 45) / 30)
    logit = (dti - tolerated) / (2.5 + 12 * noise)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float)
    return np.c_[income, dti], y


def _fraud(n, noise, rng):
    """~3 % fraud in two schemes that overlap the legitimate cloud, as real fraud does: a model
    can rank most of it above legitimate payments (AUC) yet catch few at the 0.5 threshold."""
    n_fraud = max(4, round(n * 0.03))
    n_legit = n - n_fraud
    legit = np.c_[rng.normal(1.6, 0.45, n_legit), rng.normal(0.8, 0.45, n_legit)]
    half = n_fraud // 2
    # large purchases somewhat far from home, and card testing (small amounts, farther away)
    big = np.c_[rng.normal(2.3, 0.45, half), rng.normal(1.4, 0.5, half)]
    test = np.c_[rng.normal(0.8, 0.4, n_fraud - half), rng.normal(1.4, 0.5, n_fraud - half)]
    x = np.r_[legit, big, test] + rng.normal(0, noise * 0.5, (n, 2))
    return x, np.r_[np.zeros(n_legit), np.ones(n_fraud)]


_GENERATORS = {"moons": _moons, "circles": _circles, "xor": _xor, "gauss": _gauss,
               "spiral": _spiral, "credit": _credit, "fraud": _fraud}


def load_csv(source: csvio.Source) -> Points:
    """Points from a CSV with columns x1, x2, label (two classes, any names) and optionally a date
    column that orders the rows. The file is read by ``csvio.read`` like every user CSV."""
    file = csvio.read(source)
    frame = file.frame()
    missing = [c for c in ("x1", "x2", "label") if csvio.find_column(frame, c) is None]
    if missing:
        raise DataError(f"the CSV needs columns x1, x2, label; missing {', '.join(missing)} "
                        f"(found: {csvio.listed(frame.columns)})")
    if len(frame) < MIN_ROWS:
        raise DataError(f"the CSV has {len(frame)} rows; at least {MIN_ROWS} are needed")
    if len(frame) > MAX_ROWS:
        raise DataError(f"the CSV has {len(frame):,} rows; the playground takes at most {MAX_ROWS:,}")
    x1, x2 = (csvio.numeric_column(frame, csvio.find_column(frame, c), decimal_comma=file.delimiter != ",")
              for c in ("x1", "x2"))
    labels = frame[csvio.find_column(frame, "label")]
    if x1.isna().any() or x2.isna().any() or labels.isna().any():
        raise DataError("the CSV has empty (NaN) cells in x1, x2 or label; fill or drop those rows")
    if not np.isfinite(x1).all() or not np.isfinite(x2).all():
        raise DataError("x1 and x2 must be finite numbers (found inf)")
    classes = sorted(labels.astype(str).unique())
    if len(classes) != 2:
        raise DataError(f"label must have exactly two classes; found {len(classes)} ({', '.join(classes[:5])})")
    notes = list(file.notes)
    if file.delimiter != "," and any(frame[csvio.find_column(frame, c)].astype(str).str.contains(",").any()
                                     for c in ("x1", "x2")):
        notes.append("x1, x2: read commas as decimal points (e.g. 1,5 = 1.5)")
    positive = "1" if "1" in classes else classes[1]
    if set(classes) != {"0", "1"}:
        notes.append(f"labels mapped: '{classes[0] if positive != classes[0] else classes[1]}' -> 0, '{positive}' -> 1")
    y = (labels.astype(str) == positive).to_numpy(np.float32)
    if min(y.sum(), len(y) - y.sum()) < 2:
        raise DataError("each class needs at least 2 rows so that train and test both see it")
    x = np.c_[x1.to_numpy(), x2.to_numpy()].astype(np.float32)
    order = _time_order(frame, notes)
    if order is not None:
        x, y = x[order], y[order]
    negative = classes[0] if positive != classes[0] else classes[1]
    return Points(x, y, "csv", f"csv:{file.fingerprint}", ("x1", "x2"), (negative, positive), notes, ordered=order is not None)


def _time_order(frame, notes: list[str]) -> np.ndarray | None:
    """Row order by the file's date column (``quality.DATE_NAMES``, read by ``quality.parse_dates``
    like every CSV's dates), or None without one; what was interpreted goes to ``notes``."""
    column = csvio.find_column(frame, *quality.DATE_NAMES)
    if column is None:
        return None
    dates, note = quality.parse_dates(frame[column], str(column))
    notes += [note] if note else []
    notes.append(f"rows sorted by '{column}': the default split (auto) tests on the last rows, so the network "
                 "never trains on the future")
    return np.argsort(dates.to_numpy(), kind="stable")
