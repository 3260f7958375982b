"""The skeleton every lesson page follows, so a page script only says what is particular to it.

In order: the header; the controls (``Controls`` bound to the task's Config and the preset
picker, first in the sidebar); the settings and their data (``core.ui.data``); the run panel
(``job_panel.result_or_last``, with the page's live view) and the preset's lesson box; then the
page's headline numbers (``frame.headline`` over the run's comparisons); its tabs, of which only
the open one is drawn; and downloads. The order is the same on every page because students move
between pages: the verdict is always under the run panel, the details always in tabs.

A page reads::

    page = LessonPage(fc, "fc", "LSTM forecasting, honestly", "Can a recurrent network ...")
    controls = page.controls
    controls.select("source", "Price source", where=st.sidebar)       # ...the page's controls
    config, data, error = page.settings_and_data(upload, upload_hint)
    result = page.result(live_view=job_panel.live_loss("Live loss", "fc:live"))
    frame.headline(result.metrics["comparisons"])                      # ...its headline numbers
    page.tabs({"Forecast": forecast_tab, "Downloads": downloads_tab})
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pandas as pd
import streamlit as st

from core.data import csvout
from core.ui import classroom, frame, job_panel
from core.ui import data as page_data
from core.ui.controls import Controls
from core.ui.uploads import Upload


class LessonPage:
    """One lesson page of ``task``; ``prefix`` namespaces its widget keys (``fc.lookback``,
    ``fc:tab``), which shared links and tests rely on."""

    def __init__(self, task: ModuleType, prefix: str, title: str, teaches: str):
        self.room, room_warnings = classroom.room_of(prefix, task)  # a classroom link's keys
        frame.header(title, teaches if self.room.text else None)
        self.task, self.prefix = task, prefix
        self.controls = Controls(task.Config, prefix, self.room, room_warnings)
        self.controls.preset_picker(task.PRESETS, where=st.sidebar)
        self.config = self.data = None
        self._draft: tuple[Any, str | None] | None = None

    def draft_data(self, upload: Upload | None = None, upload_hint: str | None = None, **neutral: Any):
        """The data before the settings are complete, for controls that depend on it (the
        playground's batch size caption); ``neutral`` stands in for settings that can only be
        checked once the data is known. ``settings_and_data`` then uses this data. Returns the
        data or None (the page already said why)."""
        self._draft = page_data.draft_data(self.task, self.controls, upload, upload_hint, **neutral)
        return self._draft[0]

    def settings_and_data(self, upload: Upload | None = None, upload_hint: str | None = None):
        """The validated settings and their data, problems said on the page (see
        ``core.ui.data.settings_and_data``); after ``draft_data`` the draft's data, and settings
        only when there is data to check them against. Returns (config, data, error message),
        each None when missing."""
        if self._draft is None:
            self.config, self.data, error = page_data.settings_and_data(self.task, self.controls, upload, upload_hint)
            return self.config, self.data, error
        self.data, error = self._draft
        self.config = self.controls.config() if self.data is not None else None
        frame.show_warnings(self.controls.warnings(self.config))
        return self.config, self.data, error

    def result(self, **panel: Any):
        """The run panel (``job_panel.result_or_last``: train, progress with ``live_view``, the last
        good run under a banner; the script stops when there is nothing to show) and the preset's
        lesson box; in a classroom link with questions, the question over the result (the script
        stops there until it is answered). ``panel``: ``job_panel.run``'s options (auto, live_view,
        button_label)."""
        result = job_panel.result_or_last(self.task, self.config, self.data, **panel)
        classroom.record_run(self, result)
        self.controls.lesson(result)
        if self.room.asks(self.task.PRESETS):
            classroom.ask(self, result)  # stops here until the student answers
        return result

    def tabs(self, views: dict[str, Callable[[], None]]) -> None:
        """One tab per view, keyed ``<prefix>:tab``; only the open tab is drawn (docs/DESIGN.md,
        "Only the open tab is drawn"): choosing a tab reruns the page."""
        lazy_tabs(views, key=f"{self.prefix}:tab")


def lazy_tabs(views: dict[str, Callable[[], None]], key: str) -> None:
    """``st.tabs`` over ``views``' names that calls only the open tab's function."""
    for tab, draw in zip(st.tabs(list(views), key=key, on_change="rerun"), views.values(), strict=True):
        if tab.open:
            with tab:
                draw()


def download_table(label: str, table: pd.DataFrame, file_name: str) -> None:
    """A CSV download of ``table`` (without its index), written by ``core.data.csvout``: a text
    cell a spreadsheet would run as a formula is neutralised."""
    st.download_button(label, csvout.to_csv(table), file_name, "text/csv")


def download_file(label: str, result, name: str, file_name: str, **options: Any) -> None:
    """A download of the run's file ``name`` (a trained model), from the bytes the run holds or
    the store. When the store entry was deleted under a run still on screen, one line says so and
    "Train again" makes the page read the store afresh (and train the settings again)."""
    data = result.file_bytes(name)
    if data is not None:
        st.download_button(label, data, file_name, **options)
        return
    st.warning(f"{label}: this run's files are gone from the store (deleted?); train again to download them.",
               icon=":material/folder_off:")
    if result.key and st.button("Train again", key=f"gone:{result.key}:{name}"):
        from core import engine

        engine.engine().forget(result.key)
        st.rerun()
