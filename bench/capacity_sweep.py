"""The capacity-sweep lesson over several data seeds: does one neuron underfit, three fit and five
hundred overfit on every sample, not only on one lucky draw? Prints train/test accuracy and test
loss per network size (mean ± std and per seed).

Run: ``python -m bench.capacity_sweep [--seeds 6]``
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from core.result import Progress
from core.tasks import playground as pg

KEYS = ("train_accuracy", "test_accuracy", "train_loss", "test_loss")


def measure(seeds: int) -> dict[int, dict[str, list[float]]]:
    rows: dict[int, dict[str, list[float]]] = {}
    for data_seed in range(seeds):
        for config in pg.sweep_configs(data_seed):
            m = pg.train(config, pg.load_data(config), Progress()).metrics
            per_size = rows.setdefault(config.hidden[0], {k: [] for k in (*KEYS, "gap")})
            for key in KEYS:
                per_size[key].append(m[key])
            per_size["gap"].append(m["train_accuracy"] - m["test_accuracy"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.seeds)
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"capacity sweep over data seeds 0-{args.seeds - 1}: {pg.CAPACITY_SWEEP['base']}")
    for size, values in rows.items():
        summary = "  ".join(f"{k} {np.mean(v):.3f}±{np.std(v):.3f}" for k, v in values.items())
        print(f"{size:>4} neurons  {summary}")
        print(f"{'':>13}test loss per seed {np.round(values['test_loss'], 3).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
