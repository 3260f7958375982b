"""Data loading for pages, cached per (task, config, upload). Errors are never cached, so a
fixed input is loaded afresh.

Every page loads through here, also for data it needs before its settings are complete
(``load_draft``) and for extra runs (a sweep), so a rerun never reads or generates the data again.
Generated and bundled data (small, rebuilt from the config) go through ``st.cache_data``; data
parsed from an upload through ``core.ui.uploads`` (by reference, keyed by the file's sha256, under
a byte budget, released with the upload): up to 200 MB each, they must not be copied or outlive
the sessions that uploaded them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.tasks import get_task
from core.ui.uploads import UPLOADS, Upload


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Loading data…")
def _generated(task_name: str, config):
    return get_task(task_name).load_data(config)


def load(task, config, upload: Upload | None = None):
    """``task.load_data(config, upload's bytes)``; raises the task's DataError/ConfigError unchanged."""
    if upload is None:
        return _generated(task.NAME, config)
    return UPLOADS.parsed((task.NAME, config), upload, lambda: _parse(task, config, upload))


def _parse(task, config, upload: Upload):
    from core.data import sources

    with st.spinner("Reading the file…"):
        data = task.load_data(config, upload.data)
    sources.remember(data, upload.data)  # a training then sends the file's path, not the table
    return data


def load_draft(task, values: dict[str, Any], upload: Upload | None = None, **neutral: Any):
    """The data for settings still being edited: ``values`` are the widgets' current values,
    ``neutral`` replaces settings that can only be checked once the data is known (the
    playground's batch size must fit training rows it cannot count yet). Raises ConfigError for
    values that do not fit together, DataError for unusable data."""
    fields = task.Config.field_names()
    settings = {k: v for k, v in values.items() if k in fields} | neutral
    return load(task, task.Config(**settings), upload)


def settings_and_data(task, controls, upload: Upload | None, upload_hint: str | None = None):
    """A page's validated settings and its data, with what went wrong said on the page: the
    controls' link warnings, ``upload_hint`` when the settings need a file that is not uploaded
    yet (pass None when they do not), a loading error as one line, the data's notes as captions.
    Returns (config or None, data or None, the error message or None)."""
    from core.ui import frame

    config = controls.config()
    frame.show_warnings(controls.warnings(config))
    if config is None:
        return None, None, None
    data, error = _shown(lambda: load(task, config, upload), upload, upload_hint)
    return config, data, error


def draft_data(task, controls, upload: Upload | None, upload_hint: str | None = None, **neutral: Any):
    """The data for the settings drawn so far (``load_draft`` of the controls' values), with the
    same messages as ``settings_and_data``: for a page whose later controls depend on the data
    (the playground's batch size caption counts training rows). Returns (data or None, the error
    message or None)."""
    return _shown(lambda: load_draft(task, controls.values, upload, **neutral), upload, upload_hint)


def _shown(loader, upload: Upload | None, upload_hint: str | None):
    """Run ``loader`` and say on the page what came of it: the upload hint instead when a file is
    needed and missing, the one-line error, or the data's notes."""
    from core.errors import UserError
    from core.ui import frame

    if upload_hint is not None and upload is None:
        st.info(upload_hint)
        return None, None
    try:
        data = loader()
    except UserError as exc:
        frame.message("error", str(exc))
        return None, str(exc)
    for note in data.notes:
        frame.message("caption", note)
    return data, None
