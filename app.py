"""FinDL Lab: router and frame. Imports no TensorFlow (pages import it only when they train)."""

import streamlit as st

from core.ui import frame

st.set_page_config(page_title="FinDL Lab", page_icon=":material/school:", layout="wide")

PAGES = {
    "Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Lessons": [
        st.Page("app_pages/playground.py", title="Decision boundaries", icon=":material/scatter_plot:", url_path="playground"),
        st.Page("app_pages/forecasting.py", title="LSTM forecasting", icon=":material/show_chart:", url_path="forecasting"),
    ],
}

page = st.navigation(PAGES)
frame.sidebar_status()
page.run()
