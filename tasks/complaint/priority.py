"""Which complaints are handled first: the customer's grade from the tier assessment."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policy.tier.schema import TierPolicy


def complaint_priority(grade: str | None, tiers: TierPolicy | None) -> str | None:
    """000 D7 §6.2 H: 应优先处理A类客户的抱怨和投诉 — the priority of a customer's complaint."""
    if tiers is None or grade is None:
        return None
    return grade if grade in tiers.complaint_priority.grades else None
