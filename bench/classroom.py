"""A class opens the app at once: ``python -m bench.classroom [--sessions 10]``.

1. Same new settings: N browser sessions open the same playground link at once on an empty store.
   Expected: one training; every session shows its result with the same training time (a second
   training of the key would find the first one's result and show "cached"), one store entry.
2. Different settings: N sessions open N different links at once. Expected: a visible queue
   ("Queued: k run(s) ahead"), every session gets its own result, none shows an error.

Prints the times (first and last session to show a result) and the checks; ``tests/test_classroom.py``
runs it as a slow test.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from bench import browser as br
from bench.common import report
from core.store import Store

SECONDS = re.compile(r"Training time\s*(cached|[\d.]+ s)")
# The session's own result: metrics drawn, no progress, no banner over an older run.
DONE_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const text = main ? main.innerText : "";
  return {
    done: /Training time/.test(text) && !text.includes("Not your current settings")
          && !document.querySelector("[data-testid='stProgress']"),
    queued: text.includes("Queued:"),
    error: !!document.querySelector("[data-testid='stException'], [data-testid='stAlertContentError']"),
  };
}"""


def _open_all(context, urls: list[str], timeout_s: float) -> dict:
    """Open every URL in its own tab (its own session) at once; poll until each shows its result."""
    pages = [context.new_page() for _ in urls]
    start = time.perf_counter()
    for page, url in zip(pages, urls):
        page.goto(url, wait_until="commit")  # do not wait for the page: the class clicks together
    done_at: dict[int, float] = {}
    saw_queue, errors, messages = set(), set(), {}
    deadline = time.monotonic() + timeout_s
    while len(done_at) < len(pages) and time.monotonic() < deadline:
        for i, page in enumerate(pages):
            if i in done_at:
                continue
            state = page.evaluate(DONE_JS)
            saw_queue |= {i} if state["queued"] else set()
            if state["error"] and i not in errors:
                errors.add(i)
                messages[i] = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']"
                                           ).first.inner_text()[:300]
            if state["done"]:
                done_at[i] = time.perf_counter() - start
        time.sleep(0.2)
    shown = []
    for page in pages:
        found = SECONDS.search(br.main_text(page)) if not page.is_closed() else None
        shown.append(found.group(1) if found else None)
        page.close()
    return {"done": len(done_at), "first": min(done_at.values(), default=float("nan")),
            "last": max(done_at.values(), default=float("nan")), "queued_sessions": len(saw_queue),
            "error_sessions": len(errors), "errors": sorted(set(messages.values())), "training_times": shown}


def run(sessions: int = 10, epochs: int = 600, timeout_s: float = 300) -> dict:
    """Both rounds on a fresh server and store; returns what each round measured."""
    with tempfile.TemporaryDirectory(prefix="findl-classroom-") as folder:
        store = Path(folder) / "store"
        log = Path(f"{store}.server.log")
        with br.serve(store) as url, br.chromium() as chromium:
            warm = chromium.new_page()
            warm.goto(f"{url}/")
            br.settle(warm)
            br.wait_for_engine(warm)  # the teacher started the server before class
            warm.close()
            context = chromium.new_context(viewport={"width": 1200, "height": 900})
            same = _open_all(context, [f"{url}/playground?epochs={epochs}&data_seed=7"] * sessions, timeout_s)
            same["store_entries"] = Store(str(store)).status()["entries"]
            different = _open_all(context, [f"{url}/playground?epochs={epochs}&data_seed={100 + i}"
                                            for i in range(sessions)], timeout_s)
            different["store_entries"] = Store(str(store)).status()["entries"] - same["store_entries"]
            context.close()
        server_log = log.read_text(errors="replace")[-30000:]
    return {"server_log_tail": server_log, "same": same, "different": different, "sessions": sessions, "epochs": epochs}


def checks(out: dict) -> list[tuple[str, bool]]:
    n, same, diff = out["sessions"], out["same"], out["different"]
    times = set(same["training_times"])
    shown = ", ".join(sorted(map(str, times)))
    errors = same["error_sessions"] + diff["error_sessions"]
    one_training = same["store_entries"] == 1 and len(times) == 1 and "cached" not in times
    return [
        (f"same settings: {same['done']}/{n} sessions show the result", same["done"] == n),
        (f"same settings: one training (training time shown: {shown}; {same['store_entries']} store entry)",
         one_training),
        (f"different settings: {diff['done']}/{n} sessions show their own result", diff["done"] == n),
        (f"different settings: {diff['store_entries']} trainings stored", diff["store_entries"] == n),
        (f"different settings: {diff['queued_sessions']} session(s) saw their queue position",
         diff["queued_sessions"] >= 1),
        (f"no session showed an error ({errors}: {'; '.join(same['errors'] + diff['errors'])})", errors == 0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=600, help="playground epochs (longer: a longer queue)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    out = run(args.sessions, args.epochs)
    rows = [(f"{name}: first session shows its result", out[name]["first"], "") for name in ("same", "different")]
    rows += [(f"{name}: last session shows its result", out[name]["last"], "") for name in ("same", "different")]
    return report(f"Classroom: {args.sessions} browser sessions at once (playground, epochs {args.epochs})",
                  rows, checks(out), {}, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
