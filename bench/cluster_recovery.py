"""Recovery from a dead cluster: the app's engine trains, its local Dask cluster is killed
mid-training (SIGKILL to the cluster's process group), and 15 s later a new training is
submitted through the same engine, with no server restart.

Two cases: a page open meanwhile (its sidebar asks for the engine's load every second, so the
engine finds the dead cluster at once and starts a new one in the background), and nobody
looking (the dead cluster is found when the training is submitted, which then waits for the new
cluster). Timed: kill -> the next result, submit -> result; and a training on a running cluster
for comparison. Trainings are tiny playground runs (numpy engine).

Target (hardening issue): a training started 15 s after the cluster died succeeds, no restart.

Run: ``python -m bench.cluster_recovery [--json]`` (or ``findl bench cluster_recovery``).
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import threading
import time

from bench.common import report

AFTER = 15.0  # seconds from the kill to the next submit (the target)


def _tiny(seed: int):
    from core.tasks import playground as pg

    config = pg.Config(engine="numpy", epochs=5, n_samples=100, seed=seed)
    return config, pg.load_data(config)


def _long():
    from core.tasks import playground as pg

    config = pg.Config(engine="numpy", epochs=2000, n_samples=5000, batch_size=1)
    return config, pg.load_data(config)


def _train(eng, config_data) -> float:
    """Seconds from submit to result of a training that must succeed."""
    from core import engine
    from core.tasks import playground as pg

    start = time.perf_counter()
    job = eng.wait(eng.submit(pg, *config_data), 300)
    if job.state != engine.DONE:
        raise RuntimeError(f"training {job.state}: {job.error}")
    return time.perf_counter() - start


def _kill_mid_training(eng, page_open: bool, seed: int) -> dict:
    """Kill the cluster while a training runs; ``AFTER`` s later train ``seed``. The sidebar of an
    open page asks for the load every second meanwhile (``page_open``)."""
    from core import engine
    from core.tasks import playground as pg

    running = eng.submit(pg, *_long())
    while eng.get(running.key).state == engine.QUEUED:
        time.sleep(0.1)
    killed = time.perf_counter()
    os.killpg(eng.client.findl_cluster_process.pid, signal.SIGKILL)
    stop = threading.Event()

    def sidebar():
        while not stop.wait(1.0):
            eng.snapshot()

    page = threading.Thread(target=sidebar, daemon=True)
    if page_open:
        page.start()
    time.sleep(AFTER - (time.perf_counter() - killed))
    submit = _train(eng, _tiny(seed))
    stop.set()
    eng.refresh(running)
    return {"kill_to_result": time.perf_counter() - killed, "submit_to_result": submit,
            "failed_with": running.error if running.state == engine.FAILED else running.state}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.cluster_recovery")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.pop("FINDL_SCHEDULER", None)  # the app's own local cluster
    with tempfile.TemporaryDirectory() as folder:
        os.environ["FINDL_STORE"] = folder
        from core import engine

        eng = engine.Engine()
        try:
            _train(eng, _tiny(1))  # the cluster up and a worker warm
            warm = _train(eng, _tiny(2))
            watched = _kill_mid_training(eng, page_open=True, seed=3)
            unwatched = _kill_mid_training(eng, page_open=False, seed=4)
        finally:
            eng.close()
    rows = [("training on a running cluster, submit -> result", warm, ""),
            *[(f"{name}: {what.replace('_', ' ').replace(' to ', ' -> ')}", case[what], "")
              for name, case in (("page open", watched), ("nobody looking", unwatched))
              for what in ("kill_to_result", "submit_to_result")]]
    one_line = [case["failed_with"] for case in (watched, unwatched)]
    checks = [(f"a training submitted {AFTER:g} s after the cluster died succeeded (both cases)", True),
              ("the training the kill interrupted failed with one line",
               all(isinstance(m, str) and m.startswith("the training engine stopped") and "\n" not in m
                   for m in one_line))]
    return report("Recovery from a killed local Dask cluster", rows, checks, {"interrupted": one_line[0]}, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
