"""Decision-boundary playground: a small network on a 2-D dataset, trained by the NumPy or the
TensorFlow engine, with boundary snapshots every few epochs, several seeds at once and the
baselines (majority class, logistic regression on the same inputs) beside it.

The logistic baseline sees exactly the features the network sees, scaled the same way: the
difference between the two is what the hidden layers add. When the chosen features are not the raw
x1, x2, logistic regression on x1, x2 is reported too, so "features, not depth" shows both effects."""

from __future__ import annotations

import numpy as np

from core import classification, comparisons
from core.data import toy2d
from core.errors import ConfigError, DataError
from core.nn import mlp
from core.result import Progress, Result, jsonable
from core.split import chronological
from core.tasks.playground import step_through
from core.tasks.playground.config import (
    CAPACITY_SWEEP,
    DEFAULT_COSTS,
    FEATURES,
    MAX_SNAPSHOTS,
    NAME,
    PRESETS,
    SPLITS,
    Config,
    sweep_configs,
    sweep_metrics,
    train_size,
)

SCHEMA = 4  # 3: metrics["comparisons"] in the shared schema (core.comparisons); 4: the lessons' scalars
# (train_test_gap_points, test_loss_min, train_loss_max_rise, seed_disagreement, costs)
GRID = 60           # boundary heatmap resolution (GRID x GRID)
NEURON_GRID = 30    # per-neuron heatmaps
MAX_NEURON_MAPS = 64

__all__ = [
    "CAPACITY_SWEEP",
    "DEFAULT_COSTS",
    "FEATURES",
    "MAX_SNAPSHOTS",
    "NAME",
    "PRESETS",
    "SCHEMA",
    "SPLITS",
    "Config",
    "load_data",
    "params_of",
    "predict",
    "seed_disagreement",
    "split",
    "step_setting",
    "sweep_configs",
    "sweep_metrics",
    "train",
    "train_size",
]


def params_of(result: Result) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] of the first seed's trained network."""
    names = sorted((k for k in result.arrays if k.startswith("param_")), key=lambda k: int(k.split("_")[1]))
    return [result.arrays[k] for k in names]


def load_data(config: Config, path=None) -> toy2d.Points:
    """Generated points from the config, or a CSV (path or bytes) with x1, x2, label."""
    if path is not None:
        return toy2d.load_csv(path)
    if config.dataset == "csv":
        raise DataError("dataset=csv needs a file: upload one (x1, x2, label) or pass --data PATH")
    return toy2d.generate(config.dataset, config.n_samples, config.noise, config.data_seed)


def make_features(x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    a, b = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    return np.stack([FEATURES[name][1](a, b) for name in names], axis=1)


def is_chronological(config: Config, data: toy2d.Points) -> bool:
    return config.split == "time" or (config.split == "auto" and data.ordered)


def split(config: Config, data: toy2d.Points) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices: the last rows for a chronological split (rows are in time
    order), else a random split stratified by class and seeded by ``data_seed``."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(data.y))
    if is_chronological(config, data):
        in_time = chronological(len(idx), config.test_ratio, round_test_up=True)
        train_idx, test_idx = idx[in_time.train], idx[in_time.test]
        for part, rows in (("training", train_idx), ("test", test_idx)):
            if len(np.unique(data.y[rows])) < 2:
                raise DataError(f"the chronological split leaves only one class in the {part} rows; "
                                f"change the test share or use split=random")
        return train_idx, test_idx
    try:
        train_idx, test_idx = train_test_split(idx, test_size=config.test_ratio, random_state=config.data_seed,
                                               stratify=data.y)
    except ValueError as exc:
        raise DataError(f"cannot split the data into train and test: {exc}") from None
    return train_idx, test_idx


def grid_axes(x: np.ndarray, size: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.08 + 1e-6
    return np.linspace(lo[0] - pad[0], hi[0] + pad[0], size), np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)


def _baselines(config: Config, data: toy2d.Points, train_idx, test_idx, p_model) -> tuple[dict, list]:
    """Majority class and logistic regression on the same split; each compared with the network
    (McNemar, in the comparison schema of core.comparisons). Logistic regression sees the network's inputs; when those
    are not x1, x2, a second logistic regression on x1, x2 shows what the features alone buy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    y_tr, y_te = data.y[train_idx], data.y[test_idx]
    majority_class = float(y_tr.mean() >= 0.5)  # learnt from the training rows, like any model
    probs = {"majority": np.full(len(test_idx), majority_class)}
    inputs = {"logistic": config.features}
    if config.features != ("x1", "x2"):
        inputs["logistic_x1x2"] = ("x1", "x2")
    for name, features in inputs.items():
        raw = make_features(data.x, features)
        scaler = StandardScaler().fit(raw[train_idx])  # fit on the training rows only, like the network's
        model = LogisticRegression().fit(scaler.transform(raw[train_idx]).astype(np.float32), y_tr)
        probs[name] = model.predict_proba(scaler.transform(raw[test_idx]).astype(np.float32))[:, 1]
    baselines, versus = {}, []
    y_test = y_te >= 0.5
    labels = {"majority": "always predicting the majority class",
              "logistic": f"logistic regression on {', '.join(FEATURES[f][0] for f in config.features)}"}
    for name, p in probs.items():
        m = classification.binary_metrics(y_te, p)
        baselines[name] = {"test_accuracy": m["accuracy"], "test_auc": None if name == "majority" else m["auc"],
                           "test_f1": m["f1"], "inputs": list(inputs.get(name, ()))}
        if name in labels:
            versus.append(comparisons.mcnemar(y_te, (p_model >= 0.5) == y_test, (p >= 0.5) == y_test,
                                              scorer="network", scorer_label="network", baseline=name,
                                              baseline_label=labels[name], unit="test points"))
    return baselines, versus


def _evaluate(params, feats, y, activation) -> tuple[float, float]:
    p = mlp.predict_proba(params, feats, activation)
    return mlp.bce(p, y), float(np.mean((p >= 0.5) == (y >= 0.5)))


def _make_trainer(config: Config, spec: mlp.MLPSpec, params, x, y, seed: int, chunk_steps: int):
    if config.engine == "numpy":
        from core.nn.numpy_engine import NumpyTrainer

        return NumpyTrainer(spec, params, x, y, config.learning_rate, seed)
    from core.nn.tf_engine import TFTrainer

    return TFTrainer(spec, params, x, y, config.learning_rate, seed, chunk_steps)


def spec_for(config: Config) -> mlp.MLPSpec:
    return mlp.MLPSpec(len(config.features), tuple(config.hidden), config.activation, config.dropout,
                       config.regularizer, config.reg_rate if config.regularizer != "none" else 0.0,
                       config.optimizer)


def train(config: Config, data: toy2d.Points, progress: Progress) -> Result:
    train_idx, test_idx = split(config, data)
    n_train = len(train_idx)
    if config.batch_size > n_train:
        raise DataError(f"batch_size {config.batch_size} is larger than the {n_train} training points; "
                        f"use at most {n_train}")
    from sklearn.preprocessing import StandardScaler

    raw = make_features(data.x, config.features)
    scaler = StandardScaler().fit(raw[train_idx])  # fit on the training rows only

    def scale(x: np.ndarray) -> np.ndarray:
        return scaler.transform(x).astype(np.float32)

    feats = scale(raw)
    x_tr, y_tr, x_te, y_te = feats[train_idx], data.y[train_idx], feats[test_idx], data.y[test_idx]
    gx, gy = grid_axes(data.x)
    mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)  # row-major: y varies slowest
    grid_feats = scale(make_features(mesh, config.features))
    nx, ny = grid_axes(data.x, NEURON_GRID)
    neuron_mesh = np.stack(np.meshgrid(nx, ny), axis=-1).reshape(-1, 2)
    neuron_feats = scale(make_features(neuron_mesh, config.features))

    spec = spec_for(config)
    k = config.snapshot_every
    steps = mlp.steps_per_epoch(n_train, config.batch_size)
    total = config.seeds * config.epochs
    hist = {name: [] for name in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")}
    snapshots, snapshot_epochs = [], []
    seed_grids, seed_test_probs, final_params = [], [], None

    for s in range(config.seeds):
        rng = np.random.default_rng([config.seed, s])
        params = mlp.init_params(spec, rng)
        schedule = mlp.batch_schedule(n_train, config.batch_size, config.epochs, rng)
        trainer = _make_trainer(config, spec, params, x_tr, y_tr, config.seed * 8 + s, k * steps)
        for start in range(0, config.epochs, k):
            end = min(config.epochs, start + k)
            trainer.run(schedule[start * steps:end * steps])
            weights = trainer.weights()
            tr_loss, tr_acc = _evaluate(weights, x_tr, y_tr, spec.activation)
            te_loss, te_acc = _evaluate(weights, x_te, y_te, spec.activation)
            values = dict(epoch=end, seed=s, loss=tr_loss, test_loss=te_loss, train_acc=tr_acc, test_acc=te_acc)
            if s == 0:
                for name, value in zip(hist, (end, tr_loss, te_loss, tr_acc, te_acc)):
                    hist[name].append(value)
                grid = mlp.predict_proba(weights, grid_feats, spec.activation).reshape(GRID, GRID)
                snapshots.append(grid.astype(np.float16))
                snapshot_epochs.append(end)
                values["snapshot"] = grid
            if not all(np.isfinite(w).all() for w in weights):
                tr_loss = float("nan")
                values["loss"] = tr_loss
            progress.update(s * config.epochs + end, total, **values)
        weights = trainer.weights()
        if s == 0:
            final_params = weights
        seed_grids.append(mlp.predict_proba(weights, grid_feats, spec.activation).reshape(GRID, GRID))
        seed_test_probs.append(mlp.predict_proba(weights, x_te, spec.activation))

    p_test = seed_test_probs[0]
    p_train = mlp.predict_proba(final_params, x_tr, spec.activation)
    test = classification.binary_metrics(y_te, p_test)
    seed_acc = [float(np.mean((p >= 0.5) == (y_te >= 0.5))) for p in seed_test_probs]
    train_accuracy = float(np.mean((p_train >= 0.5) == (y_tr >= 0.5)))
    metrics = {
        "train_accuracy": train_accuracy,
        "test_accuracy": test["accuracy"],
        "train_test_gap_points": 100 * (train_accuracy - test["accuracy"]),
        "test_auc": test["auc"],
        "test_f1": test["f1"],
        "test_precision": test["precision"],
        "test_recall": test["recall"],
        "train_loss": hist["train_loss"][-1],
        "test_loss": hist["test_loss"][-1],
        "test_loss_min": min(hist["test_loss"]),
        "train_loss_max_rise": float(np.max(np.diff(hist["train_loss"]), initial=0.0)),  # 0: it never rose
        "confusion": test["confusion"],
        "seed_test_accuracy": seed_acc,
        "seed_test_accuracy_mean": float(np.mean(seed_acc)),
        "seed_test_accuracy_std": float(np.std(seed_acc)),
        "seed_disagreement": seed_disagreement(seed_grids),
        "n_train": int(n_train),
        "n_test": len(test_idx),
        "split": "time" if is_chronological(config, data) else "random",
    }
    metrics["baselines"], metrics["comparisons"] = _baselines(config, data, train_idx, test_idx, p_test)
    costs = cost_analysis(y_te, p_test, *DEFAULT_COSTS)
    metrics["costs"] = {"missed": DEFAULT_COSTS[0], "refused": DEFAULT_COSTS[1],
                        **{k: costs[k] for k in ("best_threshold", "best_cost", "cost_at_half")}}

    arrays = {
        "x_train": data.x[train_idx], "y_train": y_tr, "x_test": data.x[test_idx], "y_test": y_te,
        "grid_x": gx, "grid_y": gy, "snapshots": np.stack(snapshots), "snapshot_epochs": np.array(snapshot_epochs),
        "seed_grids": np.stack(seed_grids).astype(np.float16), "seed_test_probs": np.stack(seed_test_probs),
        "neuron_x": nx, "neuron_y": ny,
        **{f"hist_{k_}": np.asarray(v) for k_, v in hist.items()},
    }
    for i, w in enumerate(final_params):
        arrays[f"param_{i}"] = w
    _, hidden_acts = mlp.forward(final_params, neuron_feats, spec.activation)
    for i, act in enumerate(hidden_acts):
        arrays[f"neurons_{i}"] = act[:, :MAX_NEURON_MAPS].T.reshape(-1, NEURON_GRID, NEURON_GRID).astype(np.float16)
    info = {"feature_labels": [FEATURES[f][0] for f in config.features], "axis_labels": list(data.axis_labels),
            "class_names": list(data.class_names), "snapshot_every": k, "dataset": data.name}
    return Result(metrics=jsonable(metrics), arrays=arrays, info=info)


def step_setting(config: Config, result: Result) -> step_through.Setting:
    """The step-through view's setting for the run shown: its network, training points and grid."""
    a = result.arrays
    mesh = np.stack(np.meshgrid(a["grid_x"], a["grid_y"]), axis=-1).reshape(-1, 2)
    return step_through.setting(spec_for(config), make_features(a["x_train"], config.features), a["y_train"],
                                make_features(mesh, config.features), config.batch_size,
                                tuple(result.info["feature_labels"]))


def predict(result: Result, inputs: dict) -> dict:
    """The TensorFlow engine's loss and gradients at the weights the step-through view shows, on the
    rows it shows (``inputs``: params, x, y and the spec's fields): the view puts them beside the
    NumPy numbers. Runs on a worker (``core.ui.scoring``), where TensorFlow is."""
    from core.nn import tf_engine

    spec = mlp.MLPSpec(**inputs["spec"])
    params = [np.asarray(p, np.float32) for p in inputs["params"]]
    loss, grads = tf_engine.loss_and_grads(params, np.asarray(inputs["x"], np.float32),
                                           np.asarray(inputs["y"], np.float32), spec)
    return {"loss": loss, "grads": grads}


def seed_disagreement(seed_grids: list[np.ndarray]) -> float:
    """Share of the boundary picture where the seeds do not all draw the same class (0 for one seed):
    what "the boundaries disagree where the data is thin" measures."""
    sides = np.stack(seed_grids) >= 0.5
    return float(np.mean(sides.any(axis=0) & ~sides.all(axis=0)))


def cost_analysis(y_true: np.ndarray, p: np.ndarray, cost_missed: float, cost_refused: float) -> dict:
    """The playground's cost view: ``classification.cost_curve`` over probability thresholds
    0, 0.01, ..., 1, plus the cost at 0.5 and the Bayes threshold for calibrated probabilities."""
    if cost_missed < 0 or cost_refused < 0:
        raise ConfigError("costs must be zero or positive")
    curve = classification.cost_curve(y_true, p, cost_missed, cost_refused, np.linspace(0.0, 1.0, 101))
    analytic = cost_refused / (cost_refused + cost_missed) if cost_refused + cost_missed > 0 else 0.5
    return {**curve, "refused": curve["false_alarms"], "cost_at_half": float(curve["cost"][50]),
            "bayes_threshold": float(analytic)}


def keras_code(config: Config, chronological: bool = False) -> str:
    """A standalone script reproducing the run with plain Keras on the exported CSV (rows in the
    order the run used them; ``chronological``: the last rows are the test points)."""
    feats = ", ".join(f'"{f}"' for f in config.features)
    reg = {"l1": f"keras.regularizers.L1({config.reg_rate})", "l2": f"keras.regularizers.L2({config.reg_rate})"}.get(
        config.regularizer, "None")
    opt = {"sgd": f"keras.optimizers.SGD({config.learning_rate})",
           "momentum": f"keras.optimizers.SGD({config.learning_rate}, momentum=0.9)",
           "adam": f"keras.optimizers.Adam({config.learning_rate})",
           "rmsprop": f"keras.optimizers.RMSprop({config.learning_rate})"}[config.optimizer]
    layers = []
    for units in config.hidden:
        layers.append(f'    keras.layers.Dense({units}, activation="{config.activation}", kernel_regularizer={reg}),')
        if config.dropout > 0:
            layers.append(f"    keras.layers.Dropout({config.dropout}),")
    layers.append(f'    keras.layers.Dense(1, activation="sigmoid", kernel_regularizer={reg}),')
    if chronological:
        split_code = (f"n_test = int(np.ceil(len(y) * {config.test_ratio}))  # rows are in time order: test on the last\n"
                      "X_tr, X_te, y_tr, y_te = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]")
    else:
        split_code = (f"X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size={config.test_ratio}, "
                      f"random_state={config.data_seed}, stratify=y)")
    return f'''# Reproduces the FinDL Lab playground run with plain Keras (pip install tensorflow scikit-learn pandas).
# Data: the "Download data (CSV)" button of the page gives playground_data.csv (x1, x2, label).
import numpy as np, pandas as pd, keras
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

FEATURES = {{"x1": lambda a, b: a, "x2": lambda a, b: b, "x1sq": lambda a, b: a * a, "x2sq": lambda a, b: b * b,
            "x1x2": lambda a, b: a * b, "sinx1": lambda a, b: np.sin(a), "sinx2": lambda a, b: np.sin(b)}}
df = pd.read_csv("playground_data.csv")
X = np.stack([FEATURES[f](df.x1.to_numpy(), df.x2.to_numpy()) for f in [{feats}]], axis=1)
y = df.label.to_numpy()
{split_code}
scaler = StandardScaler().fit(X_tr)          # fit on the training points only
X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)

keras.utils.set_random_seed({config.seed})
model = keras.Sequential([
    keras.Input(shape=({len(config.features)},)),
{chr(10).join(layers)}
])
model.compile(optimizer={opt}, loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_tr, y_tr, epochs={config.epochs}, batch_size={config.batch_size}, shuffle=True, verbose=0)
print(model.evaluate(X_te, y_te, verbose=0, return_dict=True))
'''
