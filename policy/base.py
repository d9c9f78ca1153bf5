"""What every process's policy section builds on: durations, the calendar, the organisation,
message channels, approval steps, escalation ladders and the inbox's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tasks.addresses import email_problem

if TYPE_CHECKING:
    from policy.schema import Policy

DurationUnit = Literal["minutes", "hours", "days", "working_days"]

_DURATION = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?P<unit>m|min|minutes?|h|hours?|d|days?|w|weeks?|"
    r"wd|working[ _]days?|个?工作日|天|个?小时)\s*$",
    re.IGNORECASE,
)
_UNIT_ALIASES: dict[str, tuple[DurationUnit, int]] = {
    "m": ("minutes", 1), "min": ("minutes", 1), "minute": ("minutes", 1), "minutes": ("minutes", 1),
    "h": ("hours", 1), "hour": ("hours", 1), "hours": ("hours", 1), "小时": ("hours", 1),
    "d": ("days", 1), "day": ("days", 1), "days": ("days", 1), "天": ("days", 1),
    "w": ("days", 7), "week": ("days", 7), "weeks": ("days", 7),
    "wd": ("working_days", 1), "working day": ("working_days", 1),
    "working days": ("working_days", 1), "工作日": ("working_days", 1),
}


@dataclass(frozen=True)
class Duration:
    """A span of time as a policy states it: ``24h``, ``3 working days``, ``1 week``."""

    amount: int
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str | int) -> Duration:
        if isinstance(text, int):
            return cls(text, "hours")
        from tasks.text import simplified  # 3 個工作日 written in Traditional reads the same

        match = _DURATION.match(simplified(str(text)))
        if not match:
            raise ValueError(
                f"{text!r} is not a duration; write e.g. '24h', '3 working days', '7 days', '1 week'"
            )
        unit, factor = _UNIT_ALIASES[re.sub(r"[ _]+", " ", match["unit"].lower()).lstrip("个")]
        return cls(int(match["amount"]) * factor, unit)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: object) -> Duration:
    """A policy's duration, never negative (a deadline before its start means a typo)."""
    if isinstance(value, Duration):
        span = value
    elif isinstance(value, str) and value.strip().startswith("-"):
        _duration(value.strip()[1:])  # "-three days" is no duration at all: say that
        raise ValueError(f"{value!r}: a duration must not be negative")
    else:
        try:
            span = Duration.parse(value)  # type: ignore[arg-type]
        except ValueError:
            raise ValueError(f"{value!r} is not a duration (write e.g. 24h, 3 working days, "
                             f"7 days, 1 week)") from None
    if span.amount < 0:
        raise ValueError(f"{value!r}: a duration must not be negative")
    return span


def _positive_duration(value: object) -> Duration:
    span = _duration(value)
    if span.amount == 0:
        raise ValueError(f"{value!r}: must be longer than zero")
    return span


class YearSchedule(_Strict):
    """An admin-supplied holiday schedule for a year the calendar package does not know."""

    holidays: list[date] = []
    workdays: list[date] = Field(default=[], description="make-up working days (调休) on weekends")


class CalendarPolicy(_Strict):
    region: Literal["CN", "none"] = "CN"
    timezone: str = "Asia/Shanghai"
    # Policies say "3 working days" without a time of day; we count to the close of business.
    workday_end: time = time(18, 0)
    years: dict[int, YearSchedule] = {}

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (write an IANA name such as "
                             f"Asia/Shanghai)") from None
        return value


class Department(_Strict):
    key: str
    name: str
    name_en: str = ""
    head: str | None = None


class Named(_Strict):
    """The words for a code the policy defines (a territory, a product line): its name in the
    policy's script and in English."""

    name: str
    name_en: str = ""


class Person(_Strict):
    # A person key is what the audit log and the case history name as the actor: letters,
    # digits and . _ - only, so no key can carry a newline or a forged line (issue 19 §8).
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    name: str
    department: str
    title: str = ""
    superior: str | None = None
    roles: list[str] = []
    # 000 D7: the sales territories whose customers this section chief pre-grades.
    territories: list[str] = []
    email: str | None = None
    apprise: list[str] = Field(default=[], description="extra Apprise URLs: dingtalk://, wecombot://…")
    locale: Literal["zh-CN", "zh-TW", "en"] | None = None

    @field_validator("email")
    @classmethod
    def _email_is_an_address(cls, value: str | None) -> str | None:
        problem = None if value is None else email_problem(value)
        if problem:
            raise ValueError(problem)  # the loader names the key (organisation.people.N.email)
        return value


class Organisation(_Strict):
    departments: list[Department]
    people: list[Person]
    # 000 D7: the sales territories (片区) people and customers belong to, by code.
    territories: dict[str, Named] = {}

    @model_validator(mode="after")
    def _references_resolve(self) -> Organisation:
        dept_keys = {d.key for d in self.departments}
        person_keys = [p.key for p in self.people]
        dupes = {k for k in person_keys if person_keys.count(k) > 1}
        if dupes:
            raise ValueError(f"people: duplicate key(s) {sorted(dupes)}")
        for i, p in enumerate(self.people):
            if p.department not in dept_keys:
                raise ValueError(f"people[{i}].department: unknown department {p.department!r}")
            if p.superior is not None and p.superior not in person_keys:
                raise ValueError(f"people[{i}].superior: unknown person {p.superior!r}")
        for i, d in enumerate(self.departments):
            if d.head is not None and d.head not in person_keys:
                raise ValueError(f"departments[{i}].head: unknown person {d.head!r}")
        return self

    def person(self, key: str) -> Person:
        for p in self.people:
            if p.key == key:
                return p
        raise KeyError(key)

    def department(self, key: str) -> Department:
        for d in self.departments:
            if d.key == key:
                return d
        raise KeyError(key)


class Channels(_Strict):
    """How messages leave the building (Apprise URLs)."""

    # `to=` is appended per recipient. KEFU_MAIL_URL overrides it (tests, demo).
    mail: str | None = "mailto://127.0.0.1:8025?from=kefu@example.com&mode=insecure"
    # Customers without e-mail: an SMS gateway or webhook; {phone} is filled in.
    customer_sms: str | None = None
    # No longer used: messages carried a ready `kefu approvals decide N --as <assignee>` line,
    # an unchecked claim of identity (issue 19). Accepted so older policy files still load.
    decision_link: str | None = None


Decision = Literal["approve", "reject", "send_back"]


class ApprovalStep(_Strict):
    """One human decision in a chain. ``assignee``: ``handler``, ``head:<dept>``,
    ``role:<role>`` or ``person:<key>``. ``due``: from the step's start; when absent the
    complaint's handling clock applies."""

    key: str
    label: str
    label_en: str = ""
    assignee: str
    due: Duration | None = None
    decisions: list[Decision] = ["approve", "reject", "send_back"]
    # What a rejection means: the chain ends with the case not upheld ("close"),
    # or the chain starts over ("restart", like a send-back).
    on_reject: Literal["close", "restart"] = "close"
    # What a send-back means: back to manual classification ("triage": wrong department) or
    # the chain starts over ("restart": redo the plan).
    on_send_back: Literal["triage", "restart"] = "triage"
    # How the step is signed (tasks/approvals.py): "single" (one assignee), "sequential"
    # (依次: assignee then each of ``signers`` in turn), "countersign" (会签: all must approve),
    # "orsign" (或签: the first decision wins). ``signers``: further assignee refs.
    mode: Literal["single", "sequential", "countersign", "orsign"] = "single"
    signers: list[str] = []
    # 抄送: people informed of the step (and who may view the case), who do not decide.
    cc: list[str] = []

    _d = field_validator("due", mode="before")(lambda v: None if v is None else _duration(v))


class LadderLevel(_Strict):
    level: int
    after: Duration
    notify: list[str]
    # The message template of this rung (another process's wording, a reminder …).
    event: str = "escalation"
    # policy silent: a rung may also hand the pending decision to the first person it notifies
    # who is not the assignee (reassignment on escalation). Off unless the policy says so.
    reassign: bool = False

    _d = field_validator("after", mode="before")(_duration)


class Escalation(_Strict):
    ladder: list[LadderLevel]

    @field_validator("ladder")
    @classmethod
    def _ordered(cls, ladder: list[LadderLevel]) -> list[LadderLevel]:
        if not ladder:
            raise ValueError("at least one level")
        levels = [lvl.level for lvl in ladder]
        if levels != list(range(1, len(ladder) + 1)):
            raise ValueError(f"levels must be 1, 2, 3…; got {levels}")
        return ladder


class ApprovalsPolicy(_Strict):
    """The approvers' inbox and its links (policy silent on all of these: sensible defaults)."""

    inbox_url: str = "http://127.0.0.1:8700"
    link_ttl: Duration = Duration(72, "hours")
    nudge_interval: Duration = Duration(4, "hours")
    at_risk: Duration = Duration(4, "hours")
    session_ttl: Duration = Duration(12, "hours")

    _d = field_validator("nudge_interval", "at_risk", mode="before")(_duration)
    # A link or a login that expires at once would lock everybody out.
    _p = field_validator("link_ttl", "session_ttl", mode="before")(_positive_duration)


def assignee_ref_problem(ref: str, policy: Policy) -> str | None:
    """Why an assignee reference cannot resolve, or None when it can."""
    org = policy.organisation
    kind, _, arg = ref.partition(":")
    if ref == "handler":
        return None
    if kind == "person":
        return None if arg in {p.key for p in org.people} else f"unknown person {arg!r}"
    if kind == "head":
        try:
            dept = org.department(arg)
        except KeyError:
            return f"unknown department {arg!r}"
        return None if dept.head else f"department {arg!r} has no head"
    if kind == "role":
        has = any(arg in p.roles for p in org.people)
        return None if has else f"no person has role {arg!r}"
    return f"{ref!r} is not handler, person:KEY, head:DEPT or role:ROLE"


def notify_ref_problem(ref: str, policy: Policy) -> str | None:
    """Escalation targets: ``assignee``, ``superior``, ``superior.superior``… or an assignee ref."""
    if ref == "assignee" or re.fullmatch(r"superior(\.superior)*", ref):
        return None
    return assignee_ref_problem(ref, policy)
