"""Schema of the ``callback:`` policy section: 客户回访 (004 D14 第1–2条; 001 Doc2; 003's
closed loop). Each kind of handled case (a complaint, a repair, an activity) has its sample
share, its window and its callers; a dissatisfied customer gets another callback."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policy.base import Duration, Escalation, _duration, assignee_ref_problem, notify_ref_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Callers(_Strict):
    """Who calls back, by the case's severity (004 D14 §1.3: 一般投诉由物业助理回访，重要投诉由
    部门主管回访). ``head`` is the head of the case's responsible department."""

    general: str
    important: str | None = None   # None: the general caller calls back important cases too


class CallbackKind(_Strict):
    label: str
    label_en: str = ""
    share: float = Field(gt=0, le=1)   # the sample: the share of handled cases called back
    window: Duration                   # within this time of the case being handled
    callers: Callers
    # Policy silent: an important case is always called back, whatever the draw.
    always_important: bool = False

    _d = field_validator("window", mode="before")(_duration)


class CallbackPolicy(_Strict):
    number_prefix: str = "HF"          # policy silent: callback numbers HF-2026-000001
    # Policy silent: the sample's seed. Draws are recorded, so changing it redraws nothing
    # already considered; it only changes which later cases are chosen.
    seed: str = Field(min_length=1)
    # Policy silent: cases handled longer ago than this are never considered (a new
    # installation does not call back its whole archive).
    look_back: Duration = Duration(30, "days")
    kinds: dict[str, CallbackKind]
    # 004 D14 §1.9 / §2.3, 003: a customer not satisfied gets another callback (第二次、第三次…),
    # and the case's department head is told to put it right (整改).
    again_when_dissatisfied: bool = True
    max_rounds: int = Field(default=3, ge=1)   # policy silent: 第二次、第三次甚至更多次 → 3
    again_within: Duration                     # policy silent: the next callback's window
    dissatisfied_notify: list[str] = ["head"]  # 004 D14 §2.3: 确定下次回访时间并安排人员整改
    # 001 Doc2: 回访记录表 signed by the customer; 004 D14 §1.7: a visit needs the signature,
    # a phone callback writes 电话回访 instead.
    record_form: str = "回访记录表"
    signed_record: bool = False
    # KPIs of the monthly report (003 / the property-service variant): 回访率, 满意率.
    target_callback_rate: float = Field(default=1.0, gt=0, le=1)
    target_satisfaction: float = Field(default=0.9, gt=0, le=1)
    escalation: Escalation

    _d = field_validator("again_within", "look_back", mode="before")(_duration)

    @field_validator("kinds")
    @classmethod
    def _some_kind(cls, value: dict[str, CallbackKind]) -> dict[str, CallbackKind]:
        if not value:
            raise ValueError("at least one kind of case to call back")
        return value

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        """Every caller and escalation target names somebody in the organisation."""
        for name, kind in self.kinds.items():
            for field in ("general", "important"):
                ref = getattr(kind.callers, field)
                problem = None if ref in (None, "head") else assignee_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"callback.kinds.{name}.callers.{field}: {problem}")
        for i, ref in enumerate(self.dissatisfied_notify):
            problem = None if ref == "head" else assignee_ref_problem(ref, policy)
            if problem:
                raise ValueError(f"callback.dissatisfied_notify[{i}]: {problem}")
        for lvl in self.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"callback.escalation.ladder[{lvl.level - 1}].notify: {problem}")
