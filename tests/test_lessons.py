"""Every claim of every lesson preset holds on most seeds (issue: lessons that check themselves).

Each preset is trained at its own settings and at two more seeds (the model seed and, where the
data are generated, the data seed); every claim must hold on at least two of the three runs. A
claim that fails more often is reworded or dropped, never hidden. The share of seeds on which each
claim held is printed (``-s``) and appended to test-artifacts/lesson-claims.tsv."""

from pathlib import Path

import pytest

from core import lessons as claims_of
from core.tasks import get_task, task_names

SEEDS = (0, 1, 2)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PRESETS = [(name, preset) for name in task_names() for preset in get_task(name).PRESETS]


@pytest.mark.slow
@pytest.mark.parametrize("task_name,preset", PRESETS)
def test_every_claim_holds_on_most_seeds(task_name, preset, lessons):
    task = get_task(task_name)
    claims = task.PRESETS[preset].claims
    assert claims, f"{task_name}/{preset} has no claims: a lesson says what its run should show"
    held = {claim.text: [] for claim in claims}
    answers = []
    for seed in SEEDS:  # seed 0 is the preset's own run, shared with the page and CLI tests
        result = lessons.seeded(task_name, preset, seed)
        for out in claims_of.evaluate(claims, result.metrics):
            held[out["text"]].append((out["holds"], out["evidence"]))
        answers.append(task.PRESETS[preset].question.on(result.metrics))
    report = {text: f"{sum(h is True for h, _ in runs)}/{len(SEEDS)}" for text, runs in held.items()}
    print(f"\n{task_name}/{preset}: {report}")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "lesson-claims.tsv", "a") as out:  # the share of seeds per claim, for the notes
        out.writelines(f"{task_name}\t{preset}\t{share}\t{text}\n" for text, share in report.items())
    for text, runs in held.items():
        assert sum(h is True for h, _ in runs) >= 2, (text, runs)
    # the classroom question: its runs decide one right answer (which one may differ by seed)
    assert sum(a["right"] is not None for a in answers) >= 2, answers


def test_every_preset_has_a_question_and_teacher_notes():
    """Issue 19: every preset of every page carries a question (2-4 answers, each with the check
    that makes it right on a run) and the teacher's notes, without result figures."""
    import re

    figure = re.compile(r"\d+(\.\d+)?\s*%|\bp\s*=|\b0\.\d+")
    for name in task_names():
        for preset, lesson in get_task(name).PRESETS.items():
            assert isinstance(lesson.question, claims_of.Question), (name, preset)
            assert isinstance(lesson.notes, claims_of.Notes), (name, preset)
            texts = [lesson.question.text, *(a.text for a in lesson.question.answers),
                     lesson.notes.point_at, lesson.notes.misconception, lesson.notes.follow_up]
            assert all(t.strip() for t in texts), (name, preset)
            assert not [t for t in texts if figure.search(t)], (name, preset, texts)


def test_lesson_sentences_carry_no_result_figures():
    """Settings may be named; results (accuracy, AUC, p-values, percentages) come from the run.
    Claims may name a threshold: it is what the run is checked against, not a result."""
    import re

    figure = re.compile(r"\d+(\.\d+)?\s*%|\bp\s*=|\b0\.\d+|\bAUC [\d.]+|\b\d+-\d+ points")
    for name in task_names():
        for preset, lesson in get_task(name).PRESETS.items():
            assert not figure.search(lesson.description), (name, preset, lesson.description)


def test_the_teachers_guide_is_written_from_the_presets():
    """docs/LESSONS.md is `findl presets --markdown`: edit a preset, run it again."""
    from core import lessons_doc

    guide = (Path(__file__).resolve().parents[1] / "docs" / "LESSONS.md").read_text()
    assert guide == lessons_doc.markdown(), "docs/LESSONS.md is stale: findl presets --markdown > docs/LESSONS.md"
