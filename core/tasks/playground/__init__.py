"""Decision-boundary playground: a small network on a 2-D dataset, trained by the NumPy or the
TensorFlow engine, with boundary snapshots every few epochs, several seeds at once and the
baselines (majority class, logistic regression on the same inputs) beside it.

The logistic baseline sees exactly the features the network sees, scaled the same way: the
difference between the two is what the hidden layers add. When the chosen features are not the raw
x1, x2, logistic regression on x1, x2 is reported too, so "features, not depth" shows both effects."""

from __future__ import annotations

import numpy as np

from core import classification
from core import metrics as fm
from core.data import toy2d
from core.errors import ConfigError, DataError
from core.nn import mlp
from core.result import Progress, Result, jsonable
from core.split import chronological
from core.tasks.playground import problems, step_through
from core.tasks.playground.config import (
    CAPACITY_SWEEP,
    DEFAULT_COSTS,
    FEATURES,
    MAX_SNAPSHOTS,
    NAME,
    PRESETS,
    SPLITS,
    Config,
    datasets_for,
    sweep_configs,
    sweep_metrics,
    train_size,
)

SCHEMA = 5  # 3: metrics["comparisons"] in the shared schema (core.comparisons); 4: the lessons' scalars
# (train_test_gap_points, test_loss_min, train_loss_max_rise, seed_disagreement, costs); 5: problems
# (binary, multiclass, regression), hist_train_score/hist_test_score, info["problem"]
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
    "datasets_for",
    "load_data",
    "params_of",
    "predict",
    "run_config",
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
        return toy2d.load_csv(path, config.problem)
    if config.dataset == "csv":
        raise DataError("dataset=csv needs a file: upload one (x1, x2, label) or pass --data PATH")
    return toy2d.generate(config.dataset, config.n_samples, config.noise, config.data_seed, config.classes)


def make_features(x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    a, b = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    return np.stack([FEATURES[name][1](a, b) for name in names], axis=1)


def is_chronological(config: Config, data: toy2d.Points) -> bool:
    return config.split == "time" or (config.split == "auto" and data.ordered)


def split(config: Config, data: toy2d.Points) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices: the last rows for a chronological split (rows are in time
    order), else a random split seeded by ``data_seed`` (stratified by class for classes). Rows
    outside the region a set trains on (option-call's high moneyness) are always test rows."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(data.y))
    classes = data.problem != "regression"
    if is_chronological(config, data):
        in_time = chronological(len(idx), config.test_ratio, round_test_up=True)
        train_idx, test_idx = idx[in_time.train], idx[in_time.test]
        for part, rows in (("training", train_idx), ("test", test_idx)):
            if classes and len(np.unique(data.y[rows])) < 2:
                raise DataError(f"the chronological split leaves only one class in the {part} rows; "
                                f"change the test share or use split=random")
        return train_idx, test_idx
    outside = np.zeros(len(idx), bool) if data.outside is None else data.outside
    inside = idx[~outside]
    try:
        train_idx, test_idx = train_test_split(inside, test_size=config.test_ratio, random_state=config.data_seed,
                                               stratify=data.y[inside] if classes else None)
    except ValueError as exc:
        raise DataError(f"cannot split the data into train and test: {exc}") from None
    return train_idx, np.concatenate([test_idx, idx[outside]])


def grid_axes(x: np.ndarray, size: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.08 + 1e-6
    return np.linspace(lo[0] - pad[0], hi[0] + pad[0], size), np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)


def _make_trainer(config: Config, spec: mlp.MLPSpec, params, x, y, seed: int, chunk_steps: int):
    if config.engine == "numpy":
        from core.nn.numpy_engine import NumpyTrainer

        return NumpyTrainer(spec, params, x, y, config.learning_rate, seed)
    from core.nn.tf_engine import TFTrainer

    return TFTrainer(spec, params, x, y, config.learning_rate, seed, chunk_steps)


def spec_for(config: Config, outputs: int = 1) -> mlp.MLPSpec:
    """The network of ``config``; ``outputs``: one per class for multiclass (the data knows how many)."""
    return mlp.MLPSpec(len(config.features), tuple(config.hidden), config.activation, config.dropout,
                       config.regularizer, config.reg_rate if config.regularizer != "none" else 0.0,
                       config.optimizer, problems.PROBLEMS[config.problem].head, outputs)


def train(config: Config, data: toy2d.Points, progress: Progress) -> Result:
    if data.problem != config.problem:
        raise DataError(f"the data is for a {data.problem} problem, the settings say problem={config.problem}")
    problem = problems.PROBLEMS[config.problem]
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
    target = problem.target(y_tr)  # regression: standardised with the training rows (classes: as they are)
    gx, gy = grid_axes(data.x)
    mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)  # row-major: y varies slowest
    grid_feats = scale(make_features(mesh, config.features))
    nx, ny = grid_axes(data.x, NEURON_GRID)
    neuron_mesh = np.stack(np.meshgrid(nx, ny), axis=-1).reshape(-1, 2)
    neuron_feats = scale(make_features(neuron_mesh, config.features))

    spec = spec_for(config, problem.outputs(data))
    k = config.snapshot_every
    steps = mlp.steps_per_epoch(n_train, config.batch_size)
    total = config.seeds * config.epochs
    hist = {name: [] for name in ("epoch", "train_loss", "test_loss", "train_score", "test_score")}
    snapshots, snapshot_epochs = [], []
    seed_grids, seed_test_outs, final_params = [], [], None

    def say(weights, rows):
        return problem.predict(weights, rows, spec.activation, target)

    def picture(weights) -> np.ndarray:
        """(GRID, GRID), or (k, GRID, GRID) for k classes."""
        grid = problem.picture(say(weights, grid_feats)).reshape(-1, GRID, GRID)
        return grid[0] if len(grid) == 1 else grid

    for s in range(config.seeds):
        rng = np.random.default_rng([config.seed, s])
        params = mlp.init_params(spec, rng)
        schedule = mlp.batch_schedule(n_train, config.batch_size, config.epochs, rng)
        trainer = _make_trainer(config, spec, params, x_tr, target.forward(y_tr), config.seed * 8 + s, k * steps)
        for start in range(0, config.epochs, k):
            end = min(config.epochs, start + k)
            trainer.run(schedule[start * steps:end * steps])
            weights = trainer.weights()
            tr_loss, tr_score = problem.loss_and_score(say(weights, x_tr), y_tr)
            te_loss, te_score = problem.loss_and_score(say(weights, x_te), y_te)
            values = dict(epoch=end, seed=s, loss=tr_loss, test_loss=te_loss, train_score=tr_score,
                          test_score=te_score)
            if s == 0:
                for name, value in zip(hist, (end, tr_loss, te_loss, tr_score, te_score)):
                    hist[name].append(value)
                grid = picture(weights)
                snapshots.append(grid.astype(np.float16 if problem.name != "regression" else np.float32))
                snapshot_epochs.append(end)
                values["snapshot"] = grid
            if not all(np.isfinite(w).all() for w in weights):
                tr_loss = float("nan")
                values["loss"] = tr_loss
            progress.update(s * config.epochs + end, total, **values)
        weights = trainer.weights()
        if s == 0:
            final_params = weights
        seed_grids.append(picture(weights))
        seed_test_outs.append(say(weights, x_te))

    out_te = seed_test_outs[0]
    out_tr = say(final_params, x_tr)
    seed_scores = [problem.seed_score(y_te, out) for out in seed_test_outs]
    metrics = {
        **problem.metrics(y_tr, out_tr, y_te, out_te),
        "train_loss": hist["train_loss"][-1],
        "test_loss": hist["test_loss"][-1],
        "test_loss_min": min(hist["test_loss"]),
        "train_loss_max_rise": float(np.max(np.diff(hist["train_loss"]), initial=0.0)),  # 0: it never rose
        f"seed_test_{_SEED_SCORE[problem.name]}": seed_scores,
        f"seed_test_{_SEED_SCORE[problem.name]}_mean": float(np.mean(seed_scores)),
        f"seed_test_{_SEED_SCORE[problem.name]}_std": float(np.std(seed_scores)),
        "seed_disagreement": problem.disagreement(seed_grids, y_tr),
        "n_train": int(n_train),
        "n_test": len(test_idx),
        "split": "time" if is_chronological(config, data) else "random",
        "problem": problem.name,
    }
    outputs = problem.baseline_outputs(config, data, train_idx, test_idx)
    metrics["baselines"], metrics["comparisons"] = problem.compare(config, data, test_idx, outputs, out_te)
    if problem.name == "binary":
        costs = cost_analysis(y_te, out_te, *DEFAULT_COSTS)
        metrics["costs"] = {"missed": DEFAULT_COSTS[0], "refused": DEFAULT_COSTS[1],
                            **{k: costs[k] for k in ("best_threshold", "best_cost", "cost_at_half")}}
    if data.exact is not None:
        metrics["formula"] = formula_errors(data, test_idx, out_te)

    arrays = {
        "x_train": data.x[train_idx], "y_train": y_tr, "x_test": data.x[test_idx], "y_test": y_te,
        "grid_x": gx, "grid_y": gy, "snapshots": np.stack(snapshots), "snapshot_epochs": np.array(snapshot_epochs),
        "seed_grids": np.stack(seed_grids).astype(np.float16 if problem.name != "regression" else np.float32),
        "seed_test_probs": np.stack(seed_test_outs),
        "neuron_x": nx, "neuron_y": ny,
        **{f"hist_{k_}": np.asarray(v) for k_, v in hist.items()},
    }
    if data.exact is not None:
        arrays["exact_test"] = data.exact[test_idx]
        arrays["outside_test"] = data.outside[test_idx] if data.outside is not None else np.zeros(len(test_idx), bool)
        if config.dataset == "option-call":
            arrays["exact_grid"] = option_grid(gx, gy)
    for i, w in enumerate(final_params):
        arrays[f"param_{i}"] = w
    _, hidden_acts = mlp.forward(final_params, neuron_feats, spec.activation)
    for i, act in enumerate(hidden_acts):
        arrays[f"neurons_{i}"] = act[:, :MAX_NEURON_MAPS].T.reshape(-1, NEURON_GRID, NEURON_GRID).astype(np.float16)
    info = {"feature_labels": [FEATURES[f][0] for f in config.features], "axis_labels": list(data.axis_labels),
            "class_names": list(data.class_names), "snapshot_every": k, "dataset": data.name,
            "problem": problem.name, "score_name": problem.score_name, "target_name": data.target_name,
            "target": [target.mean, target.scale]}
    return Result(metrics=jsonable(metrics), arrays=arrays, info=info)


_SEED_SCORE = {"binary": "accuracy", "multiclass": "accuracy", "regression": "rmse"}


def formula_errors(data: toy2d.Points, test_idx: np.ndarray, out_te: np.ndarray) -> dict:
    """RMSE of the network against the exact function (no noise) on the test points, and split into
    those inside the region trained on and those outside it (None where there are none)."""
    exact = data.exact[test_idx].astype(np.float64)
    outside = data.outside[test_idx] if data.outside is not None else np.zeros(len(test_idx), bool)

    inside_error, outside_error = fm.rmse(exact[~outside], out_te[~outside]), fm.rmse(exact[outside], out_te[outside])
    ratio = outside_error / inside_error if inside_error and outside_error is not None else None
    return {"rmse": fm.rmse(exact, out_te), "rmse_inside": inside_error, "rmse_outside": outside_error,
            "outside_over_inside": ratio, "n_inside": int((~outside).sum()), "n_outside": int(outside.sum())}


def option_grid(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The exact call price over the picture's grid (moneyness x volatility; a volatility at or
    below 0 is priced at a tiny one)."""
    from core.data.options import call_price

    m, v = np.meshgrid(gx, gy)
    return call_price(np.maximum(m, 1e-6), 1.0, toy2d.OPTION_RATE, np.maximum(v, 1e-4),
                      toy2d.OPTION_YEARS).astype(np.float32)


def run_config(result: Result) -> Config | None:
    """The settings a stored run was trained with (an older run may be on screen while new settings
    train), or None when the run does not carry them."""
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in (result.config or {}).items()
              if k in Config.field_names()}
    try:
        return Config(**values) if values else None
    except (ConfigError, TypeError):
        return None


def step_setting(config: Config, result: Result) -> step_through.Setting:
    """The step-through view's setting for the run shown: its network, training points and grid."""
    a = result.arrays
    mesh = np.stack(np.meshgrid(a["grid_x"], a["grid_y"]), axis=-1).reshape(-1, 2)
    target = problems.Target(*result.info.get("target", (0.0, 1.0)))  # regression: the standardised target
    outputs = len(result.info["class_names"]) if config.problem == "multiclass" else 1
    return step_through.setting(spec_for(config, outputs), make_features(a["x_train"], config.features),
                                target.forward(a["y_train"]),
                                make_features(mesh, config.features), config.batch_size,
                                tuple(result.info["feature_labels"]), (target.mean, target.scale))


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
    output, loss, metric = {
        "binary": ("1, activation=\"sigmoid\"", "binary_crossentropy", "accuracy"),
        "multiclass": ("int(y.max()) + 1, activation=\"softmax\"", "sparse_categorical_crossentropy", "accuracy"),
        "regression": ("1", "mse", "root_mean_squared_error")}[config.problem]
    layers.append(f'    keras.layers.Dense({output}, kernel_regularizer={reg}),')
    stratify = "" if config.problem == "regression" else ", stratify=y"
    if chronological:
        split_code = (f"n_test = int(np.ceil(len(y) * {config.test_ratio}))  # rows are in time order: test on the last\n"
                      "X_tr, X_te, y_tr, y_te = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]")
    elif config.dataset == "option-call":
        split_code = (f"outside = df.x1.to_numpy() > {toy2d.TRAINED_MONEYNESS}  # never trained on: all test points\n"
                      f"X_tr, X_te, y_tr, y_te = train_test_split(X[~outside], y[~outside], "
                      f"test_size={config.test_ratio}, random_state={config.data_seed})\n"
                      "X_te, y_te = np.r_[X_te, X[outside]], np.r_[y_te, y[outside]]")
    else:
        split_code = (f"X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size={config.test_ratio}, "
                      f"random_state={config.data_seed}{stratify})")
    if config.problem == "regression":
        split_code += ("\ny_mean, y_scale = y_tr.mean(), y_tr.std()  # the target standardised with the training "
                       "points\ny_tr, y_te = (y_tr - y_mean) / y_scale, (y_te - y_mean) / y_scale")
    return f'''# Reproduces the FinDL Lab playground run with plain Keras (pip install tensorflow scikit-learn pandas).
# Data: the "Download data (CSV)" button of the page gives playground_data.csv (x1, x2, label).{
    chr(10) + "# The target is standardised: multiply the RMSE by y_scale for the file's units." if config.problem == "regression" else ""}
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
model.compile(optimizer={opt}, loss="{loss}", metrics=["{metric}"])
model.fit(X_tr, y_tr, epochs={config.epochs}, batch_size={config.batch_size}, shuffle=True, verbose=0)
print(model.evaluate(X_te, y_te, verbose=0, return_dict=True))
'''
