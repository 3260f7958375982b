import dataclasses
import io
import json

import numpy as np
import pandas as pd
import streamlit as st

from core import comparisons, escape, lessons
from core.charts import canvas
from core.charts import playground as charts
from core.data import toy2d
from core.errors import UserError
from core.nn import mlp
from core.result import Result
from core.tasks import playground as pg
from core.tasks.playground import overfitting, step_through
from core.ui import data as page_data
from core.ui import frame, job_panel, scoring
from core.ui.controls import lesson_markdown
from core.ui.page import LessonPage, download_table

page = LessonPage(pg, "pg", "Decision-boundary playground",
                  "A small neural network learns to separate two classes (or up to six, or to predict a price). "
                  "Watch the boundary form, see what each neuron detects, step through one update by hand, and "
                  "check the network against the baselines: depth is not always the answer.")

controls = page.controls
sb = st.sidebar


# ---- data -----------------------------------------------------------------------------------
controls.header("Data", where=sb)
problem = controls.select("problem", "Problem", where=sb, horizontal=True,
                          format_func=lambda p: {"binary": "2 classes", "multiclass": "3-6 classes",
                                                 "regression": "a number"}[p])
datasets = pg.datasets_for(problem)
if st.session_state.get(controls.key("dataset")) not in datasets:  # the problem changed: its first dataset
    st.session_state[controls.key("dataset")] = datasets[0]
dataset = controls.select("dataset", "Dataset", datasets, format_func=lambda d: d, where=sb)
controls.note(toy2d.DESCRIPTIONS[dataset], where=sb, about="dataset")
if dataset == "blobs":
    controls.slider("classes", "Classes", where=sb)
upload = None
if dataset == "csv":
    upload = controls.upload("CSV with columns x1, x2, label", ["csv"], where=sb)
    controls.note({"binary": "label: two classes (any names)", "multiclass": "label: 3-6 classes (any names)",
                   "regression": "label: a number"}[problem], where=sb, about="dataset")
controls.slider("n_samples", "Number of points", step=10, where=sb)
controls.slider("noise", "Noise", step=0.01, where=sb)
controls.slider("test_ratio", "Test share", step=0.05, where=sb)
if dataset == "csv":
    controls.select("split", "Test points", where=sb, horizontal=True,
                    format_func=lambda s: {"auto": "auto", "random": "random", "time": "last rows (time order)"}[s])
controls.number("data_seed", "Data seed", where=sb)
controls.bump_button("data_seed", "New data", where=sb, help="Draw a new sample (next data seed).",
                     icon=":material/casino:", width="stretch")

# the batch size caption below counts training rows: the data comes before the settings are complete
data = page.draft_data(upload, "Upload a CSV with columns x1, x2, label in the sidebar (or pick a generated "
                       "dataset)." if dataset == "csv" else None, batch_size=1)

# ---- features and network --------------------------------------------------------------------
controls.header("Inputs", where=sb)
controls.multiselect("features", "Features fed to the network", format_func=lambda f: pg.FEATURES[f][0], where=sb)
controls.header("Network", where=sb)
controls.int_list("hidden", "Hidden layers", where=sb)
controls.select("activation", "Activation", where=sb)
controls.slider("dropout", "Dropout", step=0.05, where=sb)
reg = controls.select("regularizer", "Regularization", where=sb, horizontal=True)
controls.log_slider("reg_rate", "Regularization rate", [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0], where=sb)
controls.header("Training", where=sb)
controls.select("optimizer", "Optimizer", where=sb, horizontal=True)
controls.log_slider("learning_rate", "Learning rate",
                    [1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], where=sb)
n_train = pg.train_size(len(data.y), st.session_state["pg.test_ratio"]) if data is not None else 2
batch = controls.number("batch_size", "Batch size", step=1, where=sb)
controls.note(f"full batch ({n_train} training points)" if batch >= n_train
              else f"{-(-n_train // max(batch, 1))} steps per epoch over {n_train} training points",
              where=sb, about="batch_size")
controls.number("epochs", "Epochs", step=50, where=sb)
controls.slider("seeds", "Seeds at once", where=sb)
controls.number("seed", "Seed", where=sb)
controls.select("engine", "Engine", where=sb, horizontal=True,
                format_func=lambda e: {"tensorflow": "TensorFlow", "numpy": "NumPy from scratch"}[e])

config, data, _ = page.settings_and_data()


def _live(event: dict, history: list) -> None:
    if "snapshot" in event and data is not None:
        gx, gy = pg.grid_axes(data.x)
        sketch = Result(metrics={}, arrays={"grid_x": gx, "grid_y": gy, "x_train": data.x, "y_train": data.y},
                        info={"axis_labels": list(data.axis_labels), "class_names": list(data.class_names),
                              "problem": data.problem, "target_name": data.target_name})
        frame.chart(charts.live_boundary(sketch, event["snapshot"], event.get("epoch", 0)), key="pg:live")


result = page.result(live_view=_live)

# ---- headline numbers: the network next to its baselines, differences with their sampling error ------
m = result.metrics
base = m["baselines"]
inputs = ", ".join(result.info["feature_labels"])
shown_problem = result.info.get("problem", "binary")


def _delta(name: str) -> dict:
    """Green only for a real improvement, red for a real loss, grey within sampling error."""
    c = comparisons.find(m["comparisons"], name)
    coloured = c["verdict"] in ("better", "worse")
    if c["metric"] == "rmse":  # lower is better: a negative difference is the good kind
        return dict(delta=f"{c['difference']:+.3g} vs {name}", delta_color="inverse" if coloured else "off")
    label = "network {:+.1f} pts" if name == "majority" else "{:+.1f} pts vs logistic"
    return dict(delta=label.format(c["difference"] * 100), delta_color="normal" if coloured else "off")


cols = st.columns(6)
if shown_problem == "regression":
    cols[0].metric("Train RMSE", f"{m['train_rmse']:.4g}")
    cols[1].metric("Test RMSE", f"{m['test_rmse']:.4g}", **_delta("linear"))
    cols[2].metric("Test R²", "n/a" if m["test_r2"] is None else f"{m['test_r2']:.3f}")
    cols[3].metric("Test MAE", f"{m['test_mae']:.4g}")
    cols[4].metric("Mean baseline", f"{base['mean']['test_rmse']:.4g}", **_delta("mean"))
else:
    cols[0].metric("Train accuracy", f"{m['train_accuracy']:.1%}")
    cols[1].metric("Test accuracy", f"{m['test_accuracy']:.1%}", **_delta("logistic"))
    if shown_problem == "multiclass":
        cols[2].metric("Test macro-F1", f"{m['macro_f1']:.3f}")
        cols[3].metric("Logistic macro-F1", f"{base['logistic']['macro_f1']:.3f}")
    else:
        cols[2].metric("Test AUC", "n/a" if m["test_auc"] is None else f"{m['test_auc']:.3f}")
        cols[3].metric("Test F1", f"{m['test_f1']:.3f}")
    cols[4].metric("Majority baseline", f"{base['majority']['test_accuracy']:.1%}", **_delta("majority"))
cols[5].metric("Training time", frame.training_time(result, digits=2))
frame.headline(m["comparisons"])
if "logistic_x1x2" in base:
    st.caption(f"Logistic regression on the raw x1, x2 scores {base['logistic_x1x2']['test_accuracy']:.1%}: "
               f"the difference to {base['logistic']['test_accuracy']:.1%} is what the features {inputs} buy.")
if formula := m.get("formula"):
    parts = [f"on the {formula['n_inside']} test points inside the region it trained on **{formula['rmse_inside']:.4g}**"]
    if formula["rmse_outside"] is not None:
        parts.append(f"on the {formula['n_outside']} outside it (never trained on) **{formula['rmse_outside']:.4g}**")
    st.markdown("Error against the exact formula (no noise), RMSE: " + "; ".join(parts) + ".")
if m.get("split") == "time":
    st.caption(f"Chronological split: trained on the first {m['n_train']} rows, tested on the last {m['n_test']}.")
if overfit := overfitting.note(m):  # the same marks as the lessons' claims: the two cannot disagree
    kind, text = overfit
    getattr(st, kind)(text)
if result.info.get("dataset") == "fraud":
    st.info(f"Only {np.mean(result.arrays['y_test']):.1%} of test points are fraud: always saying 'legit' scores "
            f"{base['majority']['test_accuracy']:.1%} accuracy. The network catches {m['test_recall']:.0%} of the "
            f"frauds (recall) at the 0.5 threshold; F1 {m['test_f1']:.2f}, AUC {m['test_auc']:.2f}.")


def boundary_tab() -> None:
    c1, c2 = st.columns(2)
    show_test = c1.toggle("Show test points", value=True, key="pg:show_test")
    discretize = shown_problem != "regression" and c2.toggle("Discretize (class, not probability)", key="pg:discretize")
    frame.chart(charts.boundary(result, show_test, discretize), key="pg:boundary")
    st.caption(f"Press ▶ replay or drag the epoch slider: snapshots every {result.info['snapshot_every']} epoch(s).")
    if shown_problem != "regression":
        frame.chart(charts.confusion(result), key="pg:confusion")
        return
    if "exact_grid" in result.arrays:
        frame.chart(charts.formula_error(result), key="pg:formula")
    frame.chart(charts.predicted_vs_actual(result), key="pg:pred_actual")


def curves_tab() -> None:
    frame.chart(charts.curves(result), key="pg:curves")
    st.caption(f"Loss is the data loss ({charts.LOSS_NAMES[shown_problem]}"
               f"{' in the units of the target' if shown_problem == 'regression' else ''}), without the weight penalty.")


def neurons_tab() -> None:
    fig = charts.neurons(result)
    if fig is None:
        st.info("No hidden layer: the network is logistic regression on the chosen features.")
    else:
        frame.chart(fig, key="pg:neurons")


def network_tab() -> None:
    title = {"binary": "Network: blue links push towards class 1, orange towards class 0; width = |weight|",
             "multiclass": "Network: blue = positive weight, orange = negative; width = |weight| (one output per class)",
             "regression": "Network: blue links push the predicted number up, orange down; width = |weight|"}
    frame.chart(charts.network(pg.params_of(result), result.info["feature_labels"], title=title[shown_problem]),
                    key="pg:network")


def step_tab() -> None:
    shown_config = pg.run_config(result) or config  # an older run may be on screen: step on its network
    if shown_config is None:
        return
    setting = pg.step_setting(shown_config, result)
    if too_much := step_through.cost(setting):
        st.info(f"Step through: {too_much}.")
        return
    notes = ["plain gradient descent (W -= α dW), whatever the run's optimizer"]
    if shown_config.dropout > 0:
        notes.append("no dropout: every neuron takes part")
    st.caption(f"Start from this run's trained weights or fresh ones, choose a training point (click it or type its "
               f"number) and step. Each step is {' and '.join(notes)}; computed by the NumPy engine in this page.")
    step_view(setting, shown_config)


def _pick_point() -> None:
    """A click on a training point in the step-through picture chooses it (before the view reruns)."""
    picked = canvas.picked(st.session_state.get("pg:step_pick"))
    if picked is not None:
        st.session_state["pg:step_point"] = picked


@st.fragment
def step_view(setting, run_settings) -> None:
    """Only this view reruns on a click: a step answers without redrawing the page."""
    state = st.session_state
    run = (result.key, repr(run_settings.to_dict()))
    c1, c2, c3 = st.columns([2, 1, 1])
    origin = c1.segmented_control("Start from", ["trained weights", "fresh weights"], default="trained weights",
                                  key="pg:step_origin") or "trained weights"
    lr = c2.number_input("α (step size)", 1e-5, 10.0, float(run_settings.learning_rate), format="%g",
                         key="pg:step_lr")
    if state.get("pg:walk_run") != (run, origin) or c3.button("Reset", icon=":material/restart_alt:", key="pg:step_reset"):
        start = pg.params_of(result) if origin != "fresh weights" else \
            mlp.init_params(setting.spec, np.random.default_rng([run_settings.seed, 99]))
        state["pg:walk"], state["pg:walk_run"] = step_through.start(setting, start, run_settings.seed), (run, origin)
    n = len(setting.y)
    if state.get("pg:step_point", 0) > n - 1:  # a run with fewer training points than the last one
        state["pg:step_point"] = 0
    b = st.columns([1.2, 1, 1, 1])
    point = b[0].number_input(f"Training point (0-{n - 1})", 0, n - 1, 0, key="pg:step_point")
    for col, how, label in ((b[1], "example", "One example"), (b[2], "batch", "One mini-batch"),
                            (b[3], "epoch", "One epoch")):
        if col.button(label, key=f"pg:step_{how}", width="stretch"):
            state["pg:walk"] = step_through.step(setting, state["pg:walk"], how, lr, point)
    shown, editing = st.container(), st.container()  # the picture above the weight editor, drawn after it
    e1, e2, e3 = editing.columns([2, 1, 1])
    where = [(i, pos) for i, p in enumerate(state["pg:walk"].params) for pos in np.ndindex(p.shape)]
    names = [step_through.parameter_name(i, pos) for i, pos in where]
    chosen = e1.selectbox("Set a weight or bias by hand", names, key="pg:step_param")
    index, position = where[names.index(chosen)]
    value = e2.number_input("to", -100.0, 100.0, float(state["pg:walk"].params[index][position]), format="%.4f",
                            key=f"pg:step_value:{chosen}")
    if e3.button("Set", key="pg:step_set", width="stretch"):
        state["pg:walk"] = step_through.set_parameter(state["pg:walk"], index, position, value)
    walk = state["pg:walk"]
    trace = step_through.trace(setting, walk.params, point)
    said = f" Last: {walk.last}." if walk.last else ""
    label = f"target {result.arrays['y_train'][point]:.4g}, standardised {setting.y[point]:.4g}" \
        if shown_problem == "regression" else f"label {setting.y[point]:g}"
    shown.markdown(f"**Point {point}** ({label}) after {walk.updates} update(s), "
                   f"{walk.epochs_done} full epoch(s).{said} Training loss now **{walk.history[-1][1]:.4g}**.")
    pictures, numbers = shown.columns([1, 1]), shown.columns([3, 2])
    a = result.arrays
    with pictures[0]:
        canvas.boundary("pg:step_pick", step_through.boundary(setting, walk.params), a["grid_x"], a["grid_y"],
                        a["x_train"], a["y_train"], point, "Click a training point to step on it",
                        tuple(result.info["axis_labels"]), shown_problem, on_pick=_pick_point)
    with pictures[1]:
        canvas.network("pg:step_net", walk.params[0::2], trace.grads[0::2], list(setting.feature_labels),
                       f"Gradients dW for point {point}: blue +, orange -, width = size", height=300)
        updates, losses = zip(*walk.history)
        canvas.line("pg:step_losses", updates, losses, "Training loss after each click", "updates", "",
                    height=140)
    numbers[0].code(step_through.equations(setting, walk.params, trace, lr), language="text", wrap_lines=True)
    rows = [{"parameter": name, "value": float(walk.params[i][pos]), "gradient": float(trace.grads[i][pos])}
            for name, (i, pos) in zip(names, where)]
    numbers[1].dataframe(pd.DataFrame(rows).set_index("parameter"), width="stretch", height=380)
    if numbers[1].button("Check with TensorFlow", key="pg:step_tf",
                         help="The same gradients from TensorFlow's GradientTape, computed on a worker."):
        try:
            check = scoring.score(pg, result, {"params": walk.params, "x": setting.x[[point]], "y": setting.y[[point]],
                                               "spec": dataclasses.asdict(setting.spec)})
            worst = max(float(np.abs(a - b).max()) for a, b in zip(trace.grads, check["grads"]))
            numbers[1].success(f"TensorFlow's GradientTape: loss {check['loss']:.6f} (NumPy {trace.loss:.6f}); the "
                               f"largest difference over all {sum(g.size for g in trace.grads)} gradients is "
                               f"{worst:.1e}.")
        except UserError as exc:
            numbers[1].warning(f"TensorFlow check: {exc}")


def seeds_tab() -> None:
    scores = charts.seed_scores(result)
    if len(scores) < 2:
        st.info("Set 'Seeds at once' to 2-8 in the sidebar to see how much runs that differ only by their "
                "random start disagree.")
    else:
        frame.chart(charts.seeds(result), key="pg:seeds")
        fmt = "{:.4g}" if shown_problem == "regression" else "{:.1%}"
        st.caption(f"Test {result.info.get('score_name', 'accuracy')} over seeds: {fmt.format(np.mean(scores))} ± "
                   f"{fmt.format(np.std(scores))}.")


def compare_tab() -> None:
    pinned = st.session_state.get("pg:pinned")
    if st.button("Pin this run", icon=":material/push_pin:", key="pg:pin", help="Keep this run to compare with the next settings."):
        st.session_state["pg:pinned"] = pinned = {"config": config.to_dict() if config else {}, "result": result}
    if pinned is None:
        st.info("Pin a run, change a setting, and both boundaries appear side by side here.")
        return
    left, right = st.columns(2)
    frame.chart(charts.boundary(pinned["result"], title="Pinned", height=420), key="pg:pinned_fig", where=left)
    frame.chart(charts.boundary(result, title="Current", height=420), key="pg:current_fig", where=right)
    current = config.to_dict() if config else {}
    changed = {k: (pinned["config"].get(k), v) for k, v in current.items() if pinned["config"].get(k) != v}
    names = {"binary": ("train_accuracy", "test_accuracy", "test_auc", "test_f1"),
             "multiclass": ("train_accuracy", "test_accuracy", "macro_f1"),
             "regression": ("train_rmse", "test_rmse", "test_r2")}[shown_problem]
    rows = [{"": name, "pinned": pinned["result"].metrics.get(name), "current": m[name]} for name in names]
    left.dataframe(pd.DataFrame(rows).set_index(""), width="stretch")
    right.write({k: f"{a} → {b}" for k, (a, b) in changed.items()} or "same settings")


def sweep_tab() -> None:
    lesson = st.empty()  # the sentence, then (once the three runs are in) the sentence and its claims
    lesson.write(pg.CAPACITY_SWEEP["description"])
    if st.button("Run the capacity sweep", key="pg:sweep_go"):
        st.session_state["pg:sweep"] = True
    if not st.session_state.get("pg:sweep"):
        return
    seed = config.data_seed if config is not None else 0
    sweep = pg.sweep_configs(seed)
    sweep_results = [job_panel.run(pg, cfg, page_data.load(pg, cfg), slot=f"pg-sweep-{i}")
                     for i, cfg in enumerate(sweep)]
    if all(r is not None for r in sweep_results):
        sizes = [c.hidden[0] for c in sweep]
        shown = pg.sweep_metrics([r.metrics for r in sweep_results], sizes)
        lesson.info(lesson_markdown({"name": "capacity sweep", "sentence": pg.CAPACITY_SWEEP["description"],
                                     "claims": lessons.evaluate(pg.CAPACITY_SWEEP["claims"], shown)}),
                    icon=":material/school:")
        frame.chart(charts.sweep(sweep_results, sizes), key="pg:sweep_fig")
        st.dataframe(pd.DataFrame([{"neurons": n, "train accuracy": f"{r.metrics['train_accuracy']:.1%}",
                                    "test accuracy": f"{r.metrics['test_accuracy']:.1%}",
                                    "train loss": round(r.metrics["train_loss"], 3),
                                    "test loss": round(r.metrics["test_loss"], 3)}
                                   for n, r in zip(sizes, sweep_results)]).set_index("neurons"), width="stretch")
        st.caption(f"Data seed {seed} (the sidebar's): press 'New data' and run it again to see whether the pattern "
                   "holds on other samples.")


def costs_tab() -> None:
    if shown_problem != "binary":
        st.info("Costs and the decision threshold are about two classes: choose the problem '2 classes' to see them.")
        return
    names = result.info["class_names"]
    words = toy2d.cost_words(result.info.get("dataset", ""), names)
    said = {key: escape.markdown(text) for key, text in words.items()}  # a file's class names, shown literally
    c1, c2 = st.columns(2)
    start_missed, start_refused = pg.DEFAULT_COSTS  # the credit lesson's claims are decided at these costs
    missed = c1.number_input(f"Cost of {said['missed']}", 0.0, 1e9, start_missed, step=500.0, key="pg:cost_missed")
    refused = c2.number_input(f"Cost of {said['false_flag']}", 0.0, 1e9, start_refused, step=100.0,
                              key="pg:cost_refused")
    analysis = pg.cost_analysis(result.arrays["y_test"], result.arrays["seed_test_probs"][0], missed, refused)
    frame.chart(charts.cost_curve(analysis, words), key="pg:cost")
    st.write(f"Cost-optimal threshold on the test points: **{analysis['best_threshold']:.2f}**, expected loss "
             f"**{analysis['best_cost']:,.0f}** per {said['case']}, against **{analysis['cost_at_half']:,.0f}** at the "
             f"default 0.5. For well calibrated probabilities theory puts it at cost of {said['false_flag']} / "
             f"(that + cost of {said['missed']}) = {analysis['bayes_threshold']:.2f}.")
    st.caption("Chosen on the test points for teaching; in practice pick the threshold on validation data.")


def export_tab() -> None:
    if config is None:
        return
    st.code(pg.keras_code(config, chronological=m.get("split") == "time"), language="python")
    if data is not None:
        label = data.y if data.problem == "regression" else data.y.astype(int)  # class ids for classes
        download_table("Download data (CSV)", pd.DataFrame({"x1": data.x[:, 0], "x2": data.x[:, 1], "label": label}),
                       "playground_data.csv")
    st.download_button("Download metrics (JSON)", json.dumps({"config": config.to_dict(), "metrics": m}, indent=2),
                       "playground_metrics.json", "application/json")


def from_scratch_tab() -> None:
    from core.nn import numpy_engine

    st.markdown("The **NumPy engine** writes out what TensorFlow's GradientTape does for you. "
                "A unit test checks that both give the same gradients for the same weights (to 1e-5).")
    st.code(numpy_engine.EQUATIONS, language="text")
    st.markdown(f"Optimizers follow Keras' update rules (momentum {mlp.MOMENTUM}, Adam β₁={mlp.ADAM_BETA1}, "
                f"β₂={mlp.ADAM_BETA2}, RMSprop ρ={mlp.RMS_RHO}, ε={mlp.EPSILON}).")
    buf = io.StringIO()
    for i, w in enumerate(pg.params_of(result)):
        buf.write(f"{'W' if i % 2 == 0 else 'b'}{i // 2 + 1} {tuple(w.shape)}\n")
    st.text("Trained parameters:\n" + buf.getvalue())


page.tabs({"Boundary": boundary_tab, "Training curves": curves_tab, "Neurons": neurons_tab, "Network": network_tab, "Step through": step_tab,
           "Seeds": seeds_tab, "Compare": compare_tab, "Capacity sweep": sweep_tab, "Costs & threshold": costs_tab,
           "Export": export_tab, "From scratch": from_scratch_tab})
