"""Data loading for pages, cached per (task, config, upload). Errors are never cached
(st.cache_data does not store exceptions), so a fixed input is loaded afresh."""

from __future__ import annotations

import streamlit as st

from core.tasks import get_task


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Loading data…")
def _load(task_name: str, config, upload: bytes | None):
    return get_task(task_name).load_data(config, upload)


def load(task, config, upload: bytes | None = None):
    """``task.load_data(config, upload)``; raises the task's DataError/ConfigError unchanged."""
    return _load(task.NAME, config, upload)
