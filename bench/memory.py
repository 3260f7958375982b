"""Resident memory over many trainings in one process (Keras/TF can grow over many
models). Run: ``python -m bench.memory [--runs 30]``; prints RSS after each batch of runs."""

from __future__ import annotations

import argparse
import resource
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.memory")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    from core.device import tensorflow
    from core.result import Progress
    from core.tasks import forecast as fc
    from core.tasks import playground as pg

    tensorflow()
    start = time.perf_counter()
    print(f"after TF import: {rss_mb():.0f} MB")
    shapes = [(8, 8), (4,), (16, 16, 16), (), (32,), (8, 8, 8, 8)]
    activations = ["tanh", "relu", "sigmoid"]
    for i in range(args.runs):
        config = pg.Config(hidden=shapes[i % len(shapes)], activation=activations[i % 3], epochs=60, seed=i,
                           dataset=["moons", "circles", "xor", "spiral"][i % 4])
        pg.train(config, pg.load_data(config), Progress())
        if (i + 1) % 10 == 0:
            print(f"playground runs {i + 1}: {rss_mb():.0f} MB")
    for i in range(max(3, args.runs // 3)):
        config = fc.Config(source="gbm", epochs=2, units=16, lookback=20, walk_forward=0, seed=i,
                           model=["lstm", "gru", "cnn"][i % 3])
        fc.train(config, fc.load_data(config), Progress())
        if (i + 1) % 5 == 0:
            print(f"forecast runs {i + 1}: {rss_mb():.0f} MB")
    print(f"done in {time.perf_counter() - start:.0f} s: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
