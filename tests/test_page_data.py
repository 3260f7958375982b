"""Pages load data through core/ui/data.py: once per (task, settings, upload), not on every rerun."""

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from core.tasks import playground as pg

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_playground_reads_its_data_through_the_cached_loader(monkeypatch):
    calls = []
    real = pg.load_data
    monkeypatch.setattr(pg, "load_data", lambda config, path=None: calls.append(config) or real(config, path))
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["epochs"] = "10"
    at.run()
    at.switch_page("app_pages/playground.py")
    at.run()
    assert not at.exception and len(calls) == 1
    assert calls[0].batch_size == 1  # the draft settings: the batch size is checked once the data is known
    at.run()
    at.run()
    assert len(calls) == 1, "a rerun with the same settings generated the data again"
    at.number_input(key="pg.data_seed").set_value(5)
    at.run()
    assert len(calls) == 2 and calls[1].data_seed == 5
