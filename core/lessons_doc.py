"""docs/LESSONS.md, written from the presets: a teacher prepares a class from one file.

``findl presets --markdown > docs/LESSONS.md`` writes it; ``tests/test_lessons.py`` checks that the
file in the repository is what the presets say. Each lesson: its page, the classroom link, what to
look at, the claims the page checks on the run, the question with its answers (the run decides
which is right) and the teacher's notes.
"""

from __future__ import annotations

from core import catalog
from core.classroom import Classroom

HEADER = """# Lessons: a teacher's guide

Written from the lesson presets by `findl presets --markdown` (do not edit by hand: edit the
presets in `core/tasks/*/config.py` and run it again). README, "Teaching with FinDL Lab", says how
to prepare, share, ask and review. Each lesson below lists:

- **Link**: the classroom link (the lesson's settings, no controls, the question before the
  result); put your server's address in front, and add `show=...`, `class=CODE`, `teacher=1` as
  you need them (or build it in the page's "Share these settings" box, with a QR code).
- **Claims**: what the page checks on the run shown; each is marked "in this run" or "not in this
  run" on screen. They hold on at least two of three seeds (`tests/test_lessons.py`).
- **Question**: asked before the result is revealed. No answer is fixed: the run on screen
  decides which answer is right, and the page says so when it cannot decide.
"""


def markdown() -> str:
    from core.tasks import get_task

    parts = [HEADER]
    for lesson in catalog.live():
        task = get_task(lesson.task)
        parts.append(f"\n## {lesson.title} (`/{lesson.url_path}`)\n")
        for name, preset in task.PRESETS.items():
            link = Classroom(lesson=name, show=(), ask=True).to_query()
            query = "&".join(f"{k}={v}" for k, v in link.items())
            settings = task.Config(**preset.settings).to_strings(only_changed=True)
            lines = [f"\n### {name}\n", preset.description, "",
                     f"- **Link:** `/{lesson.url_path}?{query}`",
                     f"- **Settings:** {', '.join(f'`{k}={v}`' for k, v in settings.items()) or 'the defaults'}",
                     "- **Claims:**", *(f"  - {claim.text}" for claim in preset.claims)]
            if preset.question is not None:
                lines += [f"- **Question:** {preset.question.text}",
                          *(f"  - {answer.text}" for answer in preset.question.answers)]
            if preset.notes is not None:
                lines += [f"- **Point at:** {preset.notes.point_at}",
                          f"- **Common misconception:** {preset.notes.misconception}",
                          f"- **Try next:** {preset.notes.follow_up}"]
            parts.append("\n".join(lines) + "\n")
    return "".join(parts)
