"""FinDL Lab: router and frame. The web server never imports TensorFlow or Keras: training and
scoring run on Dask workers (``core/engine/``). The lesson pages come from ``core/catalog.py``;
only the home page is named here."""

import streamlit as st

from core import catalog
from core.ui import frame

st.set_page_config(page_title="FinDL Lab", page_icon=":material/school:", layout="wide")

PAGES: dict[str, list] = {"Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)]}
for lesson in catalog.live():
    PAGES.setdefault(lesson.group, []).append(
        st.Page(lesson.page, title=lesson.title, icon=lesson.icon, url_path=lesson.url_path))

page = st.navigation(PAGES)
frame.style()
frame.sidebar_status()
page.run()
