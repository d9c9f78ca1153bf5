"""Schema of the ``archives:`` policy section: customer archives and their confidentiality.

Sources: 000 D11 保密管理制度 (levels 绝密/机密/秘密, 保密期限 that expire, who may know), 000 D9
§1.5 客户档案查阅 (own department: the department manager approves; another department: the
general manager), 004 客户信息管理 第19–22条 (借阅时间不得超过三天; 机密/绝密 others may not
read without approval), 001 Doc §6.10 (destruction after 客户信息主管、客户服务部经理、总经理
each approve)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from policy.base import Duration, Escalation, _duration, assignee_ref_problem, notify_ref_problem

Level = Literal["secret", "confidential", "top_secret"]
RecordKind = Literal["complaint", "customer"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchivesPolicy(_Strict):
    number_prefix: str = "DA"
    # 000 D11 §3.4: every secret gets a 保密期限; the document gives no lengths (policy silent).
    secrecy_periods: dict[Level, Duration]
    # policy silent: the level a record has until someone marks it.
    default_levels: dict[RecordKind, Level]
    # Levels that need an approved loan to read (000 D11 §4.1: 机密/绝密 only to those named;
    # 004 第22条: 机密、绝密 …其他人员未经许可不得查阅).
    guarded_levels: list[Level]
    # 000 D11 §4.1.1: 总公司副/总经理有权全部知晓.
    readers_of_everything: list[str]
    # Which department a customer record belongs to (complaints: their responsible department).
    customer_department: str
    # 000 D9 §1.5: own department → its manager; another department → the general manager.
    own_department_approver: str = "head"
    other_department_approver: str
    # 000 D11 §4.1.2: 绝密 only to people the general manager names.
    top_secret_approver: str
    approval_due: Duration
    loan: Duration                      # 004 第19条: 借阅时间不得超过三天
    destruction_chain: list[str]        # 001 §6.10: three approvals, in order
    escalation: Escalation

    _d = field_validator("approval_due", "loan", mode="before")(_duration)

    @field_validator("secrecy_periods", mode="before")
    @classmethod
    def _periods(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: v if isinstance(v, Duration) else Duration.parse(v) for k, v in value.items()}
        return value

    @field_validator("destruction_chain")
    @classmethod
    def _three(cls, chain: list[str]) -> list[str]:
        if len(chain) != 3:
            raise ValueError(f"001 §6.10 asks for three approvals; got {len(chain)}")
        return chain

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        depts = {d.key for d in policy.organisation.departments}
        if self.customer_department not in depts:
            raise ValueError(f"archives.customer_department: unknown department "
                             f"{self.customer_department!r}")
        refs = [("other_department_approver", self.other_department_approver),
                ("top_secret_approver", self.top_secret_approver)]
        refs += [(f"destruction_chain[{i}]", ref) for i, ref in enumerate(self.destruction_chain)]
        refs += [(f"readers_of_everything[{i}]", ref)
                 for i, ref in enumerate(self.readers_of_everything)]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, policy)
            if problem:
                raise ValueError(f"archives.{where}: {problem}")
        for lvl in self.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"archives.escalation.ladder[{lvl.level - 1}].notify: {problem}")
