"""The tier assessment's rules as plain functions (客户等级评定, 000 D7; 004 D22).

No database, no Prefect: the scores of a customer's year, the grade they propose, who
pre-grades a territory, and the final grade a meeting fixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy.base import Person
from policy.schema import Policy
from policy.tier.schema import GradeCutoff, TierPolicy


@dataclass(frozen=True)
class YearFigures:
    """A customer's year: 年度销售额 (万元), growth (%), late payments, cooperation (0–100)."""

    sales: float
    growth: float
    overdue_payments: int
    cooperation: float
    profit: float | None = None


def _percent(value: float, full_marks: float) -> float:
    return round(max(0.0, min(100.0, value / full_marks * 100.0)), 1)


def scores(figures: YearFigures, tiers: TierPolicy) -> dict[str, float]:
    """004 D22's value measures, each 0–100: credit (信用: late payments cost points),
    order_value (订单价值: sales), potential (潜力: growth), profit (利润; 0 when not
    reported), cooperation (合作状况), and composite (综合评分: the weighted mean)."""
    scale, weights = tiers.scale, tiers.weights
    measured = {
        "credit": round(max(0.0, 100.0 - figures.overdue_payments * scale.overdue_penalty), 1),
        "order_value": _percent(figures.sales, scale.sales_full_marks),
        "potential": _percent(figures.growth, scale.growth_full_marks),
        "profit": _percent(figures.profit or 0.0, scale.profit_full_marks),
        "cooperation": round(max(0.0, min(100.0, figures.cooperation)), 1),
    }
    weighted = weights.model_dump()
    total = sum(weighted.values()) or 1.0
    measured["composite"] = round(sum(measured[k] * w for k, w in weighted.items()) / total, 1)
    return measured


def meets(cutoff: GradeCutoff, score: float, figures: YearFigures) -> bool:
    """Every condition the cutoff states holds (a condition left out always holds)."""
    checks = [
        score >= cutoff.min_score,
        cutoff.min_sales is None or figures.sales >= cutoff.min_sales,
        cutoff.min_growth is None or figures.growth >= cutoff.min_growth,
        cutoff.max_overdue_payments is None or figures.overdue_payments <= cutoff.max_overdue_payments,
        cutoff.min_cooperation is None or figures.cooperation >= cutoff.min_cooperation,
    ]
    return all(checks)


def proposed_grade(figures: YearFigures, tiers: TierPolicy, method: str | None = None) -> str:
    """000 D7 §2/§5.1.2: the grade the figures propose — the best grade whose cutoff the
    chosen method's score and the figures meet, else the last grade."""
    score = scores(figures, tiers)[method or tiers.method]
    for grade in tiers.grades[:-1]:
        if meets(tiers.cutoffs[grade], score, figures):
            return grade
    return tiers.grades[-1]


def territory_chiefs(policy: Policy) -> dict[str, Person]:
    """000 D7 §5.1.2: 各销售科长 pre-grade the customers of their territory."""
    role = policy.tier_assessment.pregrader.partition(":")[2] if policy.tier_assessment else ""
    chiefs: dict[str, Person] = {}
    for person in policy.organisation.people:
        if role in person.roles:
            for territory in person.territories:
                chiefs.setdefault(territory, person)
    return chiefs


def final_grades(proposals: dict[str, dict], pregrades: dict[str, dict],
                 meeting: dict[str, dict]) -> dict[str, dict]:
    """000 D7 §5.1.2: the meeting reviews (复评) and fixes the grades. For each customer the
    meeting's override wins, else the section chief's pre-grade, else the proposal; the
    result says which, who, and why."""
    results: dict[str, dict] = {}
    for name, proposal in proposals.items():
        if name in meeting:
            chosen = {**meeting[name], "source": "meeting"}
        elif name in pregrades:
            chosen = {**pregrades[name], "source": "pregrade"}
        else:
            chosen = {"grade": proposal["proposed"], "reason": "依评分建议", "by": None,
                      "source": "proposal"}
        results[name] = {"grade": chosen["grade"], "reason": chosen.get("reason") or "",
                         "by": chosen.get("by"), "source": chosen["source"],
                         "previous": proposal.get("grade"), "proposed": proposal["proposed"]}
    return results
