"""The ``complaint:`` policy section: 客户投诉管理制度 (000 D2 = 001 Doc7) and its variants."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from policy.base import (
    ApprovalStep,
    Duration,
    Escalation,
    _duration,
    _positive_duration,
    _Strict,
    assignee_ref_problem,
    notify_ref_problem,
)


class Category(_Strict):
    key: str
    label: str
    label_en: str = ""
    keywords: list[str] = []
    department: str
    # Who handles: "head" (the department head) or a person key.
    handler: str = "head"
    procedure: str = ""
    customer_promise: Duration | None = None
    public_criticism: bool = False
    notify_superior_if_unanswered: bool = False

    _d = field_validator("customer_promise", mode="before")(
        lambda v: None if v is None else _duration(v)
    )


class ReturnRule(_Strict):
    """000 D2 §3.2: mould within N days of leaving the warehouse → unconditional return."""

    category: str = "return"
    mould_keywords: list[str] = ["发霉", "发霉", "霉", "mould", "mold"]
    storage_damage_keywords: list[str] = ["仓储", "仓储", "受潮", "storage"]
    unconditional_return_days: int = 15

    @field_validator("unconditional_return_days")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"must not be negative (got {value})")
        return value


class Deadlines(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # "register" in the file; renamed here because BaseModel already has a .register.
    registration: Duration = Field(alias="register")
    reply: Duration
    handling: Duration
    handling_special: Duration
    feedback: Duration
    customer_reply: Duration
    triage: Duration | None = None

    _d = field_validator(
        "registration", "reply", "handling", "handling_special", "feedback", "customer_reply",
        "triage", mode="before",
    )(lambda v: None if v is None else _duration(v))


class Retention(_Strict):
    normal: Duration = Duration(365, "days")
    # None: kept long-term (重要的资料长期保存).
    important: Duration | None = None

    _d = field_validator("normal", "important", mode="before")(
        lambda v: None if v is None else _duration(v)
    )


class Scoring(_Strict):
    points_per_complaint: int = 1

    @field_validator("points_per_complaint")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:  # §7 deducts points; zero or a negative number would deduct none or add
            raise ValueError(f"must be at least 1 (got {value})")
        return value


class MailIntake(_Strict):
    """The complaints mailbox (``kefu mailbox poll``, KEFU_MAILBOX_URL): each mail there is a
    written complaint (§2.2 书面投诉). All policy silent: settings."""

    channel: str = "written"
    # Only mails to this address are filed (a shared mailbox); None: every mail in the folder.
    address: str | None = None
    # Intake needs a phone number; a mail that names none is filed with this one, which the
    # case card shows as it is (a person asks the customer by mail). None: such mails are not
    # filed, and the poll says why.
    phone_when_missing: str | None = "00000000000"


# --- Variants the default does not have (each optional, off in the default policy) ----------

class MajorTrigger(_Strict):
    """One thing that makes a complaint major (重大投诉), given at filing (``--trigger KEY``)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: str
    label_en: str = ""


class MajorWarning(_Strict):
    """004 D5 §2.5: a major complaint is reported (预警报备) within a time to named people; a
    report not made in time is escalated by its own ladder."""

    assignee: str
    within: Duration
    notify: list[str]
    escalation: Escalation

    _d = field_validator("within", mode="before")(_positive_duration)


class EmergencyMeeting(_Strict):
    """004 D15: a major complaint calls an emergency meeting (紧急会议): its convener records
    who attended and the solution; ``invite`` are told when it is called."""

    convener: str
    invite: list[str] = []
    due: Duration
    label: str = "重大投诉紧急会议"

    _d = field_validator("due", mode="before")(_positive_duration)


class MajorComplaints(_Strict):
    triggers: list[MajorTrigger]
    # A complaint by a customer who complained before within this span is a repeat complaint
    # (trigger ``repeat``, found from the customer's history). None: repeats are not looked for.
    repeat_within: Duration | None = None
    warning: MajorWarning | None = None
    meeting: EmergencyMeeting | None = None

    _d = field_validator("repeat_within", mode="before")(
        lambda v: None if v is None else _positive_duration(v))

    @model_validator(mode="after")
    def _keys_unique(self) -> MajorComplaints:
        keys = [t.key for t in self.triggers]
        if len(set(keys)) != len(keys):
            raise ValueError(f"triggers: duplicate key(s) {sorted({k for k in keys if keys.count(k) > 1})}")
        if self.repeat_within is not None and "repeat" not in keys:
            raise ValueError("triggers: repeat_within is set, so a trigger with key repeat is needed")
        return self


class AuthorityLimit(_Strict):
    """One row of the 权限核决表: compensation up to ``up_to`` (元, inclusive) is approved by
    ``approver``; the last row may have no limit (null)."""

    up_to: int | None
    approver: str


class Compensation(_Strict):
    """004 D5 §2.9: compensation (赔偿、补偿) is approved by the authority table."""

    authority: list[AuthorityLimit]

    @field_validator("authority")
    @classmethod
    def _ascending(cls, rows: list[AuthorityLimit]) -> list[AuthorityLimit]:
        if not rows:
            raise ValueError("at least one row")
        limits = [r.up_to for r in rows]
        if any(v is None for v in limits[:-1]):
            raise ValueError("only the last row may have no limit (up_to: null)")
        bounded = [v for v in limits if v is not None]
        if any(v <= 0 for v in bounded) or bounded != sorted(set(bounded)):
            raise ValueError(f"up_to must rise and be positive; got {limits}")
        return rows


class Grumbles(_Strict):
    """000 D5 §3 (顾客抱怨处理规定): fines per person per time, and the customer handed to
    another employee when a grumble is not resolved in time (the handling deadline)."""

    fine_found: int             # A: found, not complained about: the staff member
    fine_to_general_manager: int  # B: the customer complained to the GM: manager and staff
    fine_unresolved: int        # C: not resolved in time: manager and staff
    # The filing flag (--trigger) for B.
    to_general_manager_flag: str = "to_gm"
    # Who is offered to hand the customer to another employee (C): an assignee ref.
    reassignment_by: str = "head"
    reassignment_due: Duration = Duration(1, "working_days")

    _d = field_validator("reassignment_due", mode="before")(_positive_duration)

    @field_validator("fine_found", "fine_to_general_manager", "fine_unresolved")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"must not be negative (got {value})")
        return value


class FirstResponsible(_Strict):
    """000 D12 / 001 Doc6: whoever takes the call (第一责任者) owns the case until a written
    hand-over; filing names them (``--taken-by``)."""

    # The written hand-over needs at least this many characters of note.
    note_min_chars: int = 1


class ComplaintPolicy(_Strict):
    number_prefix: str = "TS"
    channels: list[str] = ["phone", "written", "in_person", "transferred", "hotline"]
    triage_assignee: str
    categories: list[Category]
    return_rule: ReturnRule = ReturnRule()
    deadlines: Deadlines
    handling_steps: list[ApprovalStep]
    feedback_officer: str
    escalation: Escalation
    retention: Retention = Retention()
    scoring: Scoring = Scoring()
    # Who sees every complaint in the inbox's cases page (issue 17 §3; the policy is silent):
    # person:KEY, head:DEPT or role:ROLE. A department head always sees their department's.
    case_viewers: list[str] = []
    mailbox: MailIntake = MailIntake()
    # Variants (README "Complaint variants"); None: off, as in 000 D2.
    major: MajorComplaints | None = None           # 004 D5, 004 D15
    compensation: Compensation | None = None       # 004 D5 §2.9
    grumbles: Grumbles | None = None               # 000 D5 §3
    first_responsible: FirstResponsible | None = None  # 000 D12 / 001 Doc6

    @model_validator(mode="after")
    def _mailbox_channel_exists(self) -> ComplaintPolicy:
        if self.mailbox.channel not in self.channels:
            raise ValueError(f"mailbox.channel: {self.mailbox.channel!r} is not one of "
                             f"channels ({', '.join(self.channels)})")
        return self

    def category(self, key: str) -> Category:
        for c in self.categories:
            if c.key == key:
                return c
        raise KeyError(key)

    def filing_flags(self) -> dict[str, str]:
        """The ``--trigger`` flags filing accepts under this policy, with their words."""
        flags = {t.key: t.label for t in (self.major.triggers if self.major else [])
                 if t.key != "repeat"}
        if self.grumbles is not None:
            flags[self.grumbles.to_general_manager_flag] = "顾客向总经理投诉"
        return flags

    def ladder(self, clock_name: str) -> Escalation:
        """The ladder of a complaint clock: the major-complaint warning has its own."""
        warning = self.major.warning if self.major else None
        if warning is not None and clock_name == "approval:major_warning":
            return warning.escalation
        return self.escalation

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        """The variants' people and ladders name somebody in the organisation."""
        refs: list[tuple[str, str]] = []
        warning = self.major.warning if self.major else None
        meeting = self.major.meeting if self.major else None
        if warning is not None:
            refs.append(("complaint.major.warning.assignee", warning.assignee))
            refs += [(f"complaint.major.warning.notify[{i}]", r) for i, r in enumerate(warning.notify)]
        if meeting is not None:
            refs.append(("complaint.major.meeting.convener", meeting.convener))
            refs += [(f"complaint.major.meeting.invite[{i}]", r) for i, r in enumerate(meeting.invite)]
        if self.compensation is not None:
            refs += [(f"complaint.compensation.authority[{i}].approver", r.approver)
                     for i, r in enumerate(self.compensation.authority)]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, policy)
            if problem:
                raise ValueError(f"{where}: {problem}")
        if self.grumbles is not None and self.grumbles.reassignment_by != "head":
            problem = assignee_ref_problem(self.grumbles.reassignment_by, policy)
            if problem:
                raise ValueError(f"complaint.grumbles.reassignment_by: {problem}")
        for lvl in warning.escalation.ladder if warning else []:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"complaint.major.warning.escalation.ladder[{lvl.level - 1}]"
                                     f".notify: {problem}")
