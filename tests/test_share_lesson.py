"""A shared link carries the lesson preset when the settings are the preset's, so students who
open it see the lesson box (issue: lessons that check themselves)."""

from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from core.tasks import playground as pg
    from core.ui.controls import Controls

    controls = Controls(pg.Config, "pg")
    controls.preset_picker(pg.PRESETS, where=st.sidebar)
    for name in pg.Config.field_names():  # what the page's widgets would record
        value = st.session_state[controls.key(name)]
        controls.values[name] = tuple(value) if isinstance(value, list) else value
    config = controls.config()
    st.write(f"config:{config.to_strings(only_changed=True)}")


def _config_line(at: AppTest) -> str:
    """What the page wrote (the share box's classroom builder draws markdown too)."""
    return next(m.value for m in at.markdown if m.value.startswith("config:"))


def _open(query: dict) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_link_with_only_the_lesson_opens_the_lesson_and_its_settings():
    at = _open({"lesson": "overfit"})
    assert not at.exception
    assert at.selectbox(key="pg:preset").value == "overfit"
    assert "'epochs': '1000'" in _config_line(at)
    assert at.query_params["lesson"] in ("overfit", ["overfit"])  # the link the page shows keeps it


def test_a_link_whose_settings_differ_from_the_lesson_drops_it():
    at = _open({"lesson": "overfit", "epochs": "5"})
    assert at.selectbox(key="pg:preset").value == "overfit"
    assert "'epochs': '5'" in _config_line(at)
    assert "lesson" not in at.query_params  # the settings are not the lesson's: no lesson claimed


def test_an_unknown_lesson_in_a_link_is_ignored():
    at = _open({"lesson": "<script>alert(1)</script>"})
    assert not at.exception and at.selectbox(key="pg:preset").value == "(your settings)"
    assert "lesson" not in at.query_params
