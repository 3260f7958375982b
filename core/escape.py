"""User text shown literally: one escaping function per renderer that would otherwise interpret it.

Streamlit renders the body of ``st.markdown``, ``st.error/warning/info/success``, ``st.caption``,
``st.write`` of a string, ``st.table`` cells and widget labels as GitHub Markdown with its own
extras: ``$...$`` is KaTeX, ``:red[...]`` colours, ``->`` becomes an arrow, a bare ``http://``
address becomes a link. A share-link value ``[Sign in](http://evil/x)`` or a CSV column named
``![x](http://evil/p.png)`` echoed there becomes a live link in the app's own message box, or an
image every student's browser fetches. Plotly renders a subset of HTML in every label (titles,
legends, ticks, hover text): ``<a href>``, ``<b>``, ``<br>``.

So text that comes from a link, a file, a typed box or a stored run goes through ``markdown`` or
``plotly`` where it is shown (at the display edge, once), never where it is produced: the CLI and
the JSON show it as it is.
"""

from __future__ import annotations

import html
import re

# Every ASCII punctuation character: CommonMark lets a backslash escape any of them, and each
# escaped one is shown as itself. Escaping all of them (not a list of today's syntax) also covers
# Streamlit's extensions ($ KaTeX, :colour[...], ~~, -> arrows) and GFM's bare-URL links, whose
# "http:" and "www." no longer match once ":" and "." are escaped. One exception: "_" between two
# letters or digits, which CommonMark never reads as emphasis, so a setting's name (learning_rate)
# stays as it is in the text.
_PUNCTUATION = re.compile(r"([!-/:-@\[-^`{-~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_BREAKS = re.compile(r"\r\n?")


def markdown(text: object) -> str:
    """``text`` for a Streamlit Markdown body, shown exactly as typed: no link, image, HTML,
    formula, heading, list or code. Leading spaces of each line are dropped: four of them would
    start a code block, where the escapes themselves would show."""
    lines = _LINE_BREAKS.sub("\n", str(text)).split("\n")
    return "\n".join(_PUNCTUATION.sub(r"\\\1", line.lstrip()) for line in lines)


def plotly(text: object) -> str:
    """``text`` for a Plotly label (title, legend, axis category, hover or cell text): ``&``,
    ``<`` and ``>`` as entities, which Plotly shows as the characters, so no tag is rendered."""
    return html.escape(str(text), quote=False)


def shortened(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut): a value quoted in a
    message, which a link or a file can make a page long."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
