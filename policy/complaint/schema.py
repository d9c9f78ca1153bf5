"""The ``complaint:`` policy section: 客户投诉管理制度 (000 D2 = 001 Doc7) and its variants."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from policy.base import ApprovalStep, Duration, Escalation, _duration, _Strict


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
