"""The escalation ladder as arithmetic: when each rung of an overdue clock is due, which one a
sweep sends, and who a rung reaches. Pure functions: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from policy.base import Escalation, LadderLevel
from policy.schema import Policy
from tasks.deadlines import WorkCalendar
from tasks.people import escalation_targets, superior_chain


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
    """Every rung above ``reached_level`` whose time has come by ``now``, lowest first."""
    return [
        rung for rung in ladder.ladder[reached_level:]
        if rung_due_at(due_at, rung, calendar) <= now
    ]


@dataclass(frozen=True)
class RungTargets:
    """Who one rung tells (in order, each once), and why any reference was passed over."""

    notify: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)


def rung_targets(refs: list[str], owner: str, policy: Policy) -> RungTargets:
    """The people a rung notifies about ``owner``'s overdue clock. ``assignee`` is the owner,
    told of their own deadline. Any other reference must reach someone *above* the owner: one
    that resolves to the owner, or to someone who reports to the owner (a manager's deputy),
    is passed over for the owner's next superior not yet told by this rung; with nobody above,
    the rung tells nobody for it, and says why."""
    org = policy.organisation
    above = superior_chain(owner, org)
    notify: list[str] = []
    passed_over: list[str] = []
    for ref in refs:
        found = escalation_targets([ref], owner, policy)[0]
        if ref != "assignee" and (found == owner or owner in superior_chain(found, org)):
            whom = "the assignee" if found == owner else f"who reports to the assignee {owner}"
            instead = next((p for p in above if p not in notify), None)
            passed_over.append(f"{ref} is {found}, {whom}: " + (
                f"{instead} told instead" if instead else f"nobody above {owner} to tell"))
            found = instead
        if found is not None and found not in notify:
            notify.append(found)
    return RungTargets(notify=notify, passed_over=passed_over)


@dataclass(frozen=True)
class CatchUp:
    """What one sweep does with the rungs it finds reached: ``rung`` is sent to ``targets``,
    each level in ``skipped`` is recorded as reached with nobody told, and why."""

    rung: LadderLevel | None
    targets: RungTargets
    skipped: list[tuple[int, str]]


def catch_up(reached: list[LadderLevel], owner: str, policy: Policy) -> CatchUp:
    """Of the rungs a sweep finds reached (lowest first), the one it sends: the highest that
    reaches somebody above the owner. A sweep that ran late (the worker was down over a
    weekend) tells that rung's people once, instead of levels 1, 2 and 3 in the same second;
    the other rungs are recorded as skipped, so no later sweep sends them."""
    chosen: LadderLevel | None = None
    targets = RungTargets()
    skipped: list[tuple[int, str]] = []
    for rung in reversed(reached):
        found = rung_targets(rung.notify, owner, policy)
        if chosen is None and found.notify:
            chosen, targets = rung, found
        elif chosen is None:
            skipped.append((rung.level, "; ".join(found.passed_over) or "nobody to tell"))
        else:
            skipped.append((rung.level, f"caught up: level {chosen.level} was due too, and one "
                                        f"sweep sends only the highest rung"))
    return CatchUp(rung=chosen, targets=targets, skipped=sorted(skipped))
