"""Shared output of the benchmark scripts: a table, ratios against targets, PASS/FAIL, or JSON."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager


@contextmanager
def timer(into: dict, name: str):
    start = time.perf_counter()
    yield
    into[name] = time.perf_counter() - start


def report(title: str, rows: list[tuple[str, float, str]], checks: list[tuple[str, bool]], extra: dict,
           as_json: bool) -> int:
    """rows: (what, seconds, note); checks: (sentence, passed). Exit code 0 when all pass."""
    if as_json:
        print(json.dumps({"benchmark": title, "seconds": {r[0]: round(r[1], 4) for r in rows},
                          "checks": {c[0]: c[1] for c in checks}, **extra}))
    else:
        print(title)
        for what, seconds, note in rows:
            print(f"  {what:<48} {seconds:8.3f} s  {note}")
        for key, value in extra.items():
            print(f"  {key}: {value}")
        for sentence, passed in checks:
            print(f"  [{'PASS' if passed else 'FAIL'}] {sentence}")
    return 0 if all(p for _, p in checks) else 1
