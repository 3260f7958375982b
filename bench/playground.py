"""Playground speed: the project's TensorFlow engine vs a hand-written NumPy reference vs plain
``model.fit``, on the reference run (moons, 1000 points, noise 0.2, hidden 8,8 tanh, Adam 0.03,
batch 32, 200 epochs). Targets on a 2-core CPU: project end to end (compilation included)
<= 2x the NumPy reference, and >= 20x faster than model.fit. ``--problem multiclass`` (four
blobs, softmax) and ``--problem regression`` (the bump, a linear output on the standardised
target) run the same network on 1000 points of their own problem against the same targets.

Run: ``findl bench playground`` or ``python -m bench.playground [--problem P] [--json]``.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from bench.common import report, timer

REFERENCE = dict(dataset="moons", n_samples=1000, noise=0.2, hidden=(8, 8), activation="tanh",
                 optimizer="adam", learning_rate=0.03, batch_size=32, epochs=200, test_ratio=0.3)
REFERENCES = {"binary": REFERENCE,
              "multiclass": {**REFERENCE, "problem": "multiclass", "dataset": "blobs", "classes": 4},
              "regression": {**REFERENCE, "problem": "regression", "dataset": "bump"}}
TITLES = {"binary": "moons 1000 (700 train)", "multiclass": "4 blobs 1000 (700 train), softmax",
          "regression": "bump 1000 (700 train), linear output"}


def numpy_reference(x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch: int, seed: int = 0,
                    problem: str = "binary") -> np.ndarray:
    """A minimal independent implementation: 2-8-8-k tanh MLP, Adam, and binary cross-entropy
    (returns P(class 1)), softmax cross-entropy (k classes; returns the predicted class) or squared
    error (returns the prediction)."""
    rng = np.random.default_rng(seed)
    k = int(y.max()) + 1 if problem == "multiclass" else 1
    onehot = np.eye(k)[y.astype(int)] if problem == "multiclass" else None
    sizes = [x.shape[1], 8, 8, k]
    W = [rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b)) for a, b in itertools.pairwise(sizes)]
    B = [np.zeros(b) for b in sizes[1:]]
    params = W + B
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0
    n = len(x)
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            xb, yb = x[idx], y[idx]
            h1 = np.tanh(xb @ W[0] + B[0])
            h2 = np.tanh(h1 @ W[1] + B[1])
            z = h2 @ W[2] + B[2]
            if problem == "multiclass":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                dz = (e / e.sum(axis=1, keepdims=True) - onehot[idx]) / len(idx)
            elif problem == "regression":
                dz = (2 * (z[:, 0] - yb) / len(idx))[:, None]
            else:
                dz = ((1 / (1 + np.exp(-z[:, 0])) - yb) / len(idx))[:, None]
            g2, gb2 = h2.T @ dz, dz.sum(0)
            d2 = (dz @ W[2].T) * (1 - h2**2)
            g1, gb1 = h1.T @ d2, d2.sum(0)
            d1 = (d2 @ W[1].T) * (1 - h1**2)
            g0, gb0 = xb.T @ d1, d1.sum(0)
            grads = [g0, g1, g2, gb0, gb1, gb2]
            t += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                params[i] -= lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-7)
    h1 = np.tanh(x @ W[0] + B[0])
    z = np.tanh(h1 @ W[1] + B[1]) @ W[2] + B[2]
    if problem == "multiclass":
        return z.argmax(axis=1)
    return z[:, 0] if problem == "regression" else 1 / (1 + np.exp(-z[:, 0]))


def _reference_setup(problem: str = "binary"):
    from core.tasks import playground as pg

    config = pg.Config(**REFERENCES[problem])
    data = pg.load_data(config)
    train_idx, _ = pg.split(config, data)
    raw = pg.make_features(data.x, config.features)
    x = (raw - raw[train_idx].mean(0)) / raw[train_idx].std(0)
    y = data.y[train_idx]
    if problem == "regression":  # trained on the standardised target, as the project does
        y = (y - y.mean()) / y.std()
    return pg, config, data, x[train_idx], y


def _score(problem: str, predicted: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy, or R² for regression (both: higher is better)."""
    if problem == "regression":
        return float(1 - np.mean((predicted - y) ** 2) / np.var(y))
    if problem == "multiclass":
        return float(np.mean(predicted == y))
    return float(np.mean((predicted >= 0.5) == y))


def project_first_run(problem: str = "binary") -> dict:
    """One fresh process's first training (tracing and XLA compilation included) and a second one."""
    from core.device import tensorflow
    from core.result import Progress

    pg, config, data, _, _ = _reference_setup(problem)
    seconds: dict[str, float] = {}
    with timer(seconds, "import_tensorflow"):
        tensorflow()
    with timer(seconds, "project_first"):
        result = pg.train(config, data, Progress())
    with timer(seconds, "project_again"):
        pg.train(config.replace(seed=1), data, Progress())
    m = result.metrics
    if problem == "regression":
        y = result.arrays["y_train"]
        score = 1 - m["train_rmse"] ** 2 / float(np.var(y))
    else:
        score = m["train_accuracy"]
    return {"seconds": seconds, "train_accuracy": score}


def run(skip_fit: bool = False, repeat: int = 3, problem: str = "binary") -> dict:
    """Medians over ``repeat`` runs: the NumPy reference in this process, the project's first run
    in ``repeat`` fresh processes (each pays its own compilation), plain fit once."""
    import json
    import statistics
    import subprocess
    import sys

    _, config, _, x_train, y_train = _reference_setup(problem)
    numpy_times = []
    for _ in range(repeat):
        t: dict[str, float] = {}
        with timer(t, "numpy"):
            p = numpy_reference(x_train, y_train, config.epochs, config.learning_rate, config.batch_size,
                                problem=problem)
        numpy_times.append(t["numpy"])
    acc = {"numpy_reference": _score(problem, p, y_train)}
    children = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-m", "bench.playground", "--child", "--problem", problem],
                             capture_output=True, text=True, check=True)
        children.append(json.loads(out.stdout.strip().splitlines()[-1]))
    acc["project"] = children[0]["train_accuracy"]
    seconds = {"numpy_reference": statistics.median(numpy_times),
               **{k: statistics.median(c["seconds"][k] for c in children) for k in children[0]["seconds"]}}
    runs = {"numpy_reference": numpy_times, "project_first": [c["seconds"]["project_first"] for c in children]}

    if not skip_fit:
        from core.device import tensorflow

        tensorflow()  # before keras: TF's start-up log stays muted
        import keras

        keras.utils.set_random_seed(0)
        output, loss = {"binary": (keras.layers.Dense(1, activation="sigmoid"), "binary_crossentropy"),
                        "multiclass": (keras.layers.Dense(int(y_train.max()) + 1, activation="softmax"),
                                       "sparse_categorical_crossentropy"),
                        "regression": (keras.layers.Dense(1), "mse")}[problem]
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh"),
                                  keras.layers.Dense(8, activation="tanh"), output])
        model.compile(keras.optimizers.Adam(config.learning_rate), loss)
        with timer(seconds, "keras_fit"):
            model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size, verbose=0)
        out = model.predict(x_train, verbose=0)
        acc["keras_fit"] = _score(problem, out.argmax(axis=1) if problem == "multiclass" else out[:, 0], y_train)
    return {"seconds": seconds, "train_accuracy": acc, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.playground")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-fit", action="store_true", help="skip the ~15-30 s model.fit reference")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (medians are reported)")
    parser.add_argument("--problem", choices=tuple(REFERENCES), default="binary",
                        help="the reference run's problem (default: binary, the moons)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import json

        print(json.dumps(project_first_run(args.problem)))
        return 0
    out = run(args.skip_fit, max(1, args.repeat), args.problem)
    s = out["seconds"]
    ratio_numpy = s["project_first"] / s["numpy_reference"]
    rows = [("NumPy reference (hand-written, independent)", s["numpy_reference"], "median"),
            ("import tensorflow (not counted)", s["import_tensorflow"], ""),
            ("project TF engine, first run (compile included)", s["project_first"],
             f"median of fresh processes, {ratio_numpy:.2f}x NumPy"),
            ("project TF engine, next run (compiled loop reused)", s["project_again"], "")]
    checks = [(f"project end to end <= 2x NumPy reference ({ratio_numpy:.2f}x)", ratio_numpy <= 2.0)]
    extra = {"problem": args.problem, "train_score (accuracy; R² for regression)": out["train_accuracy"],
             "ratio_project_vs_numpy": round(ratio_numpy, 3),
             "runs": {k: [round(v, 3) for v in vs] for k, vs in out["runs"].items()}}
    if "keras_fit" in s:
        speedup = s["keras_fit"] / s["project_first"]
        rows.append(("plain model.fit (batch 32)", s["keras_fit"], f"project is {speedup:.1f}x faster"))
        checks.append((f"project >= 20x faster than model.fit ({speedup:.1f}x)", speedup >= 20))
        extra["speedup_vs_fit"] = round(speedup, 2)
    return report(f"playground reference run: {TITLES[args.problem]}, 8,8 tanh, Adam 0.03, batch 32, 200 epochs",
                  rows, checks, extra, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
