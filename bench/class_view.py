"""The Class view with a class's worth of records: how long a teacher waits for it.

``python -m bench.class_view`` writes 500 run events (the four lesson pages, a dozen settings each,
three lessons) and the answers of 40 sessions to two questions per page into a temporary store,
then

- in this process: ``classlog.read`` of the class and the page's summaries (median of 7);
- in the real app in Chromium (``bench/browser.py``): opens ``/class?class=bench`` in a new tab
  of one browser (the app's scripts cached, like a teacher opening the link again) and measures
  until the totals show and until the open tab (the page of the newest record) has its charts
  drawn, then the click to another page's tab until its charts are drawn (median of 5 loads,
  after a warm-up load and once the training engine has started, so its start-up does not share
  the CPU); the same for a class of 8 runs with the same charts, loads alternating, so the
  difference is what the records cost and the rest the page itself on this machine.

Target (issue 19): the view drawn in <= 2 s with 500 runs recorded.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import report

CODE = "bench"
RUNS = 500
SESSIONS = 40
SMALL, SMALL_RUNS, SMALL_SESSIONS = "bench-small", 8, 2  # the same page and charts, almost no records
TASKS = {"playground": ("accuracy", "Network test accuracy", True, "hidden", ("4", "8", "8,8", "16,16", "32")),
         "forecast": ("rmse", "LSTM test RMSE", False, "lookback", ("10", "20", "30", "60", "120")),
         "anomaly": ("pr_auc", "Autoencoder test PR-AUC", True, "bottleneck", ("2", "4", "8", "16")),
         "sentiment": ("accuracy", "Network test accuracy", True, "model", ("bilstm", "transformer"))}
LESSONS = ("overfit", "baseline", None)


def fill(location: str, code: str = CODE, runs: int = RUNS, sessions: int = SESSIONS) -> dict[str, int]:
    """The class's records, as the page hook writes them; returns what the page should show."""
    from core import classlog

    tasks = list(TASKS)
    for i in range(runs):
        task = tasks[i % len(tasks)]
        metric, label, higher, name, values = TASKS[task]
        settings = {} if i % 7 == 0 else {name: values[i // len(tasks) % len(values)], "seed": str(i % 3)}
        classlog.record(code, {"kind": "run", "task": task, "lesson": LESSONS[i % 3], "settings": settings,
                               "key": f"{i:064x}", "metric": metric, "metric_label": label,
                               "value": 0.55 + (i * 37 % 41) / 100, "higher_is_better": higher, "cached": i % 4 != 0,
                               "session": f"{i % sessions:012x}"}, location)
    answers = 0
    for task in tasks:
        for lesson, question in (("overfit", "Does the network do better on the training data than on the test data?"),
                                 ("baseline", "Does the model beat the simplest baseline?")):
            for session in range(sessions):
                pick = ("yes", "no", "it depends on the seed")[(session * 7) % 3]
                classlog.record(code, {"kind": "answer", "task": task, "lesson": lesson, "question": question,
                                       "answer": pick, "right": None if pick.startswith("it") else pick == "yes",
                                       "key": "0" * 64, "session": f"{session:012x}"}, location)
                answers += 1
    return {"answers": answers, "charts": 1 + 2}  # the open tab's: its runs, its two questions


def _in_process(location: str, repeats: int = 7) -> dict[str, float]:
    from core import classlog

    reads, summaries = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        events = classlog.read(CODE, location)
        middle = time.perf_counter()
        runs = classlog.runs_frame(events)
        classlog.totals(events), classlog.runs_table(runs), classlog.answers_table(events)
        reads.append(middle - start)
        summaries.append(time.perf_counter() - middle)
    assert len(events) == RUNS + 8 * SESSIONS, len(events)
    return {"read (in-process)": statistics.median(reads), "summaries (in-process)": statistics.median(summaries)}


DRAWN = """([runs, charts, shows, hides]) => {
  if (document.querySelector("[data-testid='stException']")) return "EXCEPTION";
  const main = document.querySelector("[data-testid='stMain']");
  if (!main || !new RegExp("Runs\\\\s*" + runs).test(main.innerText)) return null;
  // the charts are SVG pictures (st.image, data URLs): drawn once each <img> has decoded its
  // picture; the settings labels (which page's charts these are) are in the pictures' text
  const drawn = [...main.querySelectorAll("[data-testid='stImage'] img")].filter(img => img.complete && img.naturalWidth > 0);
  const svg = "data:image/svg+xml;base64,";
  const text = main.innerText + drawn.map(img => img.src.startsWith(svg) ? atob(img.src.slice(svg.length)) : "").join("");
  if (!text.includes(shows) || text.includes(hides)) return null;
  return drawn.length >= charts ? "drawn" : null;
}"""
TOTALS = """([runs]) => {
  const main = document.querySelector("[data-testid='stMain']");
  return main && new RegExp("Runs\\\\s*" + runs).test(main.innerText);
}"""


def _drawn(page, runs: int, charts: int, shows: str, hides: str) -> None:
    found = page.wait_for_function(DRAWN, arg=[runs, charts, shows, hides], polling="raf", timeout=60_000).json_value()
    if found == "EXCEPTION":
        raise AssertionError("the page shows an exception: "
                             + page.locator("[data-testid='stException']").first.inner_text()[:500])


def _load(context, url: str, code: str, runs: int, charts: int) -> tuple[float, float, float]:
    """One teacher's visit in a new tab: (totals shown, open tab drawn, another tab drawn) seconds."""
    from bench import browser as br

    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{url}/class?class={code}")
    page.wait_for_function(TOTALS, arg=[runs], polling="raf", timeout=60_000)
    totals = time.perf_counter() - start
    _drawn(page, runs, charts, "model=", "hidden=")  # the tab open first: the newest record's page (sentiment)
    drawn = time.perf_counter() - start
    br.settle(page)
    start = time.perf_counter()
    page.get_by_role("tab", name="Decision boundaries").click()
    _drawn(page, runs, charts, "hidden=", "model=")
    switched = time.perf_counter() - start
    page.close()
    return totals, drawn, switched


def _in_browser(store: Path, charts: int, loads: int) -> dict[str, float]:
    """The class of 500 runs and, for comparison, a class of SMALL runs with the same charts: the
    difference is what the records cost; the rest is the page itself (Streamlit, its scripts) on
    this machine. The two alternate, so both see the same load of the machine."""
    from bench import browser as br

    times: dict[str, list[tuple[float, float, float]]] = {CODE: [], SMALL: []}
    with br.serve(store) as url, br.chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1100})
        page = context.new_page()
        page.goto(f"{url}/class?class={CODE}")  # warm-up: the server's first run of the page
        br.settle(page)
        br.wait_for_engine(page)  # its start-up (TensorFlow in the workers) would share the two cores
        page.close()
        _load(context, url, SMALL, SMALL_RUNS, charts)
        for i in range(2 * loads):
            code, runs = ((CODE, RUNS), (SMALL, SMALL_RUNS))[(i + i // 2) % 2]  # ABBA order
            times[code].append(_load(context, url, code, runs, charts))
        context.close()
    out = {}
    for code, label in ((CODE, f"{RUNS} runs"), (SMALL, f"{SMALL_RUNS} runs")):
        totals, drawn, switched = zip(*times[code], strict=True)
        out |= {f"{label}: totals shown (median)": statistics.median(totals),
                f"{label}: open tab drawn (median)": statistics.median(drawn),
                f"{label}: open tab drawn (slowest)": max(drawn),
                f"{label}: another tab drawn (median)": statistics.median(switched)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads measured in the browser")
    parser.add_argument("--no-browser", action="store_true", help="only the in-process figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="findl-bench-") as folder:
        store = Path(folder) / "store"
        start = time.perf_counter()
        expected = fill(str(store))
        fill(str(store), SMALL, SMALL_RUNS, SMALL_SESSIONS)
        t = {f"record {RUNS + expected['answers']} events": time.perf_counter() - start}
        t |= _in_process(str(store))
        if not args.no_browser:
            t |= _in_browser(store, expected["charts"], args.loads)
    rows = [(k, v, "") for k, v in t.items()]
    local = t["read (in-process)"] + t["summaries (in-process)"]
    checks = [(f"read + summaries in-process {local:.3f} s <= 0.5 s", local <= 0.5)]
    if not args.no_browser:
        drawn, small = t[f"{RUNS} runs: open tab drawn (median)"], t[f"{SMALL_RUNS} runs: open tab drawn (median)"]
        sentence = (f"class view with {RUNS} runs drawn in {drawn:.2f} s (median of {args.loads}) <= 2 s "
                    f"(with {SMALL_RUNS} runs: {small:.2f} s)")
        checks.append((sentence, drawn <= 2))
    return report("Class view (issue 19)", rows, checks,
                  {"runs": RUNS, "answers": expected["answers"], "charts": expected["charts"]}, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
