"""FinDL Lab: router and frame. The web server never imports TensorFlow or Keras: training and
scoring run on Dask workers (``core/engine/``). The lesson pages come from ``core/catalog.py``;
only the home page is named here."""

import streamlit as st

from core import catalog, classroom
from core.ui import frame

st.set_page_config(page_title="FinDL Lab", page_icon=":material/school:", layout="wide")

PAGES: dict[str, list] = {"Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)]}
for lesson in catalog.live():
    PAGES.setdefault(lesson.group, []).append(
        st.Page(lesson.page, title=lesson.title, icon=lesson.icon, url_path=lesson.url_path))
PAGES["Teach"] = [st.Page("app_pages/class_view.py", title="Class view", icon=":material/groups:", url_path="class")]

# A focused classroom link (core.classroom, show=...) keeps a student on the lesson: no page menu,
# the lesson's controls first, the server's status folded away.
focused = classroom.SHOW_KEY in st.query_params
page = st.navigation(PAGES, position="hidden" if focused else "sidebar")
frame.style()
with st.sidebar.expander("Server and display") if focused else st.sidebar:
    frame.sidebar_status()
    frame.projector_switch()
page.run()
