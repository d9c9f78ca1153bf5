"""The one waiting helper the demo, the CLI's runtime, the bench and the tests share."""

from __future__ import annotations

import time

import pytest

from runtime.polling import until


def test_returns_the_first_truthy_answer_without_waiting_longer():
    answers = iter([None, 0, "", "found", "later"])
    started = time.monotonic()
    assert until(lambda: next(answers), timeout=5, every=0.01, failure=TimeoutError) == "found"
    assert time.monotonic() - started < 1


def test_raises_the_callers_error_naming_the_wait_after_the_timeout():
    calls = []
    started = time.monotonic()
    with pytest.raises(LookupError, match="no task after 0.2 s"):
        until(lambda: calls.append(1), timeout=0.2, every=0.05,
              failure=lambda waited: LookupError(f"no task after {waited} s"))
    assert time.monotonic() - started >= 0.2
    assert len(calls) >= 3  # asked again, and once more at the deadline


def test_an_error_from_the_check_stops_the_wait_at_once():
    def died():
        raise ChildProcessError("server exited")

    started = time.monotonic()
    with pytest.raises(ChildProcessError):
        until(died, timeout=30, every=1, failure=TimeoutError)
    assert time.monotonic() - started < 1
