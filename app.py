"""FinDL Lab: router and frame. Imports no TensorFlow (pages import it only when they train)."""

import streamlit as st

from core.ui import frame

st.set_page_config(page_title="FinDL Lab", page_icon="📈", layout="wide")

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon="🏠", default=True)],
    "Lessons": [
        st.Page("pages/playground.py", title="Decision boundaries", icon="🧭", url_path="playground"),
        st.Page("pages/forecasting.py", title="LSTM forecasting", icon="📈", url_path="forecasting"),
    ],
}

page = st.navigation(PAGES)
frame.sidebar_status()
page.run()
