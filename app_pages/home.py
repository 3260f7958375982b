import streamlit as st

from core.ui import frame

frame.header("FinDL Lab", "Deep learning for finance, one honest experiment at a time.")

st.markdown("""
Move a slider, watch a TensorFlow model train, and compare it with a baseline that needs no
deep learning at all. Every result is cached on the server: the same settings come back at once,
for you and for everyone else in the room. Every page's address holds its settings, so a link
reproduces exactly what you see.
""")

LESSONS = [
    ("app_pages/playground.py", ":material/scatter_plot: Decision boundaries", "Open the playground",
     ("A small network learns to separate two classes on moons, spirals, credit default and fraud-like data. "
     "See the boundary form epoch by epoch, what each neuron detects, how seeds disagree, and when the "
     "network is no better than logistic regression.")),
    ("app_pages/forecasting.py", ":material/show_chart: LSTM forecasting", "Open forecasting",
     ("LSTM, GRU and CNN models on real S&P 500 / NASDAQ prices, always next to the random walk, drift and "
     "mean baselines, with walk-forward evaluation, a Diebold-Mariano test and the question every "
     "stock-prediction app avoids: did it beat 'tomorrow = today'?")),
]
for column, (page, title, link, text) in zip(st.columns(len(LESSONS)), LESSONS):
    with column:
        st.subheader(title)
        st.write(text)
        st.page_link(page, label=link, icon=":material/arrow_forward:")

st.divider()
st.markdown("""
**How to use it in class.** Pick a lesson preset at the top of a page's sidebar: each says in one
sentence what it shows. Change one thing at a time. When a model does not beat its baseline, the page
says so: that is a result, not a failure.
""")
