"""Classroom links (issue 19): the link's keys (core.classroom), a focused page that shows only the
chosen controls, the question that covers the result until answered, the builder in the share box.
Every preset of every page opens through a classroom link in tests/test_app.py (the lesson store);
the browser checks are in tests/test_e2e_classroom.py."""

import pytest
from test_app import _open, _shown, _until

from core import classlog, classroom
from core.classroom import Classroom
from core.tasks import playground as pg

FIELDS = pg.Config.field_names()


def test_a_full_link_reads_back_what_the_builder_wrote():
    room = Classroom(lesson="overfit", show=("hidden", "learning_rate"), lock=True, ask=True, text=False,
                     code="fin101", teacher=True, projector=True)
    query = room.to_query()
    assert query == {"lesson": "overfit", "show": "hidden,learning_rate", "lock": "1", "ask": "1", "text": "0",
                     "class": "fin101", "teacher": "1", "projector": "1"}
    assert classroom.from_query(query, FIELDS, pg.PRESETS) == (room, [])
    assert classroom.from_query({"show": "none"}, FIELDS, pg.PRESETS)[0].show == ()
    assert Classroom().to_query() == {} and not Classroom().focused


@pytest.mark.parametrize("query,kept,warned", [
    ({"lesson": "nope", "show": "seed"}, Classroom(show=("seed",)), "no such lesson"),
    ({"show": "seed,rm -rf,hidden"}, Classroom(show=("seed", "hidden")), "not settings of this page"),
    ({"ask": "1"}, Classroom(), "questions come with a lesson"),
    ({"lesson": "overfit", "ask": "maybe"}, Classroom(lesson="overfit"), "use 1 (on) or 0 (off)"),
    ({"lesson": "overfit", "class": "<script>x</script>"}, Classroom(lesson="overfit"), "class code"),
    ({"class": " Fin101 "}, Classroom(code="fin101"), None),
])
def test_bad_classroom_values_are_dropped_with_one_line_and_the_rest_kept(query, kept, warned):
    room, warnings = classroom.from_query(query, FIELDS, pg.PRESETS)
    assert room == kept
    assert (warnings == []) if warned is None else (len(warnings) == 1 and warned in warnings[0].lower()), warnings


def _sidebar_controls(at) -> list[str]:
    """Labels of the sidebar's inputs, less the app frame's projector switch."""
    kinds = ("Slider", "SelectSlider", "NumberInput", "Selectbox", "Radio", "TextInput", "Multiselect", "Button")
    return [w.label for w in at.sidebar if type(w).__name__ in kinds]


def test_a_focused_link_shows_only_its_controls_covers_the_result_until_answered_and_records(monkeypatch, tmp_path):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path))
    query = {"lesson": "underfit-linear", "show": "hidden,learning_rate", "ask": "1", "class": "fin101",
             "text": "0", "teacher": "1"}
    at = _until(_open("app_pages/playground.py", query), lambda a: any(r.label == "Your answer" for r in a.radio))
    assert not at.exception
    assert _sidebar_controls(at) == ["Reset to the lesson", "Hidden layers: how many", "Learning rate"]
    assert not at.metric and not at.tabs, "the result shows before the question is answered"
    assert any("Lesson: underfit-linear" in i.value for i in at.info)
    assert not any("Watch the boundary form" in c.value for c in at.caption), "text=0 keeps the page's intro"
    assert any(e.label == "Teacher notes" for e in at.expander)
    for key, value in query.items():  # the address stays the classroom link
        assert at.query_params[key] in (value, [value])

    question = pg.PRESETS["underfit-linear"].question
    at.radio[0].set_value(0)
    next(b for b in at.button if b.label.startswith("Answer")).click()
    at = _until(at.run(), _shown)
    assert not at.exception and at.tabs
    marked = [m.value for m in [*at.success, *at.warning] if question.text in m.value]
    assert marked and "You answered" in marked[0]
    assert any("In this run" in i.value or "Not in this run" in i.value for i in at.info), "claims explain the run"

    events = classlog.read("fin101", str(tmp_path))
    kinds = sorted(e["kind"] for e in events)
    assert kinds == ["answer", "run"], events
    answer = next(e for e in events if e["kind"] == "answer")
    assert answer["lesson"] == "underfit-linear" and answer["answer"] == question.answers[0].text
    right = any(question.text in m.value for m in at.success)  # the page's mark and the record agree
    assert answer["right"] is right

    # a student changes a shown setting, then is one click from the lesson again
    at.sidebar.slider(key="pg.hidden.n").set_value(3)
    at.run()
    assert len(at.query_params["hidden"].split(",")) == 3 and at.query_params["show"] == "hidden,learning_rate"
    next(b for b in at.button if b.label == "Reset to the lesson").click()
    at.run()
    assert at.session_state["pg.hidden"] == [] and at.session_state["pg.hidden.n"] == 0


def test_locked_controls_are_shown_greyed_out_and_cannot_change(monkeypatch, tmp_path):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path))
    at = _until(_open("app_pages/playground.py", {"lesson": "default", "show": "seed", "lock": "1", "epochs": "20"}),
                _shown)
    widgets = {w.label: w for w in at.sidebar if hasattr(w, "disabled") and w.label}
    assert not widgets["Seed"].disabled
    assert widgets["Learning rate"].disabled and widgets["Dataset"].disabled
    assert "Lesson preset" not in widgets  # the lesson is fixed by the link


def test_the_builder_in_the_share_box_writes_a_classroom_link_and_its_qr_code(monkeypatch, tmp_path):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path))
    at = _until(_open("app_pages/playground.py", {"epochs": "20"}), _shown)
    at.selectbox(key="pg:room.lesson").set_value("overfit")
    at.multiselect(key="pg:room.show").set_value(["learning_rate", "seed"])
    at.text_input(key="pg:room.code").set_value("Fin101")
    at.run()
    links = [c.value for c in at.code if "lesson=overfit" in c.value]
    assert links and links[0].endswith("?lesson=overfit&show=learning_rate%2Cseed&ask=1&class=fin101")
    assert at.get("image"), "no QR code"
    assert any("/class?class=fin101" in c.value for c in at.caption)
    at.text_input(key="pg:room.code").set_value("bad code!")
    at.run()
    assert any("class code" in e.value.lower() for e in at.error)
    assert not at.exception


def test_the_class_view_address_sits_beside_the_lesson_page():
    from core.ui.classroom import class_view_url

    assert class_view_url("http://srv:8501/findl/playground?class=fin101") == "http://srv:8501/findl/class?class=fin101"
    assert class_view_url("http://srv/playground?class=a") == "http://srv/class?class=a"
