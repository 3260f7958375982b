"""Colours shared by every page: train vs test, model vs baselines, the two classes."""

CLASS_0 = "#f59322"   # orange
CLASS_1 = "#0877bd"   # blue
BOUNDARY_SCALE = [[0.0, CLASS_0], [0.5, "#f7f7f7"], [1.0, CLASS_1]]
TRAIN = "#1f77b4"
TEST = "#d62728"
MODEL = "#1f77b4"
NAIVE = "#ff7f0e"
BASELINE_MUTED = "#7f7f7f"
CLASSES = (CLASS_0, CLASS_1, "#2ca02c", "#9467bd", "#d62728", "#8c564b")  # multi-class: up to six
VALUE_SCALE = "Viridis"  # a predicted number (regression)
ERROR_SCALE = "RdBu_r"   # a signed error (prediction minus the exact value)
POSITIVE_WEIGHT = CLASS_1
NEGATIVE_WEIGHT = CLASS_0
LAYOUT = dict(template="plotly_white", margin=dict(l=40, r=20, t=40, b=40))
