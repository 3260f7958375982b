"""What ``findl`` writes: ``findl score sentiment`` (the page's scored-sentences CSV from the shell,
through the one CSV writer) and a reader that closes the pipe early (``| head -1``)."""

import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core import cli
from core.store import Store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = ["--set", "epochs=1", "--set", "train_rows=300", "--set", "min_steps=0"]
HOSTILE = ('date,text\n2024-01-02,"\t=HYPERLINK(""http://evil/x"",""Read"")"\n'
           "2024-01-02,Quarterly profit rose sharply\n2024-01-03,-2+3 the bank cut its guidance\n"
           "2024-01-03,\"@SUM(1+1)*cmd|' /C calc'!A0\"\n")


def _findl(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, **options)


def _main(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def sentences_file(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


@pytest.mark.parametrize("case,fragment", [
    ("missing", "not found"),
    ("no text column", "no text column"),
    ("out folder missing", "does not exist"),
    ("out is the input", "is the input file"),
    ("bad setting", "epochs"),
    ("other task", "invalid choice"),
])
def test_bad_input_is_one_line_exit_2_before_any_training(case, fragment, sentences_file, tmp_path, capsys):
    data, out, task, extra = str(sentences_file), str(tmp_path / "scores.csv"), "sentiment", []
    if case == "missing":
        data = str(tmp_path / "nope.csv")
    elif case == "no text column":
        data = str(tmp_path / "prices.csv")
        (tmp_path / "prices.csv").write_text("date,close\n2024-01-02,1\n")
    elif case == "out folder missing":
        out = str(tmp_path / "no" / "such" / "scores.csv")
    elif case == "out is the input":
        out = data
    elif case == "bad setting":
        extra = ["--set", "epochs=-1"]
    else:
        task = "playground"
    code, stdout, stderr = _main(capsys, "score", task, "--data", data, "--out", out, *extra)
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and fragment in stderr, stderr
    assert Store().status()["entries"] == 0  # refused before anything trained
    assert sentences_file.read_text(encoding="utf-8") == HOSTILE  # the user's file is untouched


@pytest.mark.slow
def test_score_sentiment_writes_the_pages_table_neutralised_then_reuses_the_run(sentences_file, tmp_path):
    from core.tasks.sentiment import scored

    out = tmp_path / "scores.csv"
    first = _findl("score", "sentiment", "--data", str(sentences_file), "--out", str(out), *QUICK)
    assert first.returncode == 0, first.stderr
    assert "trained" in first.stdout and "scored 4 sentences" in first.stdout
    table = pd.read_csv(out)
    fake = {"probs_model": np.eye(3)[[0, 0, 0, 0]], "probs_tfidf_logreg": np.eye(3)[[0, 0, 0, 0]],
            "pred_lexicon": np.zeros(4, int)}
    page = scored.table(scored.read(sentences_file), fake)
    assert list(table.columns) == list(page.columns)  # the page's download, column for column
    assert table["text"].tolist() == ["'=HYPERLINK(\"http://evil/x\",\"Read\")", "Quarterly profit rose sharply",
                                      "'-2+3 the bank cut its guidance", "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert table[["p_negative", "p_neutral", "p_positive"]].sum(axis=1).round(3).eq(1).all()
    assert set(table["network"]) <= {"negative", "neutral", "positive"}
    again = _findl("score", "sentiment", "--data", str(sentences_file), "--out", "-", *QUICK)
    assert again.returncode == 0, again.stderr
    assert pd.read_csv(io.StringIO(again.stdout)).equals(table)  # the stored run, the same scores


@pytest.mark.parametrize("args", [["presets", "--json"], ["presets"]])
def test_a_reader_that_closes_the_pipe_early_ends_findl_quietly(args):
    """``findl presets --json | head -1``: the pipe closes before findl writes; it used to exit 1
    with "internal error: BrokenPipeError"."""
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()  # before the interpreter has even started: every write fails
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and stderr == ""
