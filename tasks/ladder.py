"""The escalation ladder as arithmetic: when each rung of an overdue clock is due."""

from __future__ import annotations

from datetime import datetime

from policy.base import Escalation, LadderLevel
from tasks.deadlines import WorkCalendar


def rung_due_at(due_at: datetime, rung: LadderLevel, calendar: WorkCalendar) -> datetime:
    """A rung acts ``after`` the clock's due time (working days counted by the calendar)."""
    return calendar.add(due_at, rung.after)


def next_escalation_at(
    due_at: datetime, reached_level: int, ladder: Escalation, calendar: WorkCalendar
) -> datetime | None:
    """When the next rung after ``reached_level`` acts, or None when the ladder is exhausted."""
    if reached_level >= len(ladder.ladder):
        return None
    return rung_due_at(due_at, ladder.ladder[reached_level], calendar)


def rungs_reached(
    due_at: datetime, reached_level: int, now: datetime, ladder: Escalation, calendar: WorkCalendar
) -> list[LadderLevel]:
    """Every rung above ``reached_level`` whose time has come by ``now``, lowest first. A sweep
    that ran late sends each missed rung once, in order."""
    return [
        rung for rung in ladder.ladder[reached_level:]
        if rung_due_at(due_at, rung, calendar) <= now
    ]
