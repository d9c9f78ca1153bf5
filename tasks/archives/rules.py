"""The rules of 客户档案借阅与销毁 as pure functions (no database, no Prefect)."""

from __future__ import annotations

from policy.archives.schema import ArchivesPolicy
from policy.base import Organisation

PROCESS = "archives"
KINDS = ("borrow", "destroy")


class ArchiveError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option. Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


def approver_ref(rules: ArchivesPolicy, org: Organisation, requester: str,
                 record_department: str | None, level: str | None) -> str:
    """Who approves a 借阅: 000 D9 §1.5 — the department manager for one's own department's
    records, the general manager for another department's; 000 D11 §4.1.2 — 绝密 only to
    those the general manager names. A manager asking for their own department's record goes
    to the general manager (nobody approves their own request)."""
    if level == "top_secret":
        return rules.top_secret_approver
    person = org.person(requester)
    if record_department and person.department == record_department:
        head = org.department(record_department).head
        if head and head != requester:
            return f"head:{record_department}"
    return rules.other_department_approver
