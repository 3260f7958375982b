"""Two-dimensional sets for the playground, by problem: two classes (the classic shapes, credit
default, fraud), three to six classes (blobs, a three-armed spiral, credit rating buckets), a number
(a plane, a bump, a European call's Black-Scholes price), and CSV upload (columns x1, x2, label)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.data import csvio, quality
from core.errors import DataError

BINARY = ("moons", "circles", "xor", "gauss", "spiral", "credit", "fraud")
MULTICLASS = ("blobs", "spiral3", "credit-rating")
REGRESSION = ("plane", "bump", "option-call")
GENERATED = BINARY + MULTICLASS + REGRESSION
DATASETS = GENERATED + ("csv",)
PROBLEMS = ("binary", "multiclass", "regression")
PROBLEM_OF = {**dict.fromkeys(BINARY, "binary"), **dict.fromkeys(MULTICLASS, "multiclass"),
              **dict.fromkeys(REGRESSION, "regression")}
MIN_ROWS = 10
MAX_ROWS = 200_000
MAX_CLASSES = 6
# option-call: a call with half a year to expiry at a 2 % rate, priced in units of the strike; the
# network trains only on moneyness up to TRAINED_MONEYNESS (the points beyond are all test points)
OPTION_YEARS, OPTION_RATE, TRAINED_MONEYNESS = 0.5, 0.02, 1.3

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
    "blobs": "Gaussian clouds, one per class (3-6): nearly separable by lines; the classes' count is a setting.",
    "spiral3": "Three interleaved spiral arms, one per class: needs depth.",
    "credit-rating": "Rating buckets A, BBB, BB, B from annual income (k$) and debt-to-income (%): the "
                     "tolerated debt rises with income, so the bucket borders curve.",
    "plane": "y = 1.5 x1 - 0.8 x2 plus noise: a straight line (plane) is the right model.",
    "bump": "y = 2 exp(-(x1² + x2²) / 0.6) plus noise: one smooth hill, no line fits it.",
    "option-call": "A European call's Black-Scholes price (per unit of strike) from moneyness S/K and "
                   "volatility, half a year to expiry, 2 % rate, plus noise. Trained only on moneyness up to "
                   "1.3: the test points beyond show whether the network extrapolates.",
    "csv": "Your file: columns x1, x2, label (two classes; 3-6 classes for multi-class; a number for "
           "regression).",
}
VERSIONS = {"fraud": "v2"}  # bump when a generator changes, so stored results are not reused
AXES = {"credit": ("income (k$)", "debt-to-income (%)"),
        "credit-rating": ("income (k$)", "debt-to-income (%)"),
        "fraud": ("log10 amount ($)", "log10 distance from home (km)"),
        "option-call": ("moneyness S/K", "volatility σ")}
TARGETS = {"option-call": "call price / strike"}


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
    y: np.ndarray  # (n,) float32: 0/1 (binary), the class id (multiclass) or the number (regression)
    name: str
    fingerprint: str
    axis_labels: tuple[str, str] = ("x1", "x2")
    class_names: tuple[str, ...] = ("class 0", "class 1")  # () for regression
    notes: list[str] = field(default_factory=list)
    ordered: bool = False  # rows are in time order (a CSV with a date column, sorted by it)
    problem: str = "binary"
    exact: np.ndarray | None = None    # regression sets from a formula: the value without noise
    outside: np.ndarray | None = None  # rows outside the region trained on: always test rows
    target_name: str = "y"


def generate(name: str, n: int, noise: float, seed: int, classes: int = 3) -> Points:
    """A generated set; ``classes`` is the number of blobs (the other sets fix theirs)."""
    if name not in GENERATED:
        raise DataError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    rng = np.random.default_rng(seed)
    fingerprint = f"generated:{name}:{VERSIONS.get(name, 'v1')}:{n}:{noise!r}:{seed}"
    axes = AXES.get(name, ("x1", "x2"))
    if name in REGRESSION:
        x, y, exact, outside = _REGRESSIONS[name](n, noise, rng)
        return Points(x.astype(np.float32), y.astype(np.float32), name, fingerprint, axes, (), problem="regression",
                      exact=exact.astype(np.float32), outside=outside, target_name=TARGETS.get(name, "y"))
    if name in MULTICLASS:
        x, y, names = _MULTICLASS[name](n, noise, rng, classes)
        if name == "blobs":
            fingerprint += f":{classes}"
        return Points(x.astype(np.float32), y.astype(np.float32), name, fingerprint, axes, names, problem="multiclass")
    x, y = _GENERATORS[name](n, noise, rng)
    names = {"credit": ("repaid", "default"), "fraud": ("legit", "fraud")}.get(name, ("class 0", "class 1"))
    return Points(x.astype(np.float32), y.astype(np.float32), name, fingerprint, axes, names)


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


def _split_evenly(n: int, k: int) -> list[int]:
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _blobs(n, noise, rng, k):
    centres = 2.0 * np.c_[np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)]
    sizes = _split_evenly(n, k)
    x = np.concatenate([rng.normal(c, 0.35 + noise, (m, 2)) for c, m in zip(centres, sizes)])
    return x, np.repeat(np.arange(k), sizes), tuple(f"class {i}" for i in range(k))


def _spiral3(n, noise, rng, _k):
    sizes = _split_evenly(n, 3)
    arms = []
    for k, m in enumerate(sizes):
        t = np.sqrt(rng.uniform(0, 1, m)) * 2.5 * np.pi
        arm = np.c_[t * np.cos(t + 2 * np.pi * k / 3), t * np.sin(t + 2 * np.pi * k / 3)] / (2.5 * np.pi)
        arms.append(arm + rng.normal(0, noise * 0.5, (m, 2)))
    return np.concatenate(arms), np.repeat(np.arange(3), sizes), ("arm 1", "arm 2", "arm 3")


RATINGS = ("A", "BBB", "BB", "B")


def _credit_rating(n, noise, rng, _k):
    """The credit set's risk score (debt-to-income above what the income tolerates), cut into four
    buckets; noise moves applicants across the borders."""
    income = np.exp(rng.normal(np.log(55), 0.5, n)).clip(12, 300)
    dti = rng.beta(2.2, 4.5, n) * 80
    tolerated = 34 + 18 * np.tanh((income - 45) / 30)
    score = (dti - tolerated) / 8 + rng.logistic(0, 0.15 + 2 * noise, n)
    return np.c_[income, dti], np.digitize(score, [-1.6, -0.4, 0.8]), RATINGS


_MULTICLASS = {"blobs": _blobs, "spiral3": _spiral3, "credit-rating": _credit_rating}


def _plane(n, noise, rng):
    x = rng.uniform(-1.5, 1.5, (n, 2))
    exact = 1.5 * x[:, 0] - 0.8 * x[:, 1]
    return x, exact + rng.normal(0, noise, n), exact, np.zeros(n, bool)


def _bump(n, noise, rng):
    x = rng.uniform(-2, 2, (n, 2))
    exact = 2 * np.exp(-(x[:, 0] ** 2 + x[:, 1] ** 2) / 0.6)
    return x, exact + rng.normal(0, noise * 0.5, n), exact, np.zeros(n, bool)


def _option_call(n, noise, rng):
    from core.data.options import call_price

    x = np.c_[rng.uniform(0.6, 1.6, n), rng.uniform(0.1, 0.6, n)]
    exact = call_price(x[:, 0], 1.0, OPTION_RATE, x[:, 1], OPTION_YEARS)
    return x, exact + rng.normal(0, 0.05 * noise, n), exact, x[:, 0] > TRAINED_MONEYNESS


_REGRESSIONS = {"plane": _plane, "bump": _bump, "option-call": _option_call}


def load_csv(source: csvio.Source, problem: str = "binary") -> Points:
    """Points from a CSV with columns x1, x2, label and optionally a date column that orders the
    rows. The label is one of two classes (binary), one of 3-6 classes (multiclass), or a number
    (regression). The file is read by ``csvio.read`` like every user CSV."""
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
    decimal_comma = file.delimiter != ","
    x1, x2 = (csvio.numeric_column(frame, csvio.find_column(frame, c), decimal_comma=decimal_comma)
              for c in ("x1", "x2"))
    label_column = csvio.find_column(frame, "label")
    labels = frame[label_column]
    if x1.isna().any() or x2.isna().any() or labels.isna().any():
        raise DataError("the CSV has empty (NaN) cells in x1, x2 or label; fill or drop those rows")
    if not np.isfinite(x1).all() or not np.isfinite(x2).all():
        raise DataError("x1 and x2 must be finite numbers (found inf)")
    notes = list(file.notes)
    if decimal_comma and any(frame[csvio.find_column(frame, c)].astype(str).str.contains(",").any()
                             for c in ("x1", "x2", "label")):
        notes.append("read commas as decimal points (e.g. 1,5 = 1.5)")
    if problem == "regression":
        y = csvio.numeric_column(frame, label_column, decimal_comma=decimal_comma).to_numpy(np.float32)
        if not np.isfinite(y).all():
            raise DataError("label must be a finite number for regression (found inf)")
        names: tuple[str, ...] = ()
    else:
        y, names = _classes(labels, problem, notes)
    x = np.c_[x1.to_numpy(), x2.to_numpy()].astype(np.float32)
    order = _time_order(frame, notes)
    if order is not None:
        x, y = x[order], y[order]
    return Points(x, y, "csv", f"csv:{file.fingerprint}", ("x1", "x2"), names, notes, ordered=order is not None,
                  problem=problem)


def _classes(labels, problem: str, notes: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class ids and names of a label column: two classes (the positive one is '1' when there is
    one) or, for multiclass, 3-6 classes in sorted order (numerically when all are numbers)."""
    text = labels.astype(str)
    classes = sorted(text.unique())
    if problem == "multiclass":
        if not 3 <= len(classes) <= MAX_CLASSES:
            raise DataError(f"multi-class needs 3-{MAX_CLASSES} label values; found {len(classes)} "
                            f"({', '.join(classes[:8])}{', ...' if len(classes) > 8 else ''})")
        try:
            classes = sorted(classes, key=float)
        except ValueError:
            pass
        ids = text.map({name: i for i, name in enumerate(classes)}).to_numpy(np.float32)
        if np.bincount(ids.astype(int), minlength=len(classes)).min() < 2:
            raise DataError("each class needs at least 2 rows so that train and test both see it")
        return ids, tuple(classes)
    if len(classes) != 2:
        raise DataError(f"label must have exactly two classes; found {len(classes)} ({', '.join(classes[:5])})"
                        + ("; for more, choose the multi-class problem" if 3 <= len(classes) <= MAX_CLASSES else ""))
    positive = "1" if "1" in classes else classes[1]
    negative = classes[0] if positive != classes[0] else classes[1]
    if set(classes) != {"0", "1"}:
        notes.append(f"labels mapped: '{negative}' -> 0, '{positive}' -> 1")
    y = (text == positive).to_numpy(np.float32)
    if min(y.sum(), len(y) - y.sum()) < 2:
        raise DataError("each class needs at least 2 rows so that train and test both see it")
    return y, (negative, positive)


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
