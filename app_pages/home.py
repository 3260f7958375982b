"""Home: what the lab is, one card per lesson (from core/catalog.py), how to use it in class."""

import streamlit as st

from core import catalog
from core.ui import frame

frame.header("FinDL Lab", "Deep learning for finance, one honest experiment at a time.")

st.markdown("""
Move a slider, watch a TensorFlow model train, and compare it with a baseline that needs no
deep learning at all. Every result is cached on the server: the same settings come back at once,
for you and for everyone else in the room. Every page's address holds its settings, so a link
reproduces exactly what you see.
""")

for start in range(0, len(catalog.LESSONS), 2):  # one card per lesson of core/catalog.py, two a row
    for column, lesson in zip(st.columns(2), catalog.LESSONS[start:start + 2]):
        with column:
            st.subheader(f"{lesson.icon} {lesson.title}")
            st.write(lesson.teaches)
            if lesson.live:
                st.page_link(lesson.page, label=f"Open {lesson.title}", icon=":material/arrow_forward:")
            else:
                st.caption(":material/schedule: Coming next")

st.divider()
st.markdown("""
**How to use it in class.** Pick a lesson preset at the top of a page's sidebar: each says in one
sentence what it shows. Change one thing at a time. When a model does not beat its baseline, the page
says so: that is a result, not a failure.
""")
