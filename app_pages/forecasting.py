import json

import pandas as pd
import streamlit as st

from core.charts import forecast as charts
from core.classification import ALPHA
from core.tasks import forecast as fc
from core.tasks.forecast import walk_forward as wf_task
from core.ui import frame, job_panel
from core.ui.page import LessonPage, download_file, download_table

page = LessonPage(fc, "fc", "LSTM forecasting, honestly",
                  "Can a recurrent network forecast stock returns? Every model here stands next to the random "
                  "walk ('tomorrow = today'), drift and historical-mean baselines, on a chronological test slice it "
                  "never saw and, on request, in a walk-forward backtest. When the model does not beat the random "
                  "walk, the page says so.")

controls = page.controls
sb = st.sidebar

# ---- data -----------------------------------------------------------------------------------------
controls.header("Data", where=sb)
SOURCE_LABELS = {"sp500": "S&P 500 1999-2018 (bundled)", "nasdaq": "NASDAQ Composite 1999-2018 (bundled)",
                 "yahoo": "Yahoo Finance ticker (online)", "gbm": "Synthetic: geometric Brownian motion",
                 "regime": "Synthetic: two-regime switching", "csv": "Upload a CSV"}
source = controls.select("source", "Price source", where=sb, format_func=lambda s: SOURCE_LABELS.get(s, s))
upload = None
if source == "yahoo":
    controls.text("ticker", "Ticker (Yahoo Finance)", where=sb)
    controls.select("period", "Period", where=sb, horizontal=True)
    controls.select("interval", "Interval", where=sb, horizontal=True)
    controls.note("Needs internet. Each download is cached on the server, so a repeat works offline.", where=sb,
                  about="ticker")
elif source == "csv":
    upload = controls.upload("CSV: a date column and a price column (Close / Adj Close / price), optional Volume",
                             ["csv"], where=sb)
elif source in ("gbm", "regime"):
    controls.number("data_seed", "Series seed", where=sb)
c1, c2 = sb.columns(2)
controls.text("start", "From (YYYY-MM-DD)", where=c1)
controls.text("end", "To (YYYY-MM-DD)", where=c2)

controls.header("Target and inputs", where=sb)
controls.select("target", "Predict", where=sb, horizontal=True,
                format_func=lambda t: {"log_return": "log return", "price": "price level"}[t])
controls.slider("horizon", "Horizon (steps ahead)", where=sb)
controls.slider("lookback", "Lookback window", where=sb)
controls.multiselect("features", "Input features", where=sb,
                     format_func=lambda f: f"{f}: {fc.FEATURE_HELP.get(f, '')}")

controls.header("Model", where=sb)
controls.select("model", "Network", where=sb, format_func=lambda m: fc.MODEL_LABELS[m])
controls.slider("layers", "Layers", where=sb)
controls.number("units", "Units per layer", step=8, where=sb)
controls.slider("dropout", "Dropout", step=0.05, where=sb)

controls.header("Training", where=sb)
controls.number("epochs", "Max epochs (early stopping on validation)", where=sb)
controls.number("min_steps", "Min gradient steps (short series: more epochs)", step=100, where=sb)
controls.number("batch_size", "Batch size", step=32, where=sb)
controls.log_slider("learning_rate", "Learning rate", [1e-4, 3e-4, 1e-3, 2e-3, 4e-3, 1e-2, 3e-2, 0.1], where=sb)
controls.slider("patience", "Early-stopping patience", where=sb)
controls.number("seed", "Seed", where=sb)

controls.header("Evaluation", where=sb)
controls.slider("val_fraction", "Validation share", step=0.05, where=sb)
controls.slider("test_fraction", "Test share", step=0.05, where=sb)
controls.slider("walk_forward", "Walk-forward windows", where=sb)
controls.slider("interval_level", "Prediction interval level", step=0.01, where=sb)
controls.number("cost_bps", "Toy backtest cost per trade (bps)", step=1.0, where=sb)

config, data, error = page.settings_and_data(
    upload, "Upload a CSV in the sidebar: a date column plus a price column (Close, Adj Close or "
    "price), optionally Volume." if source == "csv" else None)
if error and source == "yahoo":
    st.info("The bundled S&P 500 and NASDAQ data (1999-2018) work offline: choose them as price source.")
if data is not None:
    for finding in data.quality:  # bad ticks, format errors: they can decide the verdict
        frame.message("warning" if finding.severity == "warning" else "caption", "Data quality: " + finding.message)


def trains_on_its_own(config) -> bool:
    """Training waits for the Train button (every edit of a date or a slider would start a run),
    except for the defaults and the presets: a first visit shows the default run, never "press
    Train", and choosing a lesson shows its run. Other settings from a link show at once when
    stored, else wait for the button like any change."""
    return config is not None and config in (fc.Config(), *(fc.Config(**p.settings) for p in fc.PRESETS.values()))


result = page.result(auto=trains_on_its_own(config),
                     live_view=job_panel.live_loss("Live loss (scaled MSE)", "fc:live"))

m = result.metrics
# green only for robust, significant wins (core/tasks/forecast/verdict.py decides each comparison)
frame.headline(m["comparisons"])
frame.training_limit(m)
for finding in m.get("data_quality") or []:
    if finding.get("severity") == "warning" and data is None:  # a result from a link or the store
        frame.message("warning", "Data quality: " + finding["message"])
interval_check = (m.get("interval") or {}).get("check") or {}
if interval_check.get("status") == "failing":
    st.error(interval_check["message"])
if m.get("price_fit"):
    fit = m["price_fit"]
    st.info(f"Price-level illusion: R² of the price forecast is {fit['r2']:.4f}, which looks superb, but the naive "
            f"'tomorrow = today' forecast scores {fit['naive_r2']:.4f} on the same days. Judge it on the returns it "
            "implies (the table's MASE, direction hit rate and the DM test).")

is_return = m.get("target", "log_return") == "log_return"


def _level(x) -> str:
    """Returns in percent (0.82 %), prices as they are: the units of the metrics table."""
    return charts.formatted(x, "level", is_return)


def _colour(p_value) -> str:
    """Lower is better: green/red only when the test says the difference is real, grey otherwise."""
    return "inverse" if p_value is not None and p_value < ALPHA else "off"


model_mase, naive_mase = m["model"]["mase"], m["naive"]["mase"]
robust = m.get("robustness") or {}
cols = st.columns(5)
cols[0].metric("Model RMSE", _level(m["model"]["rmse"]),
               charts.formatted((m["model"]["rmse"] / m["naive"]["rmse"] - 1) * 100, "signed_pct") + " vs naive"
               if m["naive"]["rmse"] else None,
               delta_color=_colour((m.get("dm") or {}).get("p_value")))
cols[1].metric("Naive RMSE", _level(m["naive"]["rmse"]))
cols[2].metric("MASE (model)", "n/a" if model_mase is None else f"{model_mase:.3f}",
               None if model_mase is None or naive_mase is None else f"{model_mase - naive_mase:+.4f} vs naive",
               delta_color=_colour((robust.get("dm_absolute") or {}).get("p_value")))
cols[3].metric("Direction hit rate", charts.formatted(m["model"]["directional_accuracy"], "share"))
cols[4].metric("Test points", f"{m['n_test']}")
table = charts.metrics_table_text(result)
if is_return:  # sMAPE explodes when actual and forecast returns are both near zero: not meaningful here
    table = table.drop(columns=[c for c in table.columns if "sMAPE" in str(c)])
st.table(table)
robust = m.get("robustness") or {}
if robust:
    dma = robust.get("dm_absolute") or {}
    st.caption(f"Robust view: {robust['concentration']['sentence']} Absolute-error Diebold-Mariano p = "
               f"{'n/a' if dma.get('p_value') is None else format(dma['p_value'], '.2g')}"
               + (f"; {robust['flagged_test_days']} flagged bad-data day(s) in the test slice"
                  if robust.get("flagged_test_days") else "") + ".")
st.caption("Step-1 forecasts on the test slice. MASE divides each MAE by the in-sample MAE of the naive forecast "
           "(zero return for returns, yesterday's price for prices): compare model and naive in the same column. "
           "Training: " + frame.training_time(result) +
           f", {m.get('epochs_run', '?')} epochs (best {m.get('best_epoch', '?')}).")
for note in result.info.get("notes", []):
    if data is None or note not in data.notes:  # the data's own notes are already under the title
        st.caption(f"Note: {note}.")



def forecast_tab() -> None:
    horizon = int(result.arrays["forecast"].shape[1])
    c1, c2 = st.columns(2)
    window = c1.select_slider("Show", ["last 60 days", "last 120 days", "last 250 days", "whole test slice"],
                              value="last 120 days", key="fc:window")
    step = c2.slider("Forecast step", 1, horizon, 1, key="fc:step") if horizon > 1 else 1
    last = None if window.startswith("whole") else int(window.split()[1])
    frame.chart(charts.forecast_figure(result, config, step=step, last=last), key="fc:forecast")
    interval = m.get("interval") or {}
    if interval:
        st.caption(f"Conformal {interval.get('level', 0):.0%} prediction interval from validation residuals: "
                   f"measured test coverage {charts.formatted(interval.get('coverage'), 'share')}, mean width "
                   f"{_level(interval.get('mean_width'))}.")


def split_tab() -> None:
    frame.chart(charts.split_figure(result, config), key="fc:split")
    parts = result.info.get("splits", {})
    st.caption("Chronological split: the scaler and the network only ever see the training rows; early stopping "
               "watches the validation rows; the test rows are touched once, for the numbers above. " +
               " · ".join(f"{name}: {p['start']} to {p['end']} ({p['rows']} rows)" for name, p in parts.items()))


def horizon_tab() -> None:
    frame.chart(charts.per_horizon_figure(result), key="fc:horizon")


def lag_tab() -> None:
    frame.chart(charts.lag_figure(result), key="fc:lag")
    st.write((m.get("lag_correlation") or {}).get("sentence", ""))


def walk_forward_tab() -> None:
    # its own cached job: the verdict above stays on the chronological test slice
    if config is None or data is None:
        st.info("Choose valid settings and data first.")
        return
    if config.walk_forward < 2:
        st.info("Set 'Walk-forward windows' to 2 or more to re-fit the model window by window on all data before each.")
        return
    st.caption(f"Cuts the test slice into {config.walk_forward} windows and re-fits the model before each on "
               "all earlier rows (a separate run: it trains the model several times).")
    wf_result = job_panel.run(wf_task, config, data, auto=False, slot="fc-walk-forward",
                              button_label="Run walk-forward")
    if wf_result is not None:
        wf = wf_result.metrics.get("walk_forward") or {}
        st.write(wf.get("sentence", ""))
        frame.chart(charts.walk_forward_figure(wf_result), key="fc:wf")
        st.dataframe(charts.walk_forward_table(wf_result), width="stretch")
        st.caption(f"Method: {wf.get('method', '')}. Training: "
                   + frame.training_time(wf_result) + ".")


def backtest_tab() -> None:
    st.caption("A teaching toy: long when the forecast return is positive, short when it is negative, paying the cost "
               "per unit of position change. No slippage, no borrowing costs, no risk management: not investment advice.")
    frame.chart(charts.backtest_figure(result), key="fc:backtest")
    if (m.get("backtest") or {}).get("caveat"):
        st.info(m["backtest"]["caveat"])
    st.table(charts.backtest_table(result))


def training_tab() -> None:
    frame.chart(charts.loss_figure(result), key="fc:loss")
    frame.training_limit(m)
    st.code(charts.summary_text(result), language="text")


def downloads_tab() -> None:
    a = result.arrays
    download_table("Forecasts (CSV)", pd.DataFrame({
        "date": pd.to_datetime(a["test_dates"]), "actual": a["actual"][:, 0], "model": a["forecast"][:, 0],
        "naive": a["naive"][:, 0], "drift": a["drift"][:, 0], "mean": a["mean"][:, 0], "lower": a["lower"][:, 0],
        "upper": a["upper"][:, 0]}), "forecasts.csv")
    download_table("Backtest equity (CSV)", pd.DataFrame({"strategy": a["equity_strategy"],
                                                          "buy_and_hold": a["equity_buy_hold"]}), "backtest.csv")
    if "model.keras" in result.files:
        download_file("Trained model (.keras)", result, "model.keras", "forecast_model.keras")
        preprocessing = {"features": result.info.get("features"), "target": result.info.get("target"),
                         "lookback": config.lookback if config is not None else None,
                         "scaler": result.info.get("scaler")}
        st.download_button("Inputs and scaler for the model (JSON)", json.dumps(preprocessing, indent=2),
                           "forecast_preprocessing.json", "application/json",
                           help="The model expects standardised inputs: (x - x_mean) / x_std per feature, in this "
                                "order; its output times y_std plus y_mean is the forecast.")


page.tabs({"Forecast": forecast_tab, "Series and split": split_tab, "Per horizon": horizon_tab,
           "Is it just lagging?": lag_tab, "Walk-forward": walk_forward_tab, "Toy backtest": backtest_tab,
           "Training": training_tab, "Downloads": downloads_tab})
