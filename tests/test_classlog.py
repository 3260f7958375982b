"""core.classlog: class codes, append-only records under concurrency, lenient summaries."""

import logging
import math
import multiprocessing
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from core import classlog
from core.charts import class_view as charts
from core.charts import style
from core.data import csvout
from core.errors import ConfigError

HOSTILE = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "[Sign in](http://evil/x)", 1e308, 10 ** 400, None,
           float("nan"), True, {"nested": ["x"]}, "x" * 5000]


def _run(i: int = 0, **fields) -> dict:
    return {"kind": "run", "task": "playground", "lesson": None, "settings": {"hidden": "8,8"}, "key": f"k{i}",
            "metric": "accuracy", "metric_label": "Network test accuracy", "value": 0.9, "higher_is_better": True,
            "cached": False, "session": f"s{i % 7}", **fields}


def _files(store: Path, code: str) -> list[str]:
    return sorted(os.listdir(store / "classes" / code))


# ---- codes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, code", [("fin101", "fin101"), ("  Fin101 \n", "fin101"), ("a", "a"), ("9", "9"),
                                        ("x_y-z", "x_y-z"), ("A" * 32, "a" * 32)])
def test_check_code_normalises_good_codes(text, code):
    assert classlog.check_code(text) == code


@pytest.mark.parametrize("text", ["", "   ", "-fin", "_fin", "fin 101", "../etc", "a/b", "fin.101", "a" * 33, "é",
                                  "fin101\x00", "ﬁn", None, 101])
def test_check_code_refuses_others_with_one_line_quoting_the_text(text):
    with pytest.raises(ConfigError) as caught:
        classlog.check_code(text)
    message = str(caught.value)
    assert "\n" not in message and classlog.CODE_RULE in message


def test_a_long_bad_code_is_quoted_shortened():
    with pytest.raises(ConfigError) as caught:
        classlog.check_code("bad code " * 100)
    assert "bad code bad code" in str(caught.value) and "…" in str(caught.value) and len(str(caught.value)) < 250


# ---- records -------------------------------------------------------------------------------------
def test_round_trip_in_time_order_with_t_added(tmp_path):
    store = str(tmp_path / "store")
    classlog.record("Fin101", _run(0), store)
    classlog.record("fin101", {"kind": "answer", "question": "q", "answer": "a", "right": True, "t": 12.5}, store)
    classlog.record("fin101", _run(2, value=float("nan")), store)
    events = classlog.read("fin101", store)
    assert [e["kind"] for e in events] == ["run", "answer", "run"]
    assert events[0]["settings"] == {"hidden": "8,8"} and isinstance(events[0]["t"], float)
    assert abs(events[0]["t"] - __import__("time").time()) < 60
    assert events[1]["t"] == 12.5  # the event's own time is kept
    assert events[2]["value"] is None  # NaN is not JSON: stored as null
    names = _files(tmp_path / "store", "fin101")
    assert len(names) == 3 and all(classlog._EVENT_NAME.fullmatch(n) for n in names)
    assert classlog.read("other", store) == []


def test_the_default_location_is_the_result_store(tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "shared"))
    classlog.record("fin101", _run())
    assert len(classlog.read("fin101")) == 1
    assert len(_files(tmp_path / "shared", "fin101")) == 1


def test_a_bad_code_records_nothing(tmp_path):
    with pytest.raises(ConfigError):
        classlog.record("../escape", _run(), str(tmp_path))
    assert not any(tmp_path.rglob("*.json"))


def test_a_store_that_cannot_be_written_never_breaks_the_page(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="core.classlog"):
        classlog.record("fin101", _run(), str(blocker))  # the store root is a file: OSError inside
        classlog.record("fin101", "not a dict", str(tmp_path))  # type: ignore[arg-type]
        classlog.record("fin101", _run(value=object(), settings={"x": {1, 2}}), str(tmp_path))  # str() of odd values
        deep: dict = {}
        for _ in range(5000):
            deep = {"d": deep}
        classlog.record("fin101", _run(settings=deep), str(tmp_path))  # too deep for JSON
        classlog.record("fin101", _run(settings={"x": "y" * classlog.MAX_EVENT_BYTES}), str(tmp_path))  # too big
    assert any("not recorded" in r.message for r in caplog.records)
    assert len(classlog.read("fin101", str(tmp_path))) == 1
    if os.geteuid() != 0:  # root writes anywhere
        folder = tmp_path / "ro" / "classes" / "fin101"
        folder.mkdir(parents=True)
        folder.chmod(0o500)
        try:
            classlog.record("fin101", _run(), str(tmp_path / "ro"))
        finally:
            folder.chmod(0o700)
        assert classlog.read("fin101", str(tmp_path / "ro")) == []
        assert not [n for n in os.listdir(folder)]  # no temporary file left either


def _write_many(location: str, writer: str, count: int) -> None:
    for i in range(count):
        classlog.record("fin101", _run(i, key=f"{writer}-{i}"), location)


def test_parallel_writers_in_threads_and_processes_lose_nothing(tmp_path):
    store = str(tmp_path / "store")
    threads = [threading.Thread(target=_write_many, args=(store, f"t{n}", 50)) for n in range(8)]
    processes = [multiprocessing.get_context("spawn").Process(target=_write_many, args=(store, f"p{n}", 50))
                 for n in range(4)]
    for worker in [*processes, *threads]:
        worker.start()
    for thread in threads:
        thread.join(60)
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    keys = [e["key"] for e in classlog.read("fin101", store)]
    expected = {f"{w}{n}-{i}" for w, workers in (("t", 8), ("p", 4)) for n in range(workers) for i in range(50)}
    assert len(keys) == 600 and set(keys) == expected  # none lost, none twice
    assert len(_files(tmp_path / "store", "fin101")) == 600  # and no temporary files left


def test_files_that_are_not_an_event_are_skipped(tmp_path):
    store = tmp_path / "store"
    classlog.record("fin101", _run(1), str(store))
    folder = store / "classes" / "fin101"
    bad = {"1-" + "a" * 32 + ".json": b'{"kind": "run", "val',       # half written
           "2-" + "b" * 32 + ".json": b"[1, 2, 3]",                   # JSON, not an object
           "3-" + "c" * 32 + ".json": b"\xff\xfe\x00garbage",         # not text
           "4-" + "d" * 32 + ".json": b"[" * 100000 + b"]" * 100000,  # too deep, and too big
           "5-" + "e" * 32 + ".json": b'{"kind": "run", "pad": "' + b"x" * 70000 + b'"}',  # over the size limit
           "6-" + "f" * 32 + ".json": b"\x80\x04\x95pickle",          # a pickle is never loaded
           "notes.json": b'{"kind": "run"}', ".tmp-123": b'{"kind": "run"}'}
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / ("7-" + "0" * 32 + ".json")).mkdir()  # a folder with an event's name
    events = classlog.read("fin101", str(store))
    assert [e["key"] for e in events] == ["k1"]


def test_only_the_newest_events_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(classlog, "MAX_EVENTS", 5)
    for i in range(8):
        classlog.record("fin101", _run(i), str(tmp_path))
    assert [e["key"] for e in classlog.read("fin101", str(tmp_path))] == [f"k{i}" for i in range(3, 8)]


def test_an_fsspec_store_round_trips_and_skips_a_half_written_object():
    import fsspec

    location = "memory://findl-classlog-test"
    for i in range(3):
        classlog.record("fin101", _run(i), location)
    fs = fsspec.filesystem("memory")
    fs.pipe_file("/findl-classlog-test/classes/fin101/1-" + "a" * 32 + ".json", b'{"kind": "ru')
    try:
        assert [e["key"] for e in classlog.read("fin101", location)] == ["k0", "k1", "k2"]
        assert classlog.read("nobody", location) == []
    finally:
        fs.rm("/findl-classlog-test", recursive=True)


# ---- summaries -----------------------------------------------------------------------------------
def _class() -> list[dict]:
    events = [_run(i, value=v, session=s) for i, (v, s) in enumerate([(0.8, "a"), (0.9, "a"), (1.0, "b")])]
    events += [_run(3, settings={}, value=0.5, session="c", lesson="baseline")]
    events += [_run(4, task="forecast", settings={"lookback": "30"}, metric="rmse", metric_label="Model test RMSE",
                    value=2.0, higher_is_better=False, session="a")]
    answer = {"kind": "answer", "task": "playground", "lesson": "overfit", "question": "Does the network overfit?"}
    events += [{**answer, "answer": "yes", "right": True, "session": "a"},
               {**answer, "answer": "yes", "right": True, "session": "a"},
               {**answer, "answer": "yes", "right": False, "session": "b"},
               {**answer, "answer": "no", "right": False, "session": "c"},
               {**answer, "answer": "maybe", "right": None, "session": "d"}]
    return events


def test_runs_table_counts_settings_sessions_and_the_spread():
    table = classlog.runs_table(_class())
    assert list(table.columns) == classlog.RUNS_TABLE_COLUMNS
    first = table.iloc[0].to_dict()  # forecast sorts first; then playground's most-run settings
    assert first["task"] == "forecast" and not first["higher_is_better"] and first["median"] == 2.0
    pg = table[table["task"] == "playground"].reset_index(drop=True)
    assert list(pg["settings"]) == ["hidden=8,8", "defaults"]
    assert list(pg["runs"]) == [3, 1] and list(pg["sessions"]) == [2, 1]
    assert pg.loc[0, "median"] == pytest.approx(0.9) and pg.loc[0, "min"] == 0.8 and pg.loc[0, "max"] == 1.0
    assert pg.loc[1, "lessons"] == "baseline" and pg.loc[0, "lessons"] == ""
    assert classlog.totals(_class()) == {"runs": 5, "settings": 3, "sessions": 4, "answers": 5}


def test_answers_table_counts_each_answer_and_whether_it_was_right():
    table = classlog.answers_table(_class())
    assert list(table.columns) == classlog.ANSWERS_COLUMNS
    rows = {r["answer"]: r for r in table.to_dict("records")}
    assert list(table["answer"]) == ["yes", "no", "maybe"]  # most given first
    assert rows["yes"]["count"] == 3 and rows["yes"]["sessions"] == 2
    assert (rows["yes"]["times_right"], rows["yes"]["times_wrong"]) == (2, 1) and rows["yes"]["right"] is None
    assert rows["no"]["right"] is False and rows["maybe"]["right"] is None
    only_right = classlog.answers_table([e for e in _class() if e.get("right") is not False])
    assert only_right.loc[only_right["answer"] == "yes", "right"].item() is True


def test_settings_read_as_one_line():
    assert classlog.settings_text({"learning_rate": "0.1", "hidden": "8,8"}) == "hidden=8,8 · learning_rate=0.1"
    assert classlog.settings_text({}) == classlog.settings_text(None) == "defaults"


def test_empty_records_give_empty_tables():
    assert classlog.runs_table([]).empty and classlog.answers_table([]).empty
    assert classlog.totals([]) == {"runs": 0, "settings": 0, "sessions": 0, "answers": 0}


def test_hostile_values_do_not_break_the_summaries_or_the_charts(tmp_path):
    events: list = [None, [], "run", 5, {"kind": None}, {"kind": ["run"]}, {}]
    for i, bad in enumerate(HOSTILE):
        events.append(_run(i, task=bad, lesson=bad, settings={"hidden": bad, str(i): bad}, metric=bad,
                           metric_label=bad, value=bad, higher_is_better=bad, cached=bad, session=bad, t=bad))
        events.append(_run(i, settings=bad, value=bad))
        events.append({"kind": "answer", "task": bad, "lesson": bad, "question": bad, "answer": bad, "right": bad,
                       "session": bad})
        events.append({"kind": "answer", "task": "playground", "question": "Q <b>?</b>", "answer": bad})
    for event in events:  # and through the files, as the page reads them
        if isinstance(event, dict):
            classlog.record("fin101", event, str(tmp_path))
    for source in (events, classlog.read("fin101", str(tmp_path))):
        runs = classlog.runs_frame(source)
        table, answers, totals = classlog.runs_table(runs), classlog.answers_table(source), classlog.totals(source)
        assert totals["runs"] == 2 * len(HOSTILE) and totals["answers"] == 2 * len(HOSTILE)
        values = runs["value"].dropna()
        assert all(math.isfinite(v) for v in values) and 1e308 in set(values)
        assert all(len(text) <= 2 * classlog.TEXT_LIMIT for text in table["settings"])
        figures = [charts.runs_svg(group, metric, bool(hib))
                   for (metric, hib), group in runs.groupby(["metric", "higher_is_better"])]
        figures += [charts.answers_svg(rows) for _, rows in answers.groupby("question")]
        for svg in figures:
            _check_svg(svg)
        blob = "".join(figures)
        assert "<script" not in blob.lower() and "&lt;script&gt;" in blob
        for frame in (table, answers):
            text = csvout.to_csv(frame)
            assert "\n=cmd" not in text and ",=cmd" not in text and "'=cmd" in text


SVG = "{http://www.w3.org/2000/svg}"
# what a record may hold, beyond HOSTILE: markup that would close an attribute or a tag, characters
# XML does not allow (a NUL, an escape, a lone surrogate, which json.loads gives for "\\ud800")
HOSTILE_TEXT = ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "' onmouseover='x", "&amp; & &#60;", "]]>",
                "<![CDATA[x]]>", "a\x00b\x1bc\ud800d\ufffe", "\u202eevil", "x" * 5000, None, float("nan"), 1e308,
                10 ** 400, 10 ** 5000, {"nested": "<b>"}, ["<i>"], True]
HOSTILE_NUMBERS = [None, float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 10 ** 400, 10 ** 5000, "0.5",
                   "<script>", True, 5e-324, 0.0, -0.0, {"x": 1}]


def _check_svg(svg: str) -> ET.Element:
    """A well-formed SVG document that runs nothing: no script, no event handler, no foreign
    object, no link out; its colours from the palette; its text in the neutral grey."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and svg.startswith("<svg ")  # st.image reads a string starting so as SVG
    svg.encode("utf-8")  # no lone surrogate (st.image encodes it)
    assert "<script" not in svg.lower() and "<foreignobject" not in svg.lower()
    for element in root.iter():
        assert element.tag.startswith(SVG) and element.tag[len(SVG):] not in ("script", "foreignObject", "a", "image")
        assert not [name for name in element.attrib if name.lower().startswith("on") or "href" in name.lower()]
        for name in ("fill", "stroke"):
            value = element.get(name)
            assert value is None or value.startswith("url(#") or value.upper() in style.PALETTE, value
        if element.tag == f"{SVG}text":
            assert element.get("fill", charts.TEXT) == charts.TEXT or element.get("fill") is None
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def test_the_run_chart_draws_the_most_run_settings_and_says_how_many_more():
    events = [_run(i, settings={"seed": str(i % 20)}, value=i / 100) for i in range(60)]
    events += [_run(60, value=None), _run(61, value="x")]
    runs = classlog.runs_frame(events)
    root = _check_svg(charts.runs_svg(runs, "Network test accuracy", max_groups=5))
    texts = _texts(root)
    title = texts[0]
    assert title.startswith("Network test accuracy") and "62 runs" in title and "higher is better" in title
    assert "the 5 most-run of 20 settings" in title and "2 without a value" in title
    circles = root.findall(f"./{SVG}g/{SVG}circle")
    assert len(circles) == 15  # 3 runs in each of the 5 settings shown
    assert len({c.get("cy") for c in circles}) > 5  # jittered within a row
    assert [t for t in texts if t.startswith("seed=")] == [f"seed={i}" for i in range(5)]  # most run first, ties in order
    medians = root.findall(f"./{SVG}g[@stroke='{style.MODEL}']/{SVG}line")
    assert len(medians) == 5 and all(float(m.get("x1")) == float(m.get("x2")) for m in medians)
    assert "0.2" in texts and "Network test accuracy" in texts  # ticks and the axis title
    assert charts.runs_svg(runs, "m") == charts.runs_svg(runs, "m")  # deterministic
    lower = _texts(_check_svg(charts.runs_svg(runs, "RMSE", higher_is_better=False)))[0]
    assert "lower is better" in lower and "the 15 most-run of 20 settings" in lower


def test_the_answers_chart_splits_right_wrong_and_undecided():
    answers = classlog.answers_table(_class())
    root = _check_svg(charts.answers_svg(answers))
    texts = _texts(root)
    assert texts[:3] == ["✓ right for the run they saw", "✗ wrong for the run they saw", "? their run could not decide"]
    labels = texts[3:6]
    assert labels == ["yes", "no\u00a0\u00a0✗", "maybe"]  # most given first; wrong every time: marked in the label
    assert texts[6:9] == ["3 given · 2 sessions", "1 given · 1 session", "1 given · 1 session"]
    fills = [r.get("fill") for r in root.findall(f"./{SVG}rect")]
    assert fills[:3] == ["url(#hatch)", style.NAIVE, "url(#dots)"]  # the legend: hatched, plain, dotted
    assert fills[3:] == ["url(#hatch)", style.NAIVE, style.NAIVE, "url(#dots)"]  # yes: 2 right, 1 wrong; no; maybe
    widths = [float(r.get("width")) for r in root.findall(f"./{SVG}rect")[3:]]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == pytest.approx(widths[1])
    only_right = classlog.answers_table([e for e in _class() if e.get("right") is not False])
    texts = _texts(_check_svg(charts.answers_svg(only_right)))
    assert texts[0] == "✓ right for the run they saw" and "✗ wrong for the run they saw" not in texts
    assert "yes\u00a0\u00a0✓" in texts
    many = classlog.answers_table([{"kind": "answer", "task": "p", "question": "q", "answer": f"a{i}", "right": None,
                                    "session": f"s{i}"} for i in range(20)])
    texts = _texts(_check_svg(charts.answers_svg(many, max_answers=5)))
    assert texts[-1] == "and 15 more answers" and len([t for t in texts if t.startswith("a")]) == 6


def _id(value) -> str:
    return type(value).__name__ if isinstance(value, int) and not isinstance(value, bool) else ascii(value)[:20]


@pytest.mark.parametrize("bad", HOSTILE_TEXT, ids=_id)
def test_every_text_from_the_records_is_escaped_and_cut(bad):
    runs = pd.DataFrame({"settings": [bad, bad, "a"], "value": [0.5, 0.6, 0.7], "lesson": [bad] * 3}, dtype=object)
    answers = pd.DataFrame({"answer": [bad, "b"], "right": [True, bad], "count": [3, 1], "sessions": [2, 1],
                            "times_right": [3, 0], "times_wrong": [0, 1]}, dtype=object)
    for svg in (charts.runs_svg(runs, bad), charts.answers_svg(answers)):
        root = _check_svg(svg)
        assert "<b>" not in svg and "<i>" not in svg and "<svg onload" not in svg and '"><svg' not in svg
        assert all(len(text) <= 200 for text in _texts(root))  # cut: LABEL_LIMIT, METRIC_LIMIT, a title line
        assert not any(ch in svg for ch in "\x00\x1b\ud800\ufffe")


@pytest.mark.parametrize("bad", HOSTILE_NUMBERS, ids=_id)
def test_any_value_or_count_gives_a_well_formed_chart(bad):
    runs = pd.DataFrame({"settings": ["a", "a", "b"], "value": [bad, 0.5, bad]})
    root = _check_svg(charts.runs_svg(runs, "m"))
    assert "3 runs" in _texts(root)[0]
    answers = pd.DataFrame({"answer": ["x", "y"], "right": [None, True], "count": [bad, 2], "sessions": [bad, 1],
                            "times_right": [bad, 2], "times_wrong": [bad, 0]})
    _check_svg(charts.answers_svg(answers))


@pytest.mark.parametrize("values", [[1e308, -1e308], [1e308, 1e308], [-1e308, 0.5], [5e-324, 0.0], [1e6, 1e6 + 1e-9],
                                    [0.5], [-3.0, -2.0], [1e-300, 2e-300]])
def test_the_value_axis_copes_with_any_finite_range(values):
    runs = pd.DataFrame({"settings": ["a"] * len(values), "value": values})
    root = _check_svg(charts.runs_svg(runs, "m"))
    circles = root.findall(f"./{SVG}g/{SVG}circle")
    assert len(circles) == len(values)
    xs = [float(c.get("cx")) for c in circles]
    assert all(0 <= x <= charts.WIDTH for x in xs)
    for element in root.iter():
        for name in ("x", "x1", "x2", "y", "cx", "cy", "width", "height"):
            if element.get(name) is not None:
                assert math.isfinite(float(element.get(name))), (element.tag, name, element.get(name))


def test_empty_records_give_a_chart_that_says_so():
    assert "No run has a value" in charts.runs_svg(classlog.runs_frame([_run(value=None)]), "m")
    assert "No answers yet" in charts.answers_svg(classlog.answers_table([]))


def test_a_lone_surrogate_in_a_record_does_not_break_the_class_view(tmp_path):
    """JSON can spell "\\ud800", which no UTF-8 text holds: pandas' string columns refuse it."""
    folder = tmp_path / "classes" / "x"
    folder.mkdir(parents=True)
    (folder / f"1-{'a' * 32}.json").write_text('{"kind": "run", "task": "playground", "settings": {"a": "\\ud800"}, '
                                                 '"value": 0.5, "session": "s"}')
    (folder / f"2-{'b' * 32}.json").write_text('{"kind": "answer", "task": "playground", "question": "q\\udfff", '
                                                 '"answer": "\\ud800", "right": true, "session": "s"}')
    events = classlog.read("x", str(tmp_path))
    assert len(classlog.runs_table(events)) == 1 and len(classlog.answers_table(events)) == 1
