"""One way to wait for something another process does: ask again until it is there."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(found: Callable[[], T], *, timeout: float, every: float,
          failure: Callable[[float], Exception]) -> T:
    """Call ``found()`` every ``every`` seconds until it returns something truthy, and return
    that. After ``timeout`` seconds raise ``failure(timeout)`` — the caller's own error, which
    says what was awaited and where to look. ``found`` may raise to stop early (a process it
    waits on has died)."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise failure(timeout)
        time.sleep(every)
