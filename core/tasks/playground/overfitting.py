"""When the playground calls a run overfit: one home for the marks the page's note and the lesson
claims share, so the note beside a lesson can never word a verdict its claims do not make.

Overfitting shows as train accuracy well above test accuracy (in points, not per cent). Whether
the network has also grown overconfident shows in the test loss: climbing away from its best value
during training, it punishes the test points the network gets wrong ever more surely. Dropout and a
weight penalty tame the loss without always closing the accuracy gap on a few dozen test points,
so the note names both, and calls the run overfit only when both signs show. A test loss that jumps
about with a small gap (a learning rate too high) is not called overfitting.
"""

from __future__ import annotations

from typing import Any

GAP_POINTS = 8     # train accuracy this many points above test accuracy is a gap worth a note
LOSS_CLIMB = 0.5   # a final test loss this far above its best value during training has climbed


def note(metrics: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, text) of the page's note on a train-test accuracy gap: "warning" (overfitting) when the
    test loss has also climbed, "info" when it has not; None when the gap is small."""
    gap = metrics.get("train_test_gap_points")  # classes only
    if gap is None or gap <= GAP_POINTS:
        return None
    final, best = metrics["test_loss"], metrics["test_loss_min"]
    accuracy = f"train accuracy is {gap:.1f} points above test accuracy"
    losses = f"({final:.3f} at the end, {best:.3f} at best)"
    if final - best > LOSS_CLIMB:
        return "warning", (f"Overfitting: {accuracy}, and the test loss has climbed more than {LOSS_CLIMB} above "
                           f"its best value during training {losses}.")
    return "info", (f"{accuracy.capitalize()}, but the test loss stays within {LOSS_CLIMB} of its best value during "
                    f"training {losses}.")
