"""core.classlog: class codes, append-only records under concurrency, lenient summaries."""

import json
import logging
import math
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from core import classlog
from core.charts import class_view as charts
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
        figures = [charts.runs_chart(group, metric, bool(hib))
                   for (metric, hib), group in runs.groupby(["metric", "higher_is_better"])]
        figures += [charts.answers_chart(rows) for _, rows in answers.groupby("question")]
        blob = "".join(json.dumps(f.to_plotly_json(), default=str) for f in figures)
        assert "<script>" not in blob and "&lt;script&gt;" in blob
        for frame in (table, answers):
            text = csvout.to_csv(frame)
            assert "\n=cmd" not in text and ",=cmd" not in text and "'=cmd" in text


def test_the_run_chart_draws_the_most_run_settings_and_says_how_many_more():
    events = [_run(i, settings={"seed": str(i % 20)}, value=i / 100) for i in range(60)]
    runs = classlog.runs_frame(events)
    fig = charts.runs_chart(runs, "Network test accuracy", max_groups=5)
    assert len(set(fig.data[0].y)) == 5 and "the 5 most-run of 20 settings" in fig.layout.title.text
    answers = classlog.answers_table(_class())
    fig = charts.answers_chart(answers)
    names = [trace.name for trace in fig.data if trace.type == "bar"]
    assert names == ["✓ right for the run they saw", "✗ wrong for the run they saw", "? their run could not decide"]
    assert [trace.marker.pattern.shape for trace in fig.data if trace.type == "bar"] == ["/", "", "."]
    assert "no  ✗" in fig.data[0].y  # wrong every time: marked in the label, not by colour alone
