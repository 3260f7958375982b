import numpy as np
import pandas as pd
import streamlit as st

from core import classification
from core.charts import anomaly as charts
from core.charts import confusion as confusion_chart
from core.tasks import anomaly as an
from core.tasks.anomaly import thresholds
from core.ui import frame, job_panel
from core.ui.page import LessonPage, download_file, download_table

page = LessonPage(an, "an", "Autoencoder anomaly detection",
                  "An autoencoder learns what normal rows look like and flags the ones it cannot reconstruct. Next "
                  "to it, always: PCA (a linear autoencoder) and IsolationForest on the same rows. When a baseline "
                  "does better, the page says so.")

controls = page.controls
sb = st.sidebar

# ---- data -----------------------------------------------------------------------------------
controls.header("Data", where=sb)
source = controls.select("source", "Data", where=sb,
                         format_func=lambda s: {"transactions": "card transactions (generated, known fraud)",
                                                "market": "market days (S&P 500 / NASDAQ, stress days)",
                                                "csv": "your CSV"}[s])
upload = None
if source == "transactions":
    controls.slider("customers", "Customers", step=50, where=sb)
    controls.slider("days", "Days", step=10, where=sb)
    controls.log_slider("fraud_rate", "Fraud rate", [0.001, 0.002, 0.005, 0.01, 0.02, 0.05], where=sb)
    controls.number("data_seed", "Data seed", where=sb)
elif source == "market":
    controls.select("index", "Index", where=sb, format_func=lambda s: {"sp500": "S&P 500", "nasdaq": "NASDAQ"}[s])
else:
    upload = controls.upload("CSV: numeric columns, optional label/Class/y (1 = anomaly), rows in time order",
                             ["csv"], where=sb)
    controls.select("order", "Row order", where=sb, horizontal=True,
                    format_func=lambda s: {"file": "file order (time)", "shuffled": "shuffled (not in time order)"}[s])
controls.select("scaling", "Scaling (fitted on training rows)", where=sb)

controls.header("Autoencoder", where=sb)
if source == "market":
    controls.select("model", "Network", where=sb, horizontal=True,
                    format_func=lambda s: {"dense": "dense (features)", "conv1d": "1-D conv (return window)"}[s])
controls.int_list("encoder", "Encoder layers (conv1d: filters)", where=sb)
controls.slider("bottleneck", "Bottleneck", where=sb)
controls.select("activation", "Activation", where=sb, horizontal=True)
controls.slider("dropout", "Dropout", step=0.05, where=sb)
controls.select("train_on", "Train on", where=sb, horizontal=True,
                format_func=lambda s: {"normal": "normal rows only", "all": "all rows"}[s])

controls.header("Training", where=sb)
controls.number("epochs", "Max epochs (early stopping on validation)", where=sb)
controls.number("min_steps", "Min gradient steps (small data: more epochs)", step=100, where=sb)
controls.number("batch_size", "Batch size", step=64, where=sb)
controls.log_slider("learning_rate", "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1], where=sb)
controls.slider("patience", "Early-stopping patience", where=sb)
controls.number("seed", "Seed", where=sb)
controls.slider("val_fraction", "Validation share", step=0.05, where=sb)
controls.slider("test_fraction", "Test share", step=0.05, where=sb)

config, data, _ = page.settings_and_data(
    upload, "Upload a CSV in the sidebar: numeric columns, optionally a label column (label, Class or "
    "y; 1 = anomaly), one row per event in time order." if source == "csv" else None)

result = page.result(live_view=job_panel.live_loss("Live reconstruction loss", "an:live"))
m, a = result.metrics, result.arrays
if "y_test" not in a:
    st.info("No labels: the scores below rank rows by how unusual they are; without labels nothing can say how "
            "many true anomalies they catch.")

# ---- the model next to its baselines ----------------------------------------------------------
k = st.columns([1, 3])[0].number_input("Alerts a team can review (k)", 1, max(1, m["n_test"]),
                                       min(an.K_ALERTS, m["n_test"]), key="an:k",
                                       help="A view setting: precision@k recomputes from the stored scores.")
if "y_test" in a:
    y = a["y_test"]
    rows = {}
    for key, label in charts.SCORERS.items():
        c = classification.curves(y, a[f"{key}_test"])
        rows[label] = {"ROC-AUC": c["roc_auc"], "PR-AUC": c["pr_auc"],
                       f"precision@{k}": classification.precision_at_k(y, a[f"{key}_test"], k)}
    table = pd.DataFrame(rows).T
    st.table(table.map(lambda v: "n/a" if v is None else f"{v:.3f}"))
    share = float(np.mean(y))
    st.caption(f"{m['n_test']} test rows, {int(y.sum())} anomalies ({share:.2%}): always answering 'normal' would "
               f"be {1 - share:.2%} accurate, so accuracy is not shown.")
    frame.headline(m["comparisons"])
if (m.get("label_order") or {}).get("suspect"):
    st.warning(m["label_order"]["sentence"])
frame.training_limit(m)

# ---- threshold (a view setting) ---------------------------------------------------------------
c1, c2 = st.columns([2, 1])
rules = [r for r in thresholds.RULES if r != "best_f1" or ("y_val" in a and a["y_val"].any())]
reported = m.get("threshold") or {}  # the rule the run reports (runs stored before it: the old default)
first = reported.get("rule", rules[-1])
rule = c1.selectbox("Threshold rule", rules, index=rules.index(first) if first in rules else len(rules) - 1,
                    key="an:rule", format_func={r: f"{r}: {thresholds.EXPLAIN[r]}" for r in rules}.__getitem__)
if rule == reported.get("rule") and "why" in reported:
    c1.caption(f"The run's own threshold: {reported['why']}.")
k_std = c2.number_input("k (mean + k·std)", 0.0, 20.0, 1.0, 0.5, key="an:kstd") if rule == "mean_std" else 1.0
contamination = (c2.number_input("expected anomaly share", 0.0001, 0.5, reported.get("contamination", 0.01),
                                 format="%.4f", key="an:contamination") if rule == "contamination" else 0.01)
cut = thresholds.threshold(rule, a["ae_train"], a["ae_val"], a.get("y_val"), k=k_std, contamination=contamination)
flagged = a["ae_test"] >= cut
if "y_test" in a:
    at = classification.binary_metrics(a["y_test"], flagged.astype(float))
    cols = st.columns(5)
    cols[0].metric("Threshold", f"{cut:.3g}")
    cols[1].metric("Flagged test rows", f"{int(flagged.sum())}")
    cols[2].metric("Precision", f"{at['precision']:.1%}")
    cols[3].metric("Recall", f"{at['recall']:.1%}")
    cols[4].metric("F1", f"{at['f1']:.3f}")
    c1, c2 = st.columns([1, 2])
    frame.chart(confusion_chart.matrix(at["confusion"], ["normal", "anomaly"], "At this threshold (test rows)",
                                       height=260), key="an:confusion", where=c1)
    (tn, fp), (fn, tp) = at["confusion"]
    c2.markdown(f"**{tp}** anomalies caught, **{fn}** missed, **{fp}** false alarms, **{tn}** normal rows passed. "
                f"Precision@{k} (the top {k} scores, whatever the threshold): "
                f"{classification.precision_at_k(a['y_test'], a['ae_test'], k):.0%}.")
else:
    st.metric("Flagged test rows", f"{int(flagged.sum())} of {len(flagged)}")

# ---- views --------------------------------------------------------------------------------------
labelled_anomalies = "y_test" in a and a["y_test"].any()  # curves and the sweep need some


def errors_tab() -> None:
    log_y = st.toggle("Log scale", key="an:log")
    frame.chart(charts.error_histogram(result, cut, log_y), key="an:hist")
    st.caption("The baselines' scores live on their own scales (PCA: reconstruction error of a linear model; "
               "IsolationForest: path length): compare them by rank in 'ROC & PR', 'Threshold sweep' and 'Costs'.")


def roc_pr_tab() -> None:
    if labelled_anomalies:
        frame.chart(charts.roc_pr(result), key="an:roc")
    else:
        st.info("Curves need labelled anomalies in the test rows.")


def sweep_tab() -> None:
    if labelled_anomalies:
        frame.chart(charts.threshold_sweep(result, cut), key="an:sweep")
    else:
        st.info("The sweep needs labelled anomalies in the test rows.")


def latent_tab() -> None:
    frame.chart(charts.latent(result), key="an:latent")
    st.caption("The code in the middle of the network: anomalies that land among normal rows are the ones the "
               "reconstruction error cannot separate.")


def why_flagged_tab() -> None:
    order = a["explain_rows"]
    labels = [f"#{i + 1}: error {a['ae_test'][row]:.3g}" + (f", label {int(a['y_test'][row])}" if "y_test" in a
                                                              else "") for i, row in enumerate(order[:50])]
    pick = st.selectbox("One of the highest-scored test rows", range(len(labels)), format_func=labels.__getitem__,
                        key="an:explain")
    frame.chart(charts.why_flagged(result, pick), key="an:why")


def timeline_tab() -> None:
    if "dates_test" in a:
        frame.chart(charts.timeline(result, cut), key="an:timeline")
    else:
        st.info("The timeline is for market days: choose 'market days' as data.")


def costs_tab() -> None:
    if "amount_test" in a and "y_test" in a:
        review = st.columns([1, 3])[0].number_input("Cost of reviewing one alert", 0.0, 1e6, 5.0, 1.0, key="an:review")
        frame.chart(charts.costs(result, review), key="an:costs")
        st.caption("Alerts are reviewed from each scorer's highest score down; a caught fraud saves its amount.")
    else:
        st.info("The cost view needs amounts and labels (card transactions, or a CSV with amount and label).")


def training_tab() -> None:
    frame.chart(charts.training(result), key="an:loss")
    st.caption(f"{m['epochs_run']} epochs, best validation loss {m['val_loss']:.4f} at epoch {m['best_epoch']}; "
               f"trained on {m['n_train']} rows ({m['train_on']}). Training: "
               + frame.training_time(result) + ".")
    frame.training_limit(m)


def downloads_tab() -> None:
    scored = pd.DataFrame({f"{key}_score": a[f"{key}_test"] for key in charts.SCORERS})
    scored.insert(0, "test_row", np.arange(len(scored)))
    if "dates_test" in a:
        scored.insert(1, "date", a["dates_test"])
    if "y_test" in a:
        scored["label"] = a["y_test"]
    scored["flagged"] = flagged.astype(int)
    download_table("Scored test rows (CSV)", scored, "anomaly_scores.csv")
    if "model.keras" in result.files:
        download_file("Autoencoder (.keras)", result, "model.keras", "autoencoder.keras")


page.tabs({"Errors": errors_tab, "ROC & PR": roc_pr_tab, "Threshold sweep": sweep_tab, "Latent space": latent_tab,
           "Why flagged": why_flagged_tab, "Timeline": timeline_tab, "Costs": costs_tab, "Training": training_tab,
           "Downloads": downloads_tab})
