import numpy as np
import pandas as pd
import streamlit as st

from core.charts import sentiment as charts
from core.data import sentences
from core.data.sentences import LABELS
from core.errors import UserError
from core.tasks import sentiment as se
from core.tasks.sentiment import calibration, scored
from core.ui import frame, job_panel
from core.ui.page import LessonPage, download_file, download_table
from core.ui.scoring import score

page = LessonPage(se, "se", "News sentiment",
                  "A small network reads financial sentences and says negative, neutral or positive. Beside it, "
                  "always: TF-IDF + logistic regression and a finance lexicon with negation, on the same test "
                  "sentences. Type a headline to see which words drove each answer.")

controls = page.controls
sb = st.sidebar

# ---- data -----------------------------------------------------------------------------------
controls.header("Data", where=sb)
source = controls.select("source", "Sentences", where=sb,
                         format_func=lambda s: {"bundled": "bundled corpus (separate test set)",
                                                "csv": "your labelled file"}[s])
upload = None
if source == "csv":
    upload = controls.upload("CSV text,label (any order) or PhraseBank sentence@label", ["csv", "txt"], where=sb)
    controls.slider("test_fraction", "Test share (stratified)", step=0.05, where=sb)
controls.number("train_rows", "Training sentences used (0 = all)", step=100, where=sb)

controls.header("Network", where=sb)
arch = controls.select("arch", "Architecture", where=sb, horizontal=True,
                       format_func=lambda a: {"bilstm": "BiLSTM", "transformer": "Transformer"}[a])
controls.slider("embed_dim", "Embedding size", step=8, where=sb)
if arch == "bilstm":
    controls.slider("units", "LSTM units per direction", step=4, where=sb)
    controls.slider("lstm_layers", "LSTM layers", where=sb)
else:
    controls.slider("heads", "Attention heads", where=sb)
    controls.slider("ff_dim", "Feed-forward width", step=8, where=sb)
    controls.slider("blocks", "Transformer blocks", where=sb)
controls.number("vocab_size", "Vocabulary size", step=500, where=sb)
controls.slider("seq_len", "Tokens per sentence", step=4, where=sb)
controls.slider("dropout", "Dropout", step=0.05, where=sb)
controls.slider("word_dropout", "Word dropout (training)", step=0.05, where=sb)
controls.select("word_list", "Finance word list as input", where=sb, horizontal=True,
                format_func=lambda w: {"input": "yes", "none": "no"}[w])

controls.header("Training", where=sb)
controls.number("epochs", "Max epochs (early stopping on validation accuracy)", where=sb)
controls.number("min_steps", "Min gradient steps (few sentences: more epochs)", step=100, where=sb)
controls.number("batch_size", "Batch size", step=8, where=sb)
controls.log_slider("learning_rate", "Learning rate", [3e-4, 1e-3, 3e-3, 6e-3, 1e-2, 3e-2], where=sb)
controls.select("class_weights", "Class weights", where=sb, horizontal=True)
controls.slider("patience", "Early-stopping patience", where=sb)
controls.slider("val_fraction", "Validation share of training", step=0.05, where=sb)
controls.number("seed", "Seed", where=sb)

config, data, _ = page.settings_and_data(
    upload, "Upload a labelled file in the sidebar: CSV with a text column and a label column "
    "(negative/neutral/positive), or Financial PhraseBank lines 'sentence@label'." if source == "csv" else None)

result = page.result(live_view=job_panel.live_loss("Live training (cross-entropy)", "se:live"))
m, a = result.metrics, result.arrays

# ---- the network next to its baselines --------------------------------------------------------
tfidf, lexicon = m["baselines"]["tfidf_logreg"], m["baselines"]["lexicon"]
cols = st.columns(4)
cols[0].metric("Network accuracy", f"{m['accuracy']:.1%}")
cols[1].metric("TF-IDF accuracy", f"{tfidf['accuracy']:.1%}", f"{(m['accuracy'] - tfidf['accuracy']) * 100:+.1f} pts "
               "network vs this", delta_color="off")
cols[2].metric("Lexicon accuracy", f"{lexicon['accuracy']:.1%}")
cols[3].metric("Largest class share", f"{m['majority_share']:.1%}")
st.table(charts.table(m).map(lambda v: f"{v:.3f}"))
frame.headline(m["comparisons"])
frame.training_limit(m)
st.caption(f"This run: the network and TF-IDF learned from {m['n_train']:,} training sentences ({m['n_val']:,} more "
           f"stopped the network's training); all three are scored on the same {m['n_test']:,} test sentences. "
           "Always answering the largest class would be right as often as its share. Accuracy differences are "
           "tested with an exact McNemar test on the sentences where the two disagree.")
st.caption(charts.sanity_summary(m["sanity"]))

# ---- try a sentence (an input to the trained run: never retrains) ------------------------------
st.subheader("Try a sentence")
typed = st.text_input("A headline or a sentence from a filing", key="se:typed",
                      value="Brightwater Bank narrowed its quarterly loss but cut its full-year guidance.",
                      max_chars=sentences.MAX_CHARS)

if result.key is None:
    st.info("Scoring typed sentences needs a stored run.")
else:
    try:
        out = score(se, result, {"text": typed, "explain": True})
    except UserError as exc:
        frame.message("error", str(exc))
        out = None
    if out is not None:
        for note in out["notes"]:
            frame.message("caption", note)
        frame.chart(charts.probabilities({k: out["probs"][k] for k in charts.SCORERS}), key="se:probs")
        st.caption("Blue, solid underline: the word pushes towards positive; red, wavy underline: towards negative" +
                   ("; yellow (the Transformer): attention above an even share, which has no direction" if
                    out["transformer"] else "") +
                   ". Full colour: the word moves the odds of positive against negative about 2.7-fold (one "
                   "unit of log-odds) or more, is a whole lexicon term, or gets twice an even share of attention; "
                   "pale words barely count. Hover a word for its weight.")
        for key, name in charts.SCORERS.items():
            how = {"model": out["model_method"], "tfidf_logreg": "word and word-pair contributions, positive minus "
                   "negative", "lexicon": "matched terms, flipped after a negation"}[key]
            label = LABELS[int(np.argmax(out["probs"][key]))]
            unsure = key == "model" and out["unsure"]
            verdict = f"unsure (leaning {label}: {out['unsure']})" if unsure else label
            st.markdown(f"**{name}: {verdict}** · <small>{how}</small>", unsafe_allow_html=True)
            attention = key == "model" and out["transformer"]
            st.markdown(charts.highlight(out["text"], out["spans"], out["weights"][key], signed=not attention,
                                         fade=out["confidence"] if unsure else 1.0),
                        unsafe_allow_html=True)
        if out["transformer"] and len(out["words"]):
            maps = np.asarray(out["attention"])
            block = st.selectbox("Block", range(maps.shape[0]), format_func=[f"block {b + 1}" for b in range(maps.shape[0])].__getitem__,
                                 key="se:block") if maps.shape[0] > 1 else 0
            frame.chart(charts.attention(maps, out["words"], block), key="se:attention")
            st.caption("Attention shows where information flows between words, not proof of what decided the "
                       "class: compare it with the gradient view of a BiLSTM run.")

# ---- views --------------------------------------------------------------------------------------


def per_class_tab() -> None:
    st.dataframe(charts.per_class(m).style.format({"precision": "{:.3f}", "recall": "{:.3f}", "F1": "{:.3f}"}),
                 hide_index=True)


def confusion_tab() -> None:
    for col, key in zip(st.columns(3), charts.SCORERS):
        frame.chart(charts.confusion(m, key), key=f"se:cm:{key}", where=col)


def misclassified_tab() -> None:
    predicted = a["probs_model"].argmax(1)
    wrong = np.flatnonzero(predicted != a["y_test"])
    table = pd.DataFrame({"sentence": a["test_texts"][wrong], "label": [LABELS[i] for i in a["y_test"][wrong]],
                          "network": [LABELS[i] for i in predicted[wrong]],
                          "confidence": a["probs_model"][wrong].max(1),
                          "TF-IDF": [LABELS[i] for i in a["probs_tfidf_logreg"][wrong].argmax(1)],
                          "lexicon": [LABELS[i] for i in a["pred_lexicon"][wrong]]})
    st.caption(f"{len(wrong)} of {len(predicted)} test sentences; most confident mistakes first. Paste one into "
               "'Try a sentence' to see why.")
    st.dataframe(table.sort_values("confidence", ascending=False), hide_index=True,
                 column_config={"confidence": st.column_config.ProgressColumn(min_value=0, max_value=1,
                                                                              format="%.2f")})


def negation_tab() -> None:
    neg = m["negation"]
    if neg["n"]:
        st.table(pd.DataFrame({"accuracy": {charts.SCORERS[k]: f"{neg[k]:.3f}" for k in charts.SCORERS}}))
        st.caption(f"The {neg['n']} test sentences with a negation cue ('not', 'no longer', 'failed to'...): "
                   "word counts cannot see what a 'not' applies to; a sequence model can learn it, given "
                   "enough examples.")
    else:
        st.info("No test sentence contains a negation cue.")


def plain_sentences_tab() -> None:
    misses = charts.sanity_misses(a)
    st.caption(f"The sanity set: {m['sanity']['n']} short, clear-cut sentences a student might type, written "
               "separately and never trained on. Below: every one that at least one scorer gets wrong (✗).")
    if len(misses):
        st.dataframe(misses, hide_index=True)
    else:
        st.success("All three scorers get every plain sentence right.")


def calibration_tab() -> None:
    c = m["calibration"]
    frame.chart(charts.reliability({
        "raw softmax": calibration.reliability(a["probs_model_uncalibrated"], a["y_test"]),
        f"temperature-scaled (T = {c['temperature']:.2f})": calibration.reliability(a["probs_model"], a["y_test"])}),
        key="se:reliability")
    st.caption(charts.calibration_summary(c))


def training_tab() -> None:
    frame.chart(charts.training(result), key="se:loss")
    st.caption(f"{m['epochs_run']} epochs; best validation accuracy {m['val_accuracy']:.3f} at epoch "
               f"{m['best_epoch']} (its weights are kept); {m['n_train']} training and {m['n_val']} validation "
               f"sentences, vocabulary {m['vocabulary']} words. Training: "
               + frame.training_time(result) + ".")
    frame.training_limit(m)


def _score_file(content: bytes):
    """The file's sentences and every scorer's answers, one chunk per request to the worker."""
    table = scored.read(content)
    bar = st.progress(0.0, text="Scoring…")
    scores = scored.score(table.texts, lambda texts: score(se, result, {"texts": texts}),
                          lambda done, total: bar.progress(done / total, text=f"Scored {done} of {total}"))
    bar.empty()
    return table, scores


def score_file_tab() -> None:
    file = st.file_uploader("Sentences to score: CSV with a text column (optional date column)", ["csv", "txt"],
                            key="se:score-file")
    if file is None or result.key is None:
        return
    scored_key = f"se:scored:{result.key}:{file.file_id}"
    if scored_key not in st.session_state:
        try:
            st.session_state[scored_key] = _score_file(file.getvalue())
        except UserError as exc:
            frame.message("error", str(exc))
    if scored_key not in st.session_state:
        return
    table, scores = st.session_state[scored_key]
    for note in table.notes:
        frame.message("caption", note)
    out = scored.table(table, scores)
    st.dataframe(out.head(1000), hide_index=True)
    download_table("Scored sentences (CSV)", out, "sentiment_scores.csv")
    if table.dates is not None:
        frame.chart(charts.daily(table.dates, scores["probs_model"]), key="se:daily")


def downloads_tab() -> None:
    download_table("Test sentences with predictions (CSV)", pd.DataFrame({
        "text": a["test_texts"], "label": [LABELS[i] for i in a["y_test"]],
        "network": [LABELS[i] for i in a["probs_model"].argmax(1)]}), "sentiment_test.csv")
    if "model.keras" in result.files:
        download_file("Network with its vectorizer (.keras, string input)", result, "model.keras", "sentiment.keras")
        st.caption("Load with keras.saving.load_model after `import core.tasks.sentiment.layers` (it registers "
                   "the project's layers); the input is a batch of strings, each passed through "
                   "`core.data.masking.mask` first as this page does (names and figures replaced); the output is "
                   "the calibrated probabilities.")


page.tabs({"Per class": per_class_tab, "Confusion": confusion_tab, "Misclassified": misclassified_tab,
           "Negation": negation_tab, "Plain sentences": plain_sentences_tab, "Calibration": calibration_tab,
           "Training": training_tab, "Score a file": score_file_tab,
           "Downloads": downloads_tab})
