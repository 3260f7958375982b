import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--set", "epochs=20", "--set", "n_samples=100", "--set", "hidden=4", "--set", "batch_size=16"]


def findl(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_train_json_shape_then_cache_hit_without_tensorflow():
    first = findl("train", "playground", *TINY, "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert set(out) >= {"task", "key", "cached", "seconds", "config", "metrics"}
    assert out["task"] == "playground" and out["cached"] is False and out["seconds"] > 0
    assert {"train_accuracy", "test_accuracy", "test_auc"} <= set(out["metrics"])
    assert out["config"]["hidden"] == [4]
    assert first.stderr == ""

    probe = ("import sys, json, io, contextlib; from core.cli import main; buf = io.StringIO()\n"
             "with contextlib.redirect_stdout(buf): rc = main(sys.argv[1:])\n"
             "print(json.dumps({'rc': rc, 'tf': 'tensorflow' in sys.modules, 'out': json.loads(buf.getvalue())}))")
    start = time.perf_counter()
    hit = subprocess.run([sys.executable, "-c", probe, "train", "playground", *TINY, "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    wall = time.perf_counter() - start
    report = json.loads(hit.stdout)
    assert report["rc"] == 0 and report["tf"] is False
    assert report["out"]["cached"] is True and report["out"]["seconds"] == 0
    assert report["out"]["metrics"] == out["metrics"] and report["out"]["key"] == out["key"]
    assert wall < 20  # generous bound against a hung process; the speed figure is in README


@pytest.mark.parametrize("args,fragment", [
    (["train", "playground", "--set", "hidden=0"], "hidden must be between"),
    (["train", "playground", "--set", "learning_rate=1e9"], "learning_rate"),
    (["train", "playground", "--set", "batch_size=99999"], "training points"),
    (["train", "playground", "--set", "nonsense"], "key=value"),
    (["train", "playground", "--set", "epochs=" + "9" * 400], "epochs must be between"),  # was OverflowError
    (["train", "playground", "--preset", "nope"], "unknown preset"),
    (["train", "wat"], "unknown task"),
    (["train", "playground", "--data", "/no/such/file.csv"], "file not found"),
    (["bench", "wat"], "unknown task"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment):
    r = findl(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_bad_csv_and_divergence_exit_2_and_store_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n" + "1,text,0\n" * 20)
    r = findl("train", "playground", "--data", str(bad))
    assert r.returncode == 2 and "text where numbers belong" in r.stderr
    r = findl("train", "playground", "--set", "learning_rate=10", "--set", "optimizer=sgd", "--set", "activation=relu",
              "--set", "hidden=64,64,64", "--set", "epochs=60", "--set", "n_samples=200")
    assert r.returncode == 2 and r.stderr.strip() == "findl: error: training diverged (loss became NaN/inf): lower the learning rate"
    store = os.environ["FINDL_STORE"]
    assert not [p for p in os.listdir(store) if p != "locks"]


def test_csv_data_trains(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("x1,x2,label\n" + "".join(f"{i / 10},{(i * 7 % 13) / 10},{int(i % 13 > 6)}\n" for i in range(60)))
    r = findl("train", "playground", "--data", str(good), "--set", "dataset=csv", "--set", "epochs=5",
              "--set", "batch_size=8", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["metrics"]["n_train"] + json.loads(r.stdout)["metrics"]["n_test"] == 60


def test_info_and_presets():
    r = findl("info", "--json")
    assert r.returncode == 0
    info = json.loads(r.stdout)
    from core import device

    assert info["device"] == device.describe() and info["store"]["location"] == os.environ["FINDL_STORE"]
    assert "not checked" in info["data_sources"]["yahoo"]
    r = findl("presets", "playground", "--json")
    presets = json.loads(r.stdout)["playground"]
    assert "overfit" in presets and presets["overfit"]["description"]


@pytest.mark.slow  # starts processes that import TensorFlow
def test_eight_concurrent_processes_train_once():
    args = ["train", "playground", "--set", "epochs=40", "--set", "n_samples=150", "--set", "seed=11", "--json"]
    procs = [subprocess.Popen([sys.executable, "-m", "core.cli", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(8)]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        outs.append(json.loads(stdout))
    assert sum(not o["cached"] for o in outs) == 1
    assert all(o["metrics"] == outs[0]["metrics"] for o in outs)
    assert len({o["key"] for o in outs}) == 1


def test_prewarm_trains_presets_once():
    first = findl("prewarm", "--task", "playground", "--preset", "xor-product", "--preset", "features-not-depth")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("trained") == 2
    second = findl("prewarm", "--task", "playground", "--preset", "xor-product")
    assert second.stdout.strip() == "playground/xor-product: cached"
    bad = findl("prewarm", "--task", "playground", "--preset", "nope")
    assert bad.returncode == 2 and "unknown preset" in bad.stderr


@pytest.mark.slow
def test_prewarm_trains_every_preset_of_every_task(lessons, monkeypatch, capsys):
    """The lesson presets a teacher prewarms before class all train (full settings, fresh store),
    a preset with the settings of an earlier one is a store hit, and a second ``findl prewarm``
    (every task) finds them all in the store. Companion runs (the forecast's walk-forward when
    walk_forward > 0) follow their preset; the session's store is prewarmed without them
    (``--no-companions``), so they are checked on two forecast presets here."""
    from core import cli
    from core.tasks import get_task, preset_config, task_names

    lines = [line for t in task_names() for line in lessons.prewarm(t)]  # the session's one training of each
    expected, seen = [], set()
    for t in task_names():
        task = get_task(t)
        for p in task.PRESETS:
            config = preset_config(task, p)
            expected.append((f"{t}/{p}", "cached" if (t, config) in seen else "trained"))
            seen.add((t, config))
    assert [(line.split(":")[0], line.split(": ")[1].split()[0]) for line in lines] == expected, lines

    monkeypatch.setenv("FINDL_STORE", lessons.location)
    capsys.readouterr()
    assert cli.main(["prewarm", "--task", "forecast", "--preset", "lstm-vs-random-walk",
                     "--preset", "price-level-illusion"]) == 0  # in this process: TensorFlow is loaded
    companions = [(line.split(":")[0], line.split(": ")[1].split()[0]) for line in capsys.readouterr().out.splitlines()]
    assert companions == [("forecast/lstm-vs-random-walk", "cached"),
                          ("forecast-walk-forward/lstm-vs-random-walk", "trained"),
                          ("forecast/price-level-illusion", "cached")]  # walk_forward=0: no companion
    again = findl("prewarm", "--no-companions", env={"FINDL_STORE": lessons.location})
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == [f"{name}: cached" for name, _ in expected]
