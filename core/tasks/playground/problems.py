"""What changes with the kind of problem the playground learns, one class per problem with one API
(as scikit-learn holds every estimator to one): the output layer and its loss, the target the
network is trained on, what the picture shows, the metrics, and the baselines with their
comparisons in the shared schema (``core.comparisons``).

    binary      sigmoid output, binary cross-entropy; P(class 1) on the picture; accuracy, AUC, F1;
                majority class and logistic regression, McNemar
    multiclass  softmax over k outputs, cross-entropy; the winning class and its probability;
                accuracy, macro-F1, k x k confusion; majority class and multinomial logistic
                regression, McNemar
    regression  linear output, mean squared error on the target standardised with the training rows;
                the predicted number; RMSE, MAE, R²; the training mean, linear regression and a cubic
                polynomial, a paired test on squared errors (Diebold-Mariano with horizon 1)

Scores: "loss" is the data loss in the target's own units (MSE for regression); "score" is
accuracy for classes and RMSE for numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import classification, comparisons
from core import metrics as fm
from core.nn import mlp

UNIT = "test points"


@dataclass(frozen=True)
class Target:
    """The regression target standardised with the training rows' mean and spread (the network
    learns numbers near 0 whatever the file's units); identity for classes."""
    mean: float = 0.0
    scale: float = 1.0

    def forward(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, np.float64) - self.mean) / self.scale).astype(np.float32)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, np.float64) * self.scale + self.mean


def _scaled_pair(data, train_idx, test_idx, features):
    """The chosen features of the training and test rows, standardised with the training rows."""
    from sklearn.preprocessing import StandardScaler

    from core.tasks.playground import make_features  # the task's feature maps (no import cycle at load)

    raw_tr, raw_te = make_features(data.x[train_idx], features), make_features(data.x[test_idx], features)
    scaler = StandardScaler().fit(raw_tr)  # fit on the training rows only, like the network's
    return scaler.transform(raw_tr).astype(np.float32), scaler.transform(raw_te).astype(np.float32)


def _logistic_inputs(config) -> dict[str, tuple[str, ...]]:
    """Logistic regression sees the network's inputs; when those are not x1, x2, a second one on
    x1, x2 shows what the features alone buy."""
    inputs = {"logistic": tuple(config.features)}
    if tuple(config.features) != ("x1", "x2"):
        inputs["logistic_x1x2"] = ("x1", "x2")
    return inputs


def _feature_names(features) -> str:
    from core.tasks.playground.config import FEATURES

    return ", ".join(FEATURES[f][0] for f in features)


class Binary:
    name, head, score_name = "binary", "sigmoid", "accuracy"

    def outputs(self, data) -> int:
        return 1

    def target(self, y_train: np.ndarray) -> Target:
        return Target()

    def predict(self, params, feats, activation, target: Target) -> np.ndarray:
        return mlp.predict(params, feats, activation, self.head)

    def loss_and_score(self, out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        return mlp.bce(out, y), float(np.mean((out >= 0.5) == (y >= 0.5)))

    def picture(self, out: np.ndarray) -> np.ndarray:
        return out  # P(class 1)

    def metrics(self, y_tr, out_tr, y_te, out_te) -> dict:
        test = classification.binary_metrics(y_te, out_te)
        train_accuracy = float(np.mean((out_tr >= 0.5) == (y_tr >= 0.5)))
        return {"train_accuracy": train_accuracy, "test_accuracy": test["accuracy"],
                "train_test_gap_points": 100 * (train_accuracy - test["accuracy"]),
                "test_auc": test["auc"], "test_f1": test["f1"], "test_precision": test["precision"],
                "test_recall": test["recall"], "confusion": test["confusion"]}

    def seed_score(self, y_te, out_te) -> float:
        return float(np.mean((out_te >= 0.5) == (y_te >= 0.5)))

    def disagreement(self, pictures: list[np.ndarray], y_train) -> float:
        """Share of the picture where the seeds do not all draw the same class."""
        sides = np.stack(pictures) >= 0.5
        return float(np.mean(sides.any(axis=0) & ~sides.all(axis=0)))

    def baseline_outputs(self, config, data, train_idx, test_idx) -> dict[str, np.ndarray]:
        """Each baseline's P(class 1) on the test points (fitted on the training points)."""
        from sklearn.linear_model import LogisticRegression

        y_tr = data.y[train_idx]
        majority_class = float(y_tr.mean() >= 0.5)  # learnt from the training rows, like any model
        probs = {"majority": np.full(len(test_idx), majority_class)}
        for name, features in _logistic_inputs(config).items():
            x_tr, x_te = _scaled_pair(data, train_idx, test_idx, features)
            probs[name] = LogisticRegression().fit(x_tr, y_tr).predict_proba(x_te)[:, 1]
        return probs

    def compare(self, config, data, test_idx, outputs: dict, out_te) -> tuple[dict, list]:
        y_te = data.y[test_idx]
        inputs = _logistic_inputs(config)
        baselines, versus = {}, []
        y_test = y_te >= 0.5
        labels = {"majority": "always predicting the majority class",
                  "logistic": f"logistic regression on {_feature_names(config.features)}"}
        for name, p in outputs.items():
            m = classification.binary_metrics(y_te, p)
            baselines[name] = {"test_accuracy": m["accuracy"], "test_auc": None if name == "majority" else m["auc"],
                               "test_f1": m["f1"], "inputs": list(inputs.get(name, ()))}
            if name in labels:
                versus.append(comparisons.mcnemar(y_te, (out_te >= 0.5) == y_test, (p >= 0.5) == y_test,
                                                  scorer="network", scorer_label="network", baseline=name,
                                                  baseline_label=labels[name], unit=UNIT))
        return baselines, versus


class Multiclass:
    name, head, score_name = "multiclass", "softmax", "accuracy"

    def outputs(self, data) -> int:
        return len(data.class_names)

    def target(self, y_train: np.ndarray) -> Target:
        return Target()

    def predict(self, params, feats, activation, target: Target) -> np.ndarray:
        return mlp.predict(params, feats, activation, self.head)

    def loss_and_score(self, out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if not np.isfinite(out).all():
            return float("nan"), float(np.mean(np.nan_to_num(out).argmax(axis=1) == y))
        picked = np.clip(out[np.arange(len(y)), y.astype(np.int64)], 1e-7, 1.0)
        return float(-np.mean(np.log(picked))), float(np.mean(out.argmax(axis=1) == y))

    def picture(self, out: np.ndarray) -> np.ndarray:
        return out.T  # (k, cells): each class's probability

    def metrics(self, y_tr, out_tr, y_te, out_te) -> dict:
        from sklearn import metrics as skm

        k = out_te.shape[1]
        pred_te, pred_tr = out_te.argmax(axis=1), out_tr.argmax(axis=1)
        train_accuracy = float(np.mean(pred_tr == y_tr))
        test_accuracy = float(np.mean(pred_te == y_te))
        return {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy,
                "train_test_gap_points": 100 * (train_accuracy - test_accuracy),
                "macro_f1": float(skm.f1_score(y_te, pred_te, average="macro", labels=list(range(k)), zero_division=0)),
                "confusion": skm.confusion_matrix(y_te.astype(int), pred_te, labels=list(range(k))).tolist()}

    def seed_score(self, y_te, out_te) -> float:
        return float(np.mean(out_te.argmax(axis=1) == y_te))

    def disagreement(self, pictures: list[np.ndarray], y_train) -> float:
        """Share of the picture where the seeds do not all draw the same winning class."""
        winners = np.stack([p.argmax(axis=0) for p in pictures])
        return float(np.mean((winners != winners[0]).any(axis=0)))

    def baseline_outputs(self, config, data, train_idx, test_idx) -> dict[str, np.ndarray]:
        """Each baseline's predicted class on the test points (fitted on the training points)."""
        from sklearn.linear_model import LogisticRegression

        y_tr = data.y[train_idx].astype(int)
        majority = int(np.bincount(y_tr, minlength=len(data.class_names)).argmax())  # learnt from the training rows
        preds = {"majority": np.full(len(test_idx), majority)}
        for name, features in _logistic_inputs(config).items():
            x_tr, x_te = _scaled_pair(data, train_idx, test_idx, features)
            preds[name] = LogisticRegression(max_iter=1000).fit(x_tr, y_tr).predict(x_te)  # multinomial
        return preds

    def compare(self, config, data, test_idx, outputs: dict, out_te) -> tuple[dict, list]:
        from sklearn import metrics as skm

        y_te = data.y[test_idx].astype(int)
        k = len(data.class_names)
        inputs = _logistic_inputs(config)
        labels = {"majority": "always predicting the most frequent class",
                  "logistic": f"multinomial logistic regression on {_feature_names(config.features)}"}
        right = out_te.argmax(axis=1) == y_te
        baselines, versus = {}, []
        for name, pred in outputs.items():
            baselines[name] = {"test_accuracy": float(np.mean(pred == y_te)),
                               "macro_f1": float(skm.f1_score(y_te, pred, average="macro", labels=list(range(k)),
                                                              zero_division=0)),
                               "inputs": list(inputs.get(name, ()))}
            if name in labels:
                versus.append(comparisons.mcnemar(y_te, right, pred == y_te, scorer="network", scorer_label="network",
                                                  baseline=name, baseline_label=labels[name], unit=UNIT))
        return baselines, versus


class Regression:
    name, head, score_name = "regression", "linear", "RMSE"

    def outputs(self, data) -> int:
        return 1

    def target(self, y_train: np.ndarray) -> Target:
        scale = float(np.std(y_train))
        return Target(float(np.mean(y_train)), scale if scale > 0 else 1.0)

    def predict(self, params, feats, activation, target: Target) -> np.ndarray:
        return target.inverse(mlp.predict(params, feats, activation, self.head))

    def loss_and_score(self, out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if not np.isfinite(out).all():
            return float("nan"), float("nan")
        mse = float(np.mean((out - y) ** 2))
        return mse, float(np.sqrt(mse))

    def picture(self, out: np.ndarray) -> np.ndarray:
        return out

    def metrics(self, y_tr, out_tr, y_te, out_te) -> dict:
        ss_tot = float(np.sum((y_te - np.mean(y_te)) ** 2))
        train_rmse, test_rmse = fm.rmse(y_tr, out_tr), fm.rmse(y_te, out_te)
        return {"train_rmse": train_rmse, "test_rmse": test_rmse,
                "test_over_train_rmse": test_rmse / train_rmse if train_rmse and test_rmse is not None else None,
                "test_mae": fm.mae(y_te, out_te),
                "test_r2": 1.0 - float(np.sum((y_te - out_te) ** 2)) / ss_tot if ss_tot > 0 else None}

    def seed_score(self, y_te, out_te) -> float:
        return fm.rmse(y_te, out_te)

    def disagreement(self, pictures: list[np.ndarray], y_train) -> float:
        """Mean spread (standard deviation) of the seeds' predictions over the picture, as a share
        of the training targets' spread."""
        spread = float(np.std(y_train)) or 1.0
        return float(np.mean(np.std(np.stack(pictures), axis=0)) / spread)

    def baseline_outputs(self, config, data, train_idx, test_idx) -> dict[str, np.ndarray]:
        """Each baseline's number for the test points (fitted on the training points)."""
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import PolynomialFeatures

        y_tr = data.y[train_idx].astype(np.float64)
        preds = {"mean": np.full(len(test_idx), float(np.mean(y_tr)))}  # the training mean
        x_tr, x_te = _scaled_pair(data, train_idx, test_idx, tuple(config.features))
        preds["linear"] = LinearRegression().fit(x_tr, y_tr).predict(x_te)
        raw_tr, raw_te = _scaled_pair(data, train_idx, test_idx, ("x1", "x2"))
        preds["poly3"] = make_pipeline(PolynomialFeatures(3), LinearRegression()).fit(raw_tr, y_tr).predict(raw_te)
        return preds

    def compare(self, config, data, test_idx, outputs: dict, out_te) -> tuple[dict, list]:
        y_te = data.y[test_idx].astype(np.float64)
        labels = {"mean": "always predicting the training mean",
                  "linear": f"linear regression on {_feature_names(config.features)}",
                  "poly3": "linear regression on x1, x2 and their products up to degree 3"}
        baselines, versus = {}, []
        for name, pred in outputs.items():
            baselines[name] = {"test_rmse": fm.rmse(y_te, pred), "test_mae": fm.mae(y_te, pred)}
            test = fm.diebold_mariano(y_te, out_te, pred, horizon=1)
            versus.append(comparisons.comparison(
                scorer="network", scorer_label="network", baseline=name, baseline_label=labels[name], metric="rmse",
                model_value=fm.rmse(y_te, out_te), baseline_value=fm.rmse(y_te, pred), higher_is_better=False,
                test="paired test on squared errors (Diebold-Mariano, h=1)", p_value=test["p_value"],
                n=len(y_te), unit=UNIT))
        return baselines, versus


PROBLEMS = {"binary": Binary(), "multiclass": Multiclass(), "regression": Regression()}
