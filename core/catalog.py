"""The lesson catalog: every lesson page of the app is one entry here.

Why one list: a page used to be named three times (the task registry, ``app.py``'s navigation and
the home page's cards), and a page added to two of them showed a dead link or a card without a
page. ``app.py`` builds ``st.navigation`` from ``live()``, ``app_pages/home.py`` draws one card per
entry (coming-next entries as a card without a link), and ``core.tasks`` registers each live
entry's task. Tasks without a page of their own are registered in ``core.tasks.PAGELESS_TASKS``.

This module is plain data: importing it imports neither TensorFlow nor Streamlit (the CLI and the
home page read it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    """One lesson page.

    task: the task's name (``findl train <task>``, the store key); module: the task module's import
    path; page: the page script relative to the repository root; url_path: the page's address
    (``/playground``), part of every shared link, so never change a live one; group: the navigation
    section; teaches: the home card's text, what the lesson teaches; live: False while the page is
    "coming next" (a home card, no navigation entry, no task)."""

    task: str
    module: str
    page: str
    url_path: str
    title: str
    icon: str
    group: str
    teaches: str
    live: bool = True


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        task="playground", module="core.tasks.playground", page="app_pages/playground.py",
        url_path="playground", title="Decision boundaries", icon=":material/scatter_plot:", group="Lessons",
        teaches="A small network learns to separate two classes on moons, spirals, credit default and fraud-like "
                "data. See the boundary form epoch by epoch, what each neuron detects, how seeds disagree, and "
                "when the network is no better than logistic regression."),
    Lesson(
        task="forecast", module="core.tasks.forecast", page="app_pages/forecasting.py",
        url_path="forecasting", title="LSTM forecasting", icon=":material/show_chart:", group="Lessons",
        teaches="LSTM, GRU and CNN models on real S&P 500 / NASDAQ prices, always next to the random walk, drift "
                "and mean baselines, with walk-forward evaluation, a Diebold-Mariano test and the question every "
                "stock-prediction app avoids: did it beat 'tomorrow = today'?"),
    Lesson(
        task="anomaly", module="core.tasks.anomaly", page="app_pages/anomaly.py",
        url_path="anomaly", title="Autoencoder anomalies", icon=":material/troubleshoot:", group="Lessons",
        teaches="An autoencoder learns what normal card transactions and market days look like and flags what it "
                "cannot reconstruct, always next to PCA and IsolationForest, with the threshold trade-off and the "
                "cost of each kind of mistake."),
    Lesson(
        task="sentiment", module="core.tasks.sentiment", page="app_pages/sentiment.py",
        url_path="sentiment", title="News sentiment", icon=":material/newspaper:", group="Lessons",
        teaches="A BiLSTM or a small Transformer reads financial headlines and says positive, negative or neutral, "
                "next to a TF-IDF baseline and a finance lexicon, and shows which words drove each call."),
    Lesson(
        task="chart-cnn", module="core.tasks.chart_cnn", page="app_pages/chart_cnn.py",
        url_path="charts", title="CNN on price charts", icon=":material/candlestick_chart:", group="Lessons",
        teaches="A convolutional network reads daily price charts drawn as small black-and-white images, as in "
                "Jiang, Kelly and Xiu, and says up or down, next to the base rate, momentum and a logistic "
                "regression that read the same days as numbers. Does the picture show anything the numbers do "
                "not? On noise, on a planted pattern and on the S&P 500."),
)


def live() -> list[Lesson]:
    """The lessons with a page today, in menu order."""
    return [lesson for lesson in LESSONS if lesson.live]


def by_task(task: str) -> Lesson | None:
    """The lesson page of ``task``; None for a task without a page of its own."""
    return next((lesson for lesson in LESSONS if lesson.task == task), None)


def check(lessons: tuple[Lesson, ...] = LESSONS) -> None:
    """Raise ValueError when two entries share a task, page, address or title (a copy-paste slip
    would otherwise show one page twice or break a shared link)."""
    for attribute in ("task", "page", "url_path", "title"):
        values = [getattr(lesson, attribute) for lesson in lessons]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"lesson catalog: {attribute} used twice: {', '.join(duplicates)}")


check()
