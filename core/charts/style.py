"""Colours shared by every chart: train vs test, model vs baselines, the classes, the scales.

Every colour of every chart (the Plotly figures here and the canvas pictures of ``canvas.js``) is
named in this file; the chart modules only refer to these names (tests/test_palette.py checks the
sources and the figures). The colours come from Paul Tol's colour-blind-safe schemes:

    Paul Tol, "Colour Schemes", SRON technical note SRON/EPS/TN/09-002, issue 3.2 (2021),
    https://personal.sron.nl/~pault/data/colourschemes.pdf

- categories: the "vibrant" qualitative scheme (Fig. 2 of the note); its colours stay distinct for
  deuteranopes, protanopes and tritanopes, and against the light and the dark theme alike;
- a signed number (an error, a weight): the "BuRd" diverging scheme (Fig. 13), blue below zero,
  red above, near-white at zero (the two-class boundary uses the classes' orange and blue with the
  same near-white middle);
- a share between 0 and 1 (a confusion matrix, attention): the "YlOrBr" sequential scheme (Fig. 17);
- a number (the regression playground): Viridis, also colour-blind safe and readable in grey.

Good/bad, up/down, right/wrong and positive/negative are never red against green: they are blue
against orange or red, and where the difference is a chart's point a second cue (a marker, a dash,
a text mark or a sign) carries it too.

Light and dark theme: the figures draw no background of their own (``TRANSPARENT`` paper and
plot), so they sit on the page's background, and no text or grid colour is set here: Streamlit's
chart theme (``st.plotly_chart(theme="streamlit")``, the default) fills in the theme's text, grid
and hover colours in the browser. The fixed colours that remain are marks drawn on top of a
heatmap (``OUTLINE``, ``INK``), which sit on the heatmap, not on the page.
"""

from __future__ import annotations

# ---- Tol "vibrant" (qualitative, colour-blind safe) ---------------------------------------------
BLUE = "#0077BB"
CYAN = "#33BBEE"
TEAL = "#009988"
ORANGE = "#EE7733"
RED = "#CC3311"
MAGENTA = "#EE3377"
GREY = "#BBBBBB"          # Tol's grey: the scheme's colour for muted or missing data
VIBRANT = (BLUE, CYAN, TEAL, ORANGE, RED, MAGENTA, GREY)

# ---- two more Tol colours: "bright" yellow (a highlighter: attention, a third line) and "muted"
# indigo (a sixth class: unlike vibrant red, it stays apart from orange for deuteranopes) ---------
YELLOW = "#CCBB44"
INDIGO = "#332288"

# ---- neutrals ----------------------------------------------------------------------------------
# Tol's "bad data" grey of the YlOrBr scheme: about 3.5:1 against white and 5:1 against the dark
# theme's near-black, so a line in it reads on both (reference lines, the actual series, nodes).
NEUTRAL = "#888888"
PALE = "#F7F7F7"          # the near-white middle of Tol's BuRd: "no side" / "a toss-up"
OUTLINE = "#FFFFFF"       # the rim of a point drawn on a heatmap (on the heatmap, not the page)
INK = "#222222"           # a dark mark drawn on a heatmap (its light middle); never text on the page
TRANSPARENT = "rgba(0,0,0,0)"  # no background of its own: the chart shows the theme's page colour

# ---- Tol sequential and diverging schemes --------------------------------------------------------
YLORBR = ("#FFFFE5", "#FFF7BC", "#FEE391", "#FEC44F", "#FB9A29", "#EC7014", "#CC4C02", "#993404", "#662506")
BURD = ("#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", PALE, "#FDDBC7", "#F4A582", "#D6604D", "#B2182B")
# Viridis (van der Walt and Smith for matplotlib; Plotly's "Viridis"): colour-blind safe, monotonic in
# lightness; named here stop by stop so every colour a chart uses is in this file.
VIRIDIS = ("#440154", "#482878", "#3E4989", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6ECE58", "#B5DE2B",
           "#FDE725")


def scale(colours) -> list[list]:
    """Evenly spaced stops of a Plotly colour scale."""
    n = len(colours) - 1
    return [[i / n, c] for i, c in enumerate(colours)]


def rgba(colour: str, alpha: float) -> str:
    """A palette colour (``#RRGGBB``) made translucent, as a CSS/Plotly ``rgba(...)`` string."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


# ---- roles ---------------------------------------------------------------------------------------
CLASS_0 = ORANGE          # the playground's two classes: orange and blue stay apart for every kind
CLASS_1 = BLUE            # of colour blindness (and in grey: orange is the lighter one)
BOUNDARY_SCALE = [[0.0, CLASS_0], [0.5, PALE], [1.0, CLASS_1]]  # P(class 1)
CLASSES = (CLASS_0, CLASS_1, TEAL, MAGENTA, CYAN, INDIGO)  # multi-class: up to six
TRAIN = BLUE
TEST = RED                # blue vs red: a safe pair (never red vs green)
MODEL = BLUE
NAIVE = ORANGE            # the baseline to beat
BASELINE_MUTED = NEUTRAL  # a baseline shown for reference
REFERENCE = NEUTRAL       # chance, "perfect", zero and other reference lines (dashed or dotted)
VALUE_SCALE = scale(VIRIDIS)  # a predicted number (regression)
ERROR_SCALE = scale(BURD)     # a signed error (prediction minus the exact value): blue under, red over
SHARE_SCALE = scale(YLORBR)   # a share from 0 to 1: confusion-matrix rows, attention weights
SPREAD_SCALE = [[0.0, PALE], [1.0, INK]]  # how much seeds disagree: pale = all agree, dark = split
POSITIVE_WEIGHT = CLASS_1
NEGATIVE_WEIGHT = CLASS_0
POSITIVE = BLUE           # sentiment: towards positive
NEGATIVE = RED            # towards negative (a safe pair with blue; the page adds a second cue)
NEUTRAL_LABEL = NEUTRAL
ATTENTION = YELLOW        # attention has no direction: a highlighter colour, neither side's

# Every colour a chart may use (the scales' stops included): tests/test_palette.py holds the
# figures and the sources to this set.
PALETTE = frozenset(c.upper() for c in (*VIBRANT, YELLOW, INDIGO, NEUTRAL, PALE, OUTLINE, INK, *YLORBR, *BURD, *VIRIDIS))


def _template():
    """A Plotly template with no colour of the page in it: transparent backgrounds, the palette as
    the colour cycle, and Plotly's own defaults for everything else. Inside Streamlit, its chart
    theme adds the theme's font, grid and hover colours in the browser (it merges them into the
    figure's template), so each chart follows the light or the dark theme; set here instead, they
    would be one theme's colours in both. (The former ``template="plotly_white"`` brought white
    backgrounds, white bar edges and Plotly's own colour cycle, with a red and a green in it.)"""
    import plotly.graph_objects as go

    colorbar = dict(outlinewidth=0, ticks="")
    return go.layout.Template(
        layout=dict(colorway=[BLUE, ORANGE, TEAL, MAGENTA, CYAN, RED, YELLOW, NEUTRAL],
                    paper_bgcolor=TRANSPARENT, plot_bgcolor=TRANSPARENT, hovermode="closest",
                    hoverlabel=dict(align="left"), autotypenumbers="strict",
                    colorscale=dict(sequential=SHARE_SCALE, sequentialminus=SHARE_SCALE, diverging=ERROR_SCALE),
                    coloraxis=dict(colorbar=colorbar),
                    xaxis=dict(automargin=True, ticks="", title=dict(standoff=15)),
                    yaxis=dict(automargin=True, ticks="", title=dict(standoff=15))),
        data=dict(heatmap=[dict(colorbar=colorbar)], scatter=[dict(marker=dict(colorbar=colorbar))],
                  bar=[dict(marker=dict(line=dict(width=0), pattern=dict(fillmode="overlay", size=10, solidity=0.2)))]))


TEMPLATE = _template()
# Every figure: ``fig.update_layout(**LAYOUT, ...)``. The backgrounds are set on the figure too, not
# only in the template: Streamlit's theme would put its page colour there, which is the same colour
# inside a page but not inside a bordered container or the sidebar.
LAYOUT = dict(template=TEMPLATE, paper_bgcolor=TRANSPARENT, plot_bgcolor=TRANSPARENT,
              margin=dict(l=40, r=20, t=40, b=40))
