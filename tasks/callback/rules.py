"""The rules of 客户回访 (004 D14 第1–2条, 001 Doc2, 003) as plain functions of their inputs:
no database, no Prefect."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from policy.base import Duration
from policy.callback.schema import CallbackKind, CallbackPolicy

PROCESS = "callback"
OUTCOMES = ("satisfied", "dissatisfied")


class CallbackError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option. Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


def kind_of(rules: CallbackPolicy, kind: str) -> CallbackKind:
    if kind not in rules.kinds:
        raise CallbackError("kind", f"{kind!r} is not one of {', '.join(rules.kinds)}")
    return rules.kinds[kind]


def sample_score(seed: str, kind: str, case_number: str) -> float:
    """The case's place in [0, 1) for the draw: a SHA-256 of (policy seed, kind, case number).
    The same inputs give the same score on any machine and in any order, so the sample can be
    redone and checked by anyone holding the policy (004 D14 §1.3–§1.5 回访率)."""
    digest = hashlib.sha256(f"{seed}\x1f{kind}\x1f{case_number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_chosen(rules: CallbackPolicy, kind: str, case_number: str, *,
              important: bool = False) -> tuple[bool, float]:
    """(chosen?, score): a handled case is called back when its score falls below the kind's
    share (complaints 50%, repairs 30%, activities 10%, 004 D14 §1.3–§1.5); an important case
    always, when the policy says so."""
    spec = kind_of(rules, kind)
    score = sample_score(rules.seed, kind, case_number)
    return (score < spec.share or (important and spec.always_important)), score


def caller_ref(spec: CallbackKind, *, important: bool) -> str:
    """Who calls back (004 D14 §1.3): an important case's caller where the policy names one,
    else the general caller. ``head`` is the case's department head."""
    if important and spec.callers.important:
        return spec.callers.important
    return spec.callers.general


def next_step(rules: CallbackPolicy, outcome: str, round: int) -> str:
    """After a callback: ``closed`` when the customer is satisfied; a dissatisfied customer
    gets ``again`` (another callback, 004 D14 §1.9 第二次、第三次…回访; 003's closed loop) until
    the policy's last round, then the case is ``closed`` dissatisfied."""
    if outcome not in OUTCOMES:
        raise CallbackError("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "satisfied":
        return "closed"
    return "again" if rules.again_when_dissatisfied and round < rules.max_rounds else "closed"


def plain_span(duration: Duration) -> timedelta:
    """A calendar span of the policy (the look-back): working days read as days."""
    return {"minutes": timedelta(minutes=duration.amount), "hours": timedelta(hours=duration.amount)
            }.get(duration.unit, timedelta(days=duration.amount))


def considered(rules: CallbackPolicy, handled_at: datetime, moment: datetime) -> bool:
    """A case handled within the look-back is considered for the sample; an older one is not
    (a new installation does not call back its archive)."""
    return handled_at >= moment - plain_span(rules.look_back)


def monthly_figures(rows: list[dict]) -> dict:
    """The month's 客户回访记录 (004 D14 §2.4): of the cases drawn, how many were called back
    in time, the callback rate (called / chosen) and the satisfaction rate (satisfied / called).
    ``rows``: dicts with kind, chosen, called, satisfied, on_time."""
    kinds: dict[str, dict] = {}
    for row in rows:
        k = kinds.setdefault(row["kind"], {"kind": row["kind"], "handled": 0, "chosen": 0,
                                           "called": 0, "on_time": 0, "satisfied": 0})
        k["handled"] += 1
        k["chosen"] += bool(row["chosen"])
        k["called"] += bool(row["called"])
        k["on_time"] += bool(row["called"] and row["on_time"])
        k["satisfied"] += bool(row["satisfied"])
    for k in kinds.values():
        k["callback_rate"] = round(k["called"] / k["chosen"], 4) if k["chosen"] else None
        k["satisfaction"] = round(k["satisfied"] / k["called"], 4) if k["called"] else None
    return {"kinds": sorted(kinds.values(), key=lambda k: k["kind"])}


def parse_month(text: str) -> tuple[int, int]:
    """``2026-12`` → (2026, 12); anything else names the field."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        raise CallbackError("month", f"{text!r} is not a month (write e.g. 2026-12)") from None
    return year, month
