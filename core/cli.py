"""``findl``: info, presets, train, score, prewarm, bench (README, "Command line").

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error, 3 trained
but not stored (the result is printed, one line on stderr says why the store refused it), 141
when whoever reads the output closed it (``findl presets --json | head -1``). A cache hit never
imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from typing import Self

from core.errors import UserError

NOT_STORED = 3  # exit code: the run is printed, but the store could not keep it (README, "Command line")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"findl: error: {message} (see findl --help)\n")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"--set takes key=value (got {pair!r})")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def cmd_info(args) -> int:
    from core import device
    from core.store import Store

    store = Store()
    info = {
        "findl": _version("findl-lab"),
        "python": platform.python_version(),
        "versions": {d: _version(d) for d in ("tensorflow", "keras", "streamlit", "scikit-learn", "pandas", "yfinance", "arch")},
        "device": device.describe(),
        "store": store.status(),
        "data_sources": {"bundled": "S&P 500 and NASDAQ daily 1999-2018 (arch)" if _version("arch") else "missing: pip install arch",
                         "yahoo": _yahoo_status(args.check_online)},
    }
    if args.json:
        print(json.dumps(info))
    else:
        for key, value in info.items():
            print(f"{key:>13}: {value}")
    return 0


def _yahoo_status(check: bool) -> str:
    if not check:
        return "not checked (findl info --check-online)"
    import socket

    try:
        socket.create_connection(("query1.finance.yahoo.com", 443), timeout=3).close()
        return "reachable"
    except OSError as exc:
        return f"unreachable ({exc.__class__.__name__})"


def cmd_presets(args) -> int:
    from core.tasks import get_task, task_names

    if args.markdown:  # docs/LESSONS.md
        from core import lessons_doc

        print(lessons_doc.markdown(), end="")
        return 0
    out = {}
    for name in ([args.task] if args.task else task_names()):
        task = get_task(name)
        out[name] = {p: {"description": preset.description, "settings": task.Config(**preset.settings).to_strings(only_changed=True)}
                     for p, preset in task.PRESETS.items()}
    if args.json:
        print(json.dumps(out))
        return 0
    for name, presets in out.items():
        print(f"{name}:")
        for p, body in presets.items():
            sets = " ".join(f"{k}={v}" for k, v in body["settings"].items())
            print(f"  {p:<24} {body['description']}\n  {'':<24} {sets}")
    return 0


class _Trainer:
    """Where ``findl`` trains: in this process (the default: no cluster needed), or on a Dask
    cluster when ``--scheduler ADDR`` or FINDL_SCHEDULER names one (same store key, same dedupe
    as the app; the store must be one the workers share, see README "Training engine")."""

    def __init__(self, scheduler: str | None):
        self.scheduler = (scheduler if scheduler is not None else os.environ.get("FINDL_SCHEDULER", "")).strip()
        self.engine = None

    def __enter__(self) -> Self:
        if self.scheduler:
            from core import engine
            from core.cluster import start_client

            try:
                self.engine = engine.Engine(start_client(self.scheduler))
            except (OSError, ValueError, TypeError) as exc:  # refused, timed out, bad address
                raise engine.EngineUnavailable(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.engine is not None:
            self.engine.close()

    def predict(self, task, key: str, result, inputs):
        """``task.predict`` of the run ``key`` (``result``) where it was trained: here, or on the
        cluster's workers."""
        if self.engine is None:
            return task.predict(result, inputs)
        return self.engine.predict(task, key, inputs)

    def __call__(self, task, config, data):
        from core import engine, jobs

        if self.engine is None:
            return jobs.run_sync(task, config, data)
        key = jobs.key_for(task, config, data)
        stored = self.engine.stored(key)
        if stored is not None:
            return key, stored
        job = self.engine.wait(self.engine.submit(task, config, data))
        if job.state != engine.DONE:
            raise UserError(job.error or job.state)
        return job.key, job.result


def _train_one(trainer, task, config, data_path, eval_path=None, preset=None):
    data = task.load_data(config, data_path)
    start = time.perf_counter()
    key, result = trainer(task, config, data)
    metrics = dict(result.metrics)
    if eval_path is not None:
        from core.tasks import hook

        evaluate_file = hook(task, "evaluate_file")
        if evaluate_file is None:
            raise UserError(f"--eval is only for the sentiment task, not {task.NAME}")
        metrics["eval"] = evaluate_file(result, eval_path)
    out = {"task": task.NAME, "key": key, "cached": result.cached,
           "seconds": 0.0 if result.cached else round(result.seconds, 3),
           "wall_seconds": round(time.perf_counter() - start, 3),
           "config": config.to_dict(), "metrics": metrics, "stored": result.not_stored is None}
    if result.not_stored:
        out["store_error"] = result.not_stored
    if preset is not None and data_path is None and config == task.Config(**task.PRESETS[preset].settings):
        from core import lessons

        out["lesson"] = lessons.lesson(preset, task.PRESETS[preset], result.metrics)
    return out


def from_file(config):
    """``config`` for a run on the user's file (``--data``): its data-source setting says "csv",
    so the JSON's config (and the store key) does not claim a bundled or generated source."""
    for name in ("source", "dataset"):
        if name in config.field_names() and "csv" in (config.meta(name).get("choices") or ()):
            return config.replace(**{name: "csv"})
    return config


def _settings(task, args):
    """The run's settings: the preset (or the defaults) with ``--set`` over it."""
    from core.tasks import preset_config

    return task.Config.from_strings(_parse_sets(args.set or []), base=preset_config(task, args.preset))


def cmd_train(args) -> int:
    from core.tasks import get_task

    task = get_task(args.task)
    config = _settings(task, args)
    if args.data is not None:
        config = from_file(config)
    from core.result import jsonable

    with _Trainer(args.scheduler) as trainer:
        out = jsonable(_train_one(trainer, task, config, args.data, args.eval, args.preset))
    if args.json:
        print(json.dumps(out))
    else:
        state = "cached" if out["cached"] else f"trained in {out['seconds']:.2f} s"
        print(f"{out['task']} {out['key'][:12]} {state}")
        print(json.dumps(out["metrics"], indent=2))
    if not out["stored"]:
        print(f"findl: warning: this run could not be saved to the store ({out['store_error']}); it is shown but "
              "will be trained again next time", file=sys.stderr)
        return NOT_STORED
    return 0


def cmd_score(args) -> int:
    """The sentiment page's "Score a file" table for a file of sentences, from the run of these
    settings (read from the store, or trained first, as ``findl train`` does), written by the one
    CSV writer (``core.data.csvout``: text cells that a spreadsheet would run are neutralised)."""
    from core.data import csvout
    from core.tasks import get_task
    from core.tasks.sentiment import scored

    task = get_task(args.task)
    config = _settings(task, args)
    if args.train_data is not None:
        config = from_file(config)
    out = _output_path(args.out, args.data)
    inputs = scored.read(args.data)  # a file that cannot be scored stops here, before any training
    with _Trainer(args.scheduler) as trainer:
        key, result = trainer(task, config, task.load_data(config, args.train_data))
        scores = scored.score(inputs.texts, lambda texts: trainer.predict(task, key, result, {"texts": texts}))
    table = scored.table(inputs, scores)
    for note in inputs.notes:
        print(f"findl: note: {note}", file=sys.stderr)
    if out is None:
        sys.stdout.write(csvout.to_csv(table))
        return 0
    try:
        csvout.write(table, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    state = "cached" if result.cached else f"trained in {result.seconds:.1f} s"
    print(f"{task.NAME} {key[:12]} {state}: scored {len(table)} sentences -> {out}")
    return 0


def _output_path(out: str, data: str):
    """``--out`` as a Path, or None for "-" (standard output); refused before anything runs when
    it cannot be written or is the input file itself (the user's file is never overwritten)."""
    from pathlib import Path

    if out == "-":
        return None
    path = Path(out)
    if path.is_dir():
        raise UserError(f"--out {out} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"--out {out}: the folder {path.parent} does not exist")
    if path.exists() and Path(data).exists() and path.resolve() == Path(data).resolve():
        raise UserError(f"--out {out} is the input file; write the scores to another file")
    return path


def cmd_prewarm(args) -> int:
    from core.tasks import get_task, hook, preset_config, task_names

    with _Trainer(args.scheduler) as trainer:
        for name in ([args.task] if args.task else task_names()):
            task = get_task(name)
            for preset in (args.preset or list(task.PRESETS)):
                config = preset_config(task, preset)
                # a task's companions (the forecast's walk-forward run) train for the same settings
                companions = None if args.no_companions else hook(task, "companions")
                for each in [task, *(companions(config) if companions else [])]:
                    out = _train_one(trainer, each, config, None)
                    state = "cached" if out["cached"] else f"trained {out['seconds']:.1f} s"
                    print(f"{each.NAME}/{preset}: {state}", flush=True)
                    if not out["stored"]:  # every later run would be lost the same way
                        print(f"findl: error: the store cannot keep runs ({out['store_error']}): prewarm stopped; "
                              "set FINDL_STORE to a folder you can write", file=sys.stderr)
                        return NOT_STORED
    return 0


def cmd_bench(args) -> int:
    """Benchmarks are not installed with the package: they run from the checkout that ``core``
    is imported from (``pip install -e .``, as ``make install`` does), like ``python -m bench.X``."""
    import importlib
    from pathlib import Path

    from core.tasks import get_task

    get_task(args.task)  # validates the name
    checkout = Path(__file__).resolve().parent.parent
    name = args.task.replace("-", "_")  # chart-cnn: bench/chart_cnn.py
    if not (checkout / "bench" / f"{name}.py").is_file():
        if not (checkout / "bench").is_dir():
            raise UserError("benchmarks run from a checkout of the repository (pip install -e .): "
                            f"{checkout} has no bench/ folder")
        raise UserError(f"no benchmark for {args.task} yet")
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    module = importlib.import_module(f"bench.{name}")
    if args.problem and args.task != "playground":
        raise UserError("--problem is an option of the playground benchmark")
    return module.main((["--json"] if args.json else []) + (["--problem", args.problem] if args.problem else []))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="findl", description="FinDL Lab command line: train and inspect the lab's models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("info", help="versions, device, store, data sources")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check-online", action="store_true", help="try to reach Yahoo Finance")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("presets", help="lesson presets per task")
    p.add_argument("task", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", action="store_true", help="the teacher's guide, docs/LESSONS.md")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("train", help="train (or fetch from the store) one run")
    p.add_argument("task")
    p.add_argument("--preset")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (repeatable)")
    p.add_argument("--data", metavar="PATH", help="CSV file (format in README)")
    p.add_argument("--eval", metavar="PATH", help="sentiment: also score this labelled file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--scheduler", metavar="ADDR", help="train on this Dask cluster (default: FINDL_SCHEDULER, "
                   "else in this process)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("score", help="score a file of new sentences with a trained run, to CSV")
    p.add_argument("task", choices=["sentiment"])
    p.add_argument("--data", metavar="PATH", required=True, help="sentences to score: CSV with a text column "
                   "(optional date column), or PhraseBank lines")
    p.add_argument("--out", metavar="PATH", required=True, help="CSV to write (- for standard output)")
    p.add_argument("--preset")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (repeatable)")
    p.add_argument("--train-data", metavar="PATH", help="labelled file to train on (default: the bundled corpus)")
    p.add_argument("--scheduler", metavar="ADDR", help="train and score on this Dask cluster (default: "
                   "FINDL_SCHEDULER, else in this process)")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("prewarm", help="train lesson presets into the store")
    p.add_argument("--task")
    p.add_argument("--preset", action="append")
    p.add_argument("--no-companions", action="store_true",
                   help="only the presets' own runs, not their companions (the forecast's walk-forward, "
                        "which its tab then trains on demand)")
    p.add_argument("--scheduler", metavar="ADDR", help="train on this Dask cluster (default: FINDL_SCHEDULER)")
    p.set_defaults(func=cmd_prewarm)
    p = sub.add_parser("bench", help="speed against reference implementations")
    p.add_argument("task")
    p.add_argument("--json", action="store_true")
    p.add_argument("--problem", choices=("binary", "multiclass", "regression"),
                   help="playground: the reference run's problem (default binary)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args) or 0
        sys.stdout.flush()  # here, where a closed pipe can still be caught, not at exit
        return code
    except BrokenPipeError:
        return _output_closed()
    except UserError as exc:
        print(f"findl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("findl: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, traceback only on request
        if os.environ.get("FINDL_DEBUG"):
            raise
        print(f"findl: internal error: {type(exc).__name__}: {exc} (set FINDL_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def _output_closed() -> int:
    """Whoever read the output stopped (``| head -1``): end quietly, as a program killed by
    SIGPIPE would, with its exit code. Standard output points at devnull from here on, so the
    interpreter's last flush does not fail again (Python's documented way, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
