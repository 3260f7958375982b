"""What the sentiment page says about its run: word colours that show how strong the evidence is,
the counts of the run shown (not the corpus's), one limit for typed text, settings help that says
what training does."""

import re
import time
from pathlib import Path

import pytest

from core.charts import sentiment as charts
from core.data import sentences
from core.tasks import sentiment as se


def _alphas(weights, **options) -> list[float]:
    return [float(re.search(r",([\d.]+)\)$", colour).group(1)) for colour in charts.word_colours(weights, **options)]


def test_word_colours_show_the_size_of_the_evidence_not_its_rank_in_the_sentence():
    """A guess (no known word: the BiLSTM's weights were 0.13-0.17 on every word) used to show
    every word in strong green, because each sentence was scaled by its own largest weight."""
    guess = _alphas([0.17, 0.14, 0.13])
    assert max(guess) < 0.15
    decisive = _alphas([2.5, -1.0, 0.17])
    assert decisive[:2] == [0.75, 0.75] and decisive[2] == guess[0]  # the same weight, the same colour
    html = charts.highlight("Zorblat quixhue flenmar", [(0, 7), (8, 15), (16, 23)], [0.17, 0.14, 0.13])
    assert "rgba(0,119,187,0.75)" not in html and html.count("background: rgba(0,119,187,") == 3
    assert _alphas([-0.5, 2.0], signed=False) == [0.0, 0.75]  # attention: nothing below an even share
    assert charts.word_colours([-0.5])[0].startswith("rgba(204,51,17,")  # red: towards negative


def test_patience_help_names_what_early_stopping_watches():
    assert f"validation {se.MONITOR}" in se.Config.meta("patience")["help"]


def test_no_count_in_the_settings_or_the_data_notes_can_disagree_with_the_run():
    """train_rows and the validation share change how many sentences a run learns from: counts on
    the page come from the run's metrics (the page test below), not from the corpus."""
    data = se.load_data(se.Config(train_rows=300))
    texts = [se.Config.meta("source")["help"], *data.notes]
    assert not any(re.search(r"\d,?\d{3}|\b604\b", text) for text in texts), texts


@pytest.mark.slow
def test_the_page_states_the_runs_counts_and_one_limit_for_typed_text():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.query_params["train_rows"] = "300"
    at.query_params["epochs"] = "2"
    at.run()
    at.switch_page("app_pages/sentiment.py")
    at.run()
    deadline = time.time() + 240
    while not any(m.label == "Network accuracy" for m in at.metric):
        assert not at.exception and not at.error and time.time() < deadline, (at.exception, at.error)
        time.sleep(0.5)
        at.run()
    assert at.text_input(key="se:typed").proto.max_chars == sentences.MAX_CHARS
    shown = [c.value for c in at.caption] + [m.value for m in at.markdown] + \
        [o for w in at.radio for o in w.options] + [o for w in at.selectbox for o in w.options]
    total = len(sentences.bundled("train"))  # the corpus size must not be shown for a 300-sentence run
    assert not any(f"{total:,}" in text or str(total) in text for text in shown), shown
    assert any("255 training sentences (45 more" in c.value for c in at.caption), [c.value for c in at.caption]


def test_the_sanity_line_names_every_scorer_under_90_percent_and_calibration_says_when_it_did_not_help():
    line = charts.sanity_summary({"n": 220, "model": 0.95, "tfidf_logreg": 0.93, "lexicon": 0.795})
    assert "Under 90%: lexicon (rule)" in line and "network 95%" in line
    assert "All three" in charts.sanity_summary({"n": 220, "model": 0.95, "tfidf_logreg": 0.93, "lexicon": 0.9})
    calibrated = {"temperature": 1.5, "ece_val_before": 0.05, "ece_val_after": 0.02, "ece_test_before": 0.02,
                  "ece_test_after": 0.04}
    assert "over-confident" in charts.calibration_summary(calibrated)
    assert "not better on this run" in charts.calibration_summary(calibrated)


def test_a_typed_sentence_is_unsure_when_the_network_is_or_most_words_are_unknown():
    assert se._unsure([0.05, 0.05, 0.9], 0, 6) is None
    assert "top probability is 45%" in se._unsure([0.35, 0.2, 0.45], 0, 6)
    assert "51% and 45%" in se._unsure([0.45, 0.04, 0.51], 0, 6)
    assert "4 of its 6 words" in se._unsure([0.05, 0.05, 0.9], 4, 6)
