"""The mechanism of lessons that check themselves (core/lessons.py): claims decided on a run's
metrics, with the run's own numbers as evidence, and the lesson box that shows them."""

from core import comparisons, lessons
from core.tasks import Preset
from core.ui.controls import lesson_markdown


def _metrics(verdict_p: float = 0.001) -> dict:
    c = comparisons.comparison(scorer="network", scorer_label="network", baseline="majority",
                               baseline_label="always the majority", metric="accuracy", model_value=0.9,
                               baseline_value=0.6, test="McNemar", p_value=verdict_p, n=200, unit="test points")
    return {"train_accuracy": 0.99, "test_accuracy": 0.9, "test_auc": None, "comparisons": [c],
            "per_class": [{"f1": 0.5}]}


def test_predicates_decide_on_the_run_and_give_its_numbers():
    m = _metrics()
    holds, evidence = lessons.above("train_accuracy", "test_accuracy", by=0.05, fmt=lessons.PERCENT,
                                    names=("train accuracy", "test accuracy"))(m)
    assert holds and evidence == "train accuracy 99.0%, test accuracy 90.0%"
    assert lessons.above("train_accuracy", "test_accuracy", by=0.2)(m)[0] is False
    assert lessons.below("test_accuracy", 0.95)(m)[0] is True
    assert lessons.between("per_class.0.f1", 0.4, 0.6)(m)[0] is True
    holds, evidence = lessons.verdict("majority", "better")(m)
    assert holds and evidence == "against always the majority: +30.0 points, p = 0.001, 200 test points, better"
    assert lessons.verdict("majority", "better")(_metrics(0.5))[0] is False
    assert lessons.verdict("logistic", "better")(m)[0] is None  # no such comparison in this run
    assert lessons.all_of(lessons.below("test_accuracy", 0.95), lessons.verdict("majority", "tie"))(m)[0] is False


def test_a_claim_the_run_cannot_show_says_so_instead_of_failing():
    claim = lessons.Claim("the network ranks positives above negatives", lessons.above("test_auc", 0.8))
    out = claim.on(_metrics())
    assert out["holds"] is None and "not computable" in out["evidence"]
    assert lessons.Claim("missing", lessons.above("no_such_metric", 0.5)).on(_metrics())["holds"] is None


def test_the_lesson_box_marks_each_claim_for_this_run():
    preset = Preset("Watch the gap between train and test accuracy.", {}, (
        lessons.Claim("train accuracy is well above test accuracy",
                      lessons.above("train_accuracy", "test_accuracy", by=0.05, fmt=lessons.PERCENT)),
        lessons.Claim("the network beats the majority by more than sampling error",
                      lessons.verdict("majority", "better")),
        lessons.Claim("the network's AUC is above 0.8", lessons.above("test_auc", 0.8)),
        lessons.Claim("test accuracy is below 50 %", lessons.below("test_accuracy", 0.5)),
    ))
    box = lesson_markdown(lessons.lesson("overfit", preset, _metrics()))
    lines = box.splitlines()
    assert lines[0] == "**Lesson: overfit.** Watch the gap between train and test accuracy."
    assert lines[1].startswith("- :blue[:material/check_circle:] **In this run:** train accuracy is well above")
    assert lines[2].startswith("- :blue[:material/check_circle:] **In this run:** the network beats the majority")
    assert lines[3].startswith("- :gray[:material/help:] **This run cannot show it:** the network's AUC")
    assert lines[4].startswith("- :orange[:material/cancel:] **Not in this run:** test accuracy is below 50 %")
