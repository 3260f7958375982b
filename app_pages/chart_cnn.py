import numpy as np
import pandas as pd
import streamlit as st

from core.charts import chart_cnn as charts
from core.tasks import chart_cnn as cc
from core.tasks.chart_cnn.config import IMAGE_LABELS, SOURCE_LABELS
from core.ui import frame, job_panel
from core.ui.page import LessonPage, download_file, download_table

page = LessonPage(cc, "cc", "A CNN reads price charts",
                  "Traders look at charts. Here a convolutional network does too: each window of daily bars is drawn "
                  "as a small black-and-white image (Jiang, Kelly and Xiu, 2023) and the network says whether the "
                  "price will be higher after the next days. Next to it, always: the base rate, momentum and a "
                  "logistic regression that read the same days as numbers, on the same test windows.")

controls = page.controls
sb = st.sidebar

controls.header("Data", where=sb)
source = controls.select("source", "Price source", where=sb, format_func=lambda s: SOURCE_LABELS[s])
upload = None
if source == "csv":
    upload = controls.upload("CSV: a date column, Open, High, Low, Close, optional Volume", ["csv"], where=sb)
elif source in ("gbm", "planted"):
    controls.number("n_days", "Trading days", step=1000, where=sb)
    controls.number("data_seed", "Series seed", where=sb)
    if source == "planted":
        controls.number("drift", "Drift after each burst (log return a day)", step=0.002, fmt="%.3f", where=sb)
if source in ("sp500", "nasdaq", "csv"):
    c1, c2 = sb.columns(2)
    controls.text("start", "From (YYYY-MM-DD)", where=c1)
    controls.text("end", "To (YYYY-MM-DD)", where=c2)

controls.header("Images", where=sb)
controls.select("window", "Days in each image", where=sb, horizontal=True)
controls.select("horizon", "Predict the next ... days", where=sb, horizontal=True)
image = controls.select("image", "Drawing", where=sb, format_func=lambda s: IMAGE_LABELS[s])
if image == "ohlc":
    controls.select("moving_average", "Moving average line", [True, False], where=sb, horizontal=True,
                    format_func=lambda v: "on" if v else "off")
    controls.select("volume", "Volume bars", [True, False], where=sb, horizontal=True,
                    format_func=lambda v: "on" if v else "off")

controls.header("Network", where=sb)
controls.slider("blocks", "Convolution blocks", where=sb)
controls.number("filters", "Filters in the first block", step=4, where=sb)
controls.slider("dropout", "Dropout", step=0.05, where=sb)

controls.header("Training", where=sb)
controls.number("epochs", "Max epochs (early stopping on validation)", where=sb)
controls.number("batch_size", "Batch size", step=32, where=sb)
controls.log_slider("learning_rate", "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], where=sb)
controls.slider("patience", "Early-stopping patience", where=sb)
controls.number("seed", "Seed", where=sb)
controls.slider("val_fraction", "Validation share", step=0.05, where=sb)
controls.slider("test_fraction", "Test share", step=0.05, where=sb)
controls.number("cost_bps", "Toy backtest cost per trade (bps)", step=1.0, where=sb)

config, data, _ = page.settings_and_data(
    upload, "Upload an OHLC CSV in the sidebar: a date column and Open, High, Low, Close (Volume optional)."
    if source == "csv" else None)
result = page.result(live_view=job_panel.live_loss("Live loss (cross-entropy)", "cc:live"))
m, a = result.metrics, result.arrays
scorers = m["scorers"]

cols = st.columns(5)
model_acc = scorers["model"]["accuracy"]
cols[0].metric("CNN test accuracy", f"{model_acc:.1%}",
               f"{(model_acc - scorers['base_rate']['accuracy']) * 100:+.1f} pts vs base rate", delta_color="off")
cols[1].metric("CNN test AUC", "n/a" if scorers["model"]["auc"] is None else f"{scorers['model']['auc']:.3f}")
cols[2].metric("Share of up windows (test)", f"{m['share_up_test']:.1%}")
cols[3].metric("Test windows", f"{m['n_test']}")
cols[4].metric("Training time", frame.training_time(result))
frame.headline(m["comparisons"])
frame.training_limit(m)


def accuracy_tab() -> None:
    frame.chart(charts.accuracy(m), key="cc:accuracy")
    table = pd.DataFrame([{"scorer": s["label"], "test accuracy": s["accuracy"],
                           "test AUC": s["auc"]} for s in scorers.values()])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                                "test AUC": st.column_config.NumberColumn(format="%.3f")})
    st.caption(f"The same {m['n_test']} test windows ({m['test_start']} to {m['test_end']}) for every scorer, each "
               f"with a future of {config.horizon if config else '?'} days that no other window shares; "
               f"{m['gap_images']} image(s) dropped before validation and before test so that no training outcome "
               "is drawn in a later image. Base rate: always the training period's majority direction "
               f"({'up' if m['share_up_train'] >= 0.5 else 'down'}, {m['share_up_train']:.1%} up in training).")
    planted = m.get("planted")
    if planted and planted.get("model_accuracy_on_planted") is not None:
        st.caption(f"Test windows ending on a planted burst: {planted['n_test']}; the CNN is right on "
                   f"{planted['model_accuracy_on_planted']:.0%} of them.")


def _titles(positions, probs, labels) -> list[str]:
    return [f"P(up) {probs[i]:.2f}, went {'up' if labels[i] else 'down'}" for i in positions]


def gallery_tab() -> None:
    st.markdown("**From the training images**: what the network learns from, three of each class. Each day is "
                "three pixels wide: the open's tick on the left, the high-low bar, the close's tick on the right; "
                "the line is the moving average, the bars at the bottom the volume.")
    frame.chart(charts.images(a["gallery"], [f"went {'up' if y else 'down'}" for y in a["gallery_labels"]]),
                key="cc:gallery")


def explained_tab() -> None:
    st.markdown("**The most confident right and wrong test images**, each with its occlusion map: the bar under a "
                "day is how much P(up) moves when that day is blanked out (blue: towards up, red: towards down). "
                "It measures the network's reaction, not a cause in the market.")
    shown = a["explained"]
    frame.chart(charts.images(a["test_images"][shown], _titles(shown, a["probs_model"], a["test_labels"]),
                              occlusion=a["occlusion"][shown]), key="cc:explained")
    n = len(a["test_labels"])
    pick = st.number_input(f"Any test image: its number (1 = {a['test_dates'][0]}, {n} = {a['test_dates'][-1]})",
                           1, n, 1, key="cc:pick") - 1
    left, right = st.columns([2, 3])
    frame.chart(charts.images(a["test_images"][[pick]], _titles([pick], a["probs_model"], a["test_labels"]),
                              columns=1, occlusion=a["occlusion"][[pick]]), key="cc:picked", where=left)
    right.caption(f"Test image {pick + 1}: the window of {config.window if config else '?'} days ending "
                  f"{a['test_dates'][pick]}. Under it, the change of P(up) when each day is blanked.")


def time_tab() -> None:
    frame.chart(charts.by_year(m), key="cc:years")


def backtest_tab() -> None:
    frame.chart(charts.backtest(result), key="cc:backtest")
    strategy, hold = float(a["equity_strategy"][-1]), float(a["equity_buy_and_hold"][-1])
    st.caption(f"A teaching toy, not a strategy: long over the next {config.horizon if config else '?'} days when the "
               f"CNN says up, in cash otherwise, {config.cost_bps if config else '?'} bps per change; no slippage, "
               f"taxes or interest on cash. Growth of 1: {strategy:.3f} against buy and hold's {hold:.3f}. Its "
               "accuracy is compared with always betting on the majority direction in the table above.")


def training_tab() -> None:
    fig = charts.training(result)
    if fig is not None:
        frame.chart(fig, key="cc:loss")
    st.caption(f"{m['epochs_run']} epochs, best validation loss at epoch {m['best_epoch']} (its weights are kept).")


def downloads_tab() -> None:
    table = pd.DataFrame({"window_end": a["test_dates"], "went_up": a["test_labels"],
                          **{f"p_up_{key}": np.round(a[f"probs_{key}"], 4) for key in cc.SCORERS}})
    download_table("Test windows and every scorer's P(up) (CSV)", table, "chart-cnn-test.csv")
    download_file("Trained CNN (.keras)", result, "model.keras", "chart-cnn.keras")


page.tabs({"Accuracy": accuracy_tab, "Gallery": gallery_tab, "Right and wrong": explained_tab, "Over time": time_tab, "Toy backtest": backtest_tab,
           "Training": training_tab, "Downloads": downloads_tab})
