"""Run work in threads that start at the same moment (for the concurrency tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_concurrently(count: int, work: Callable[[int], object]) -> list[Exception]:
    """Calls work(0) … work(count-1) in `count` threads released together by a barrier;
    returns the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors: list[Exception] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except Exception as exc:  # collected for the caller's assertions
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors
