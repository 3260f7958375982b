"""Sentences in: CSV and PhraseBank files, one typed sentence, the bundled corpus; and the tokens
the models see, which must equal Keras TextVectorization's (expected lists worked out by hand from
its lower_and_strip_punctuation regex, ASCII lowercase and ASCII-whitespace split)."""

import time

import numpy as np
import pytest

from core.data import sentences
from core.data.sentences import LABELS, Sentences, check_training, clean_text, from_file, tokens, word_spans
from core.errors import DataError

NEG, NEU, POS = (LABELS.index(name) for name in ("negative", "neutral", "positive"))


def _write(tmp_path, content: str, name: str = "s.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def _made(labels, name="t") -> Sentences:
    return Sentences(texts=[f"s{i}" for i in range(len(labels))], labels=np.asarray(labels, dtype=np.int64),
                     fingerprint="x", notes=[], dates=None, source_name=name)


def test_label_order():
    assert LABELS == ("negative", "neutral", "positive")


def test_csv_text_label_and_label_text_any_case(tmp_path):
    a = from_file(_write(tmp_path, "Text,Label\nProfit rose,POSITIVE\nLoss widened,Negative\nMeeting on Monday,neutral\n"))
    b = from_file(_write(tmp_path, "SENTIMENT,Headline\npos,Profit rose\nneg,Loss widened\nneu,Meeting on Monday\n",
                         name="b.csv"))
    c = from_file(_write(tmp_path, "sentence,class\nProfit rose,1\nLoss widened,-1\nMeeting on Monday,0\n", name="c.csv"))
    for s in (a, b, c):
        assert s.texts == ["Profit rose", "Loss widened", "Meeting on Monday"]
        assert s.labels.dtype == np.int64 and s.labels.tolist() == [POS, NEG, NEU]
        assert s.dates is None and len(s.fingerprint) == 64
    assert a.source_name == "s.csv"


def test_bytes_and_extra_columns_noted(tmp_path):
    s = from_file(b"id,text,label,source\n1,Profit rose,positive,wire\n2,Loss widened,negative,wire\n")
    assert s.texts == ["Profit rose", "Loss widened"]
    assert any("ignored column(s): id, source" in n for n in s.notes)


def test_latin1_file(tmp_path):
    s = from_file(_write(tmp_path, "text,label\nLe résultat a été bon,positive\n", encoding="latin-1"))
    assert s.texts == ["Le résultat a été bon"]
    assert any("not UTF-8" in n for n in s.notes)


def test_semicolon_delimited(tmp_path):
    s = from_file(_write(tmp_path, "text;label\nProfit rose, beating forecasts;positive\nShares fell 3,5 %;negative\n"))
    assert s.texts == ["Profit rose, beating forecasts", "Shares fell 3,5 %"]
    assert s.labels.tolist() == [POS, NEG]
    assert any("semicolons" in n for n in s.notes)


def test_phrasebank_format(tmp_path):
    content = ("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .@positive\n"
               "\n"
               "The caf\u00e9 chain's e-mail was info@cafe.com .@Neutral\n"
               "Sales fell 5 % .@negative\n")
    s = from_file(_write(tmp_path, content, name="Sentences_AllAgree.txt", encoding="latin-1"))
    assert s.labels.tolist() == [POS, NEU, NEG]
    assert s.texts[1] == "The caf\u00e9 chain's e-mail was info@cafe.com ."  # label after the LAST '@'
    assert any("PhraseBank" in n for n in s.notes)
    assert not any("separated" in n for n in s.notes)


def test_phrasebank_line_without_label(tmp_path):
    with pytest.raises(DataError, match="line 2 .*'@label'"):
        from_file(_write(tmp_path, "Sales rose .@positive\nNo label here\n"))


def test_unknown_labels_listed_with_lines(tmp_path):
    rows = "".join(f"Sentence number {i},{lab}\n" for i, lab in
                   enumerate(["positive", "bullish", "bearish", "", "x", "y", "z", "negative"]))
    with pytest.raises(DataError) as info:
        from_file(_write(tmp_path, "text,label\n" + rows))
    message = str(info.value)
    assert "\n" not in message
    assert "6 unknown label(s)" in message and "'bullish' (line 3)" in message and "empty (line 5)" in message
    assert "'z'" not in message and "1 more" in message and "pos/neg/neu" in message


def test_unlabelled_scoring(tmp_path):
    s = from_file(_write(tmp_path, "headline\nProfit rose, beating forecasts\nLoss widened\n"), labelled=False)
    assert s.texts == ["Profit rose, beating forecasts", "Loss widened"] and s.labels is None
    with pytest.raises(DataError, match="no label column"):
        from_file(_write(tmp_path, "headline\nProfit rose\n"))
    kept = from_file(_write(tmp_path, "text,label\nProfit rose,positive\n"), labelled=False)
    assert kept.labels.tolist() == [POS]
    dropped = from_file(_write(tmp_path, "text,label\nProfit rose,maybe\n"), labelled=False)
    assert dropped.labels is None and any("not read" in n for n in dropped.notes)


def test_no_text_column(tmp_path):
    with pytest.raises(DataError, match="no text column .*'text'"):
        from_file(_write(tmp_path, "words,label\nProfit rose,positive\n"))


def test_phrasebank_style_csv_with_a_news_column(tmp_path):
    """CSV exports of the Financial PhraseBank name their columns ``label,news``."""
    s = from_file(_write(tmp_path, "label,news\npositive,Operating profit rose to EUR 13.1 mn\n"
                                   "negative,Net sales fell 5 %\n"))
    assert s.texts == ["Operating profit rose to EUR 13.1 mn", "Net sales fell 5 %"]
    assert s.labels.tolist() == [POS, NEG]


def test_empty_texts_skipped_or_refused(tmp_path):
    s = from_file(_write(tmp_path, "text,label\nProfit rose,positive\n,negative\n  !! ,neutral\nLoss,negative\n"))
    assert s.texts == ["Profit rose", "Loss"] and s.labels.tolist() == [POS, NEG]
    assert any("skipped 2 row(s)" in n for n in s.notes)
    with pytest.raises(DataError, match="every text .* is empty"):
        from_file(_write(tmp_path, "text,label\n,positive\n  ,negative\n"))


def test_long_texts_truncated_with_note(tmp_path):
    s = from_file(_write(tmp_path, "text,label\n" + "word " * 1000 + ",positive\n"))
    assert len(s.texts[0]) <= sentences.MAX_CHARS and any("cut 1 text(s)" in n for n in s.notes)


def test_too_many_fields_names_the_line(tmp_path):
    with pytest.raises(DataError, match="line 3 .*double quotes"):
        from_file(_write(tmp_path, "text,label\nProfit rose,positive\nProfit, rose,positive\n"))


def test_date_column(tmp_path):
    s = from_file(_write(tmp_path, "published,text,label\n2024-03-01,Profit rose,positive\n"
                                   "2024-03-04,Loss widened,negative\n"))
    assert s.dates.dtype == np.dtype("datetime64[D]")
    assert s.dates.tolist() == [np.datetime64("2024-03-01").item(), np.datetime64("2024-03-04").item()]
    with pytest.raises(DataError, match="row 3"):
        from_file(_write(tmp_path, "date,text,label\n2024-03-01,Profit rose,positive\nsoon,Loss,negative\n"))


def test_bundled_corpus():
    train, evaluation = sentences.bundled("train"), sentences.bundled("eval")
    assert len(train) == 7944 and len(evaluation) == 604  # docs/CORPUS.md
    assert np.bincount(train.labels).tolist() == [1883, 3636, 2425]
    assert train.texts[0].startswith("Norvale Industries")  # part A first, in file order
    assert len(sentences.bundled("sanity")) == 220
    assert sentences.bundled("train").fingerprint == train.fingerprint != evaluation.fingerprint
    with pytest.raises(DataError):
        sentences.bundled("test")


def test_check_training():
    check_training(_made([NEG] * 10 + [POS] * 10))  # two classes are enough
    with pytest.raises(DataError, match="no labels"):
        check_training(Sentences(["a"], None, "x", [], None, "t"))
    with pytest.raises(DataError, match="only positive .*at least two of negative/neutral/positive"):
        check_training(_made([POS] * 30))
    with pytest.raises(DataError, match="neutral has 3.*at least 10"):
        check_training(_made([NEG] * 10 + [POS] * 10 + [NEU] * 3))


def test_stratified_split():
    labels = np.array([NEG] * 20 + [NEU] * 50 + [POS] * 30)
    train, test = sentences.stratified_split(labels, 0.2, seed=1)
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    assert len(test) == 20 and set(train) | set(test) == set(range(100)) and not set(train) & set(test)
    assert np.bincount(labels[test]).tolist() == [4, 10, 6]
    with pytest.raises(DataError):
        sentences.stratified_split(np.array([0, 0, 1]), 0.5, seed=0)


def test_clean_text_errors():
    with pytest.raises(DataError, match="type a sentence"):
        clean_text(" \n\t ")
    with pytest.raises(DataError, match="only punctuation/symbols"):
        clean_text("!!!")
    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        clean_text("Profit rose. " * 8000)
    assert time.perf_counter() - start < 1.0
    assert "2,000" in str(info.value) and "103,999" in str(info.value) and "\n" not in str(info.value)


def test_clean_text_whitespace_and_notes():
    text, notes = clean_text("  Profit\u00a0rose\n\n12 %\tin\u200b Q3 ")
    assert text == "Profit rose 12 % in Q3" and notes == []
    _, notes = clean_text("Прибыль выросла at Gazprom")
    assert len(notes) == 1 and "14 character(s)" in notes[0] and "Latin" in notes[0]
    _, notes = clean_text("Profit rose \U0001F680\U0001F680")
    assert len(notes) == 1 and "emoji are ignored" in notes[0]
    text, notes = clean_text("Café Société gained 3 € in trading")  # accented Latin and currency: no note
    assert notes == []


@pytest.mark.parametrize("text, expected", [
    ("Wider-than-expected loss, $3.4bn!", ["widerthanexpected", "loss", "34bn"]),
    ("Didn't BEAT estimates (again).", ["didnt", "beat", "estimates", "again"]),
    ("ÉLAN Corp’s Q3 — up 5%", ["Élan", "corp’s", "q3", "—", "up", "5"]),  # TF lowercases ASCII only
    ("3.75 % at 14:00 -- 50bp", ["375", "at", "1400", "50bp"]),
    ("#1 @home ~ok ^ `q` |p| \\r/ [x]{y}<z>", ["1", "home", "ok", "q", "p", "r", "xyz"]),
    ("a\u00a0b\tc\nd  e", ["a\u00a0b", "c", "d", "e"]),  # TF splits on ASCII whitespace only
    ("", []),
])
def test_tokens_match_text_vectorization(text, expected):
    assert tokens(text) == expected
    assert len(word_spans(text)) == len(expected)


def test_word_spans_point_at_original_words():
    text = "Shares - of ACME-Corp rose, (sharply)!"
    spans = word_spans(text)
    assert [text[a:b] for a, b in spans] == ["Shares", "of", "ACME-Corp", "rose,", "(sharply)!"]
    assert tokens(text) == ["shares", "of", "acmecorp", "rose", "sharply"]


def test_tokens_and_spans_agree_on_whole_corpus():
    for part in ("train", "eval"):
        for text in sentences.bundled(part).texts:
            spans = word_spans(text)
            assert len(tokens(text)) == len(spans)
            assert [tokens(text[a:b])[0] for a, b in spans] == tokens(text)
