"""What a development project looks like to people: the JSON and text of ``kefu new-customer
show`` and the project card (with its coming reviews) published on the Prefect dashboard
(every value from the project through ``tasks.markdown``)."""

from __future__ import annotations

from sqlalchemy import select

from models import ApprovalStatus, ApprovalTask, Clock
from models.db import session_scope
from policy.load import load_policy
from tasks import case_records as records
from tasks import labels
from tasks.deadlines import local_time
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter, calendar_notice
from tasks.new_customer import case
from tasks.new_customer.rules import review_dates

REVIEW_CLOCKS = {case.TRACKING: "tracking", case.TRACKING_REMINDER: "tracking_reminder",
                 case.ATTENTION: "attention_90", case.SPECIAL_STUDY_CLOCK: "special_study_180"}
REPORT = "report_365"


def _review(name: str, clock: Clock, task: ApprovalTask | None) -> dict:
    """A review as ``show`` lists it; a review task not yet open is "scheduled", with the
    moment it opens, and one withdrawn with its project is "cancelled"."""
    status = "met" if clock.met_at else ("overdue" if clock.escalation_level else "pending")
    if task is not None and task.status in (ApprovalStatus.SCHEDULED, ApprovalStatus.CANCELLED):
        status = task.status
    return {"review": name, "round": clock.round, "due_at": clock.due_at.isoformat(),
            "status": status, "escalation_level": clock.escalation_level,
            "opens_at": task.opens_at.isoformat() if task is not None and task.opens_at else None}


def prospect_view(number: str) -> dict:
    policy = load_policy()
    rules = case.rules_of(policy)
    with session_scope() as session:
        prospect = case.get(session, number)
        case.settle_spends(session, prospect)
        clocks = records.rows(session, Clock, number)
        names = {**REVIEW_CLOCKS, f"approval:{rules.report_chain[0].key}": REPORT}
        latest = {c.name: c for c in clocks if c.name in names}
        tasks = {t.clock_id: t for t in records.rows(session, ApprovalTask, number)}
        reviews = [_review(names[name], clock, tasks.get(clock.id))
                   for name, clock in latest.items()]
        if prospect.approved_at and not any(r["review"] == REPORT for r in reviews):
            due = review_dates(prospect.approved_at, rules.reviews)["report"]
            reviews.append({"review": REPORT, "round": 1, "due_at": due.isoformat(),
                            "status": "scheduled" if case.is_open(prospect.status) else "cancelled",
                            "escalation_level": 0, "opens_at": due.isoformat()})
        reviews.sort(key=lambda r: r["due_at"])
        upcoming = [r for r in reviews if r["status"] in ("pending", "overdue", "scheduled")]
        customer = None
        if prospect.customer_id:
            from models import Customer

            c = session.get(Customer, prospect.customer_id)
            customer = {"id": c.id, "name": c.name, "phone": c.phone, "territory": c.territory,
                        "registered_at": c.registered_at.isoformat(), "grade": c.grade,
                        "grade_temporary": c.grade_temporary,
                        "grade_review_due_at": c.grade_review_due_at.isoformat()}
        return {
            "number": prospect.number, "name": prospect.name, "status": prospect.status,
            "product_line": prospect.product_line,
            "expected_annual_revenue": str(prospect.expected_annual_revenue),
            "owner": prospect.owner_key, "qualified": prospect.qualified,
            "qualification_reason": prospect.qualification_reason,
            "applied_at": prospect.applied_at.isoformat(),
            "approved_at": prospect.approved_at.isoformat() if prospect.approved_at else None,
            "outcome": prospect.outcome, "flow_run_id": prospect.flow_run_id,
            "budget": {
                "amount": str(prospect.budget_amount) if prospect.budget_amount is not None else None,
                "approved_at": (prospect.budget_approved_at.isoformat()
                                if prospect.budget_approved_at else None),
                "spent": str(case.spent_total(prospect)),
                "spends": [{"id": s.id, "amount": str(s.amount), "status": s.status,
                            "approval_task_id": s.approval_task_id, "at": s.at.isoformat()}
                           for s in prospect.spends],
            },
            "next_review": upcoming[0] if upcoming else None,
            "reviews": reviews,
            "tracking": [{"at": r.at.isoformat(), "note": r.note, "progress": r.progress}
                         for r in prospect.tracking],
            "approvals": records.approvals(session, number),
            "customer": customer,
            "events": records.story(session, number),
            "notifications": records.messages(session, number),
            # Open deadlines in a year the calendar only estimates (issue 21 §5): the card says so.
            "calendar": records.uncertain_calendar(session, number),
        }


def prospect_card_markdown(number: str) -> str:
    """The project card for the dashboard: every value from the project escaped."""
    return _prospect_card(prospect_view(number), MARKDOWN)


def prospect_card_text(number: str) -> str:
    """The same card for ``kefu new-customer show`` in a terminal: values plain, none able to
    print a line of its own."""
    return _prospect_card(prospect_view(number), TERMINAL)


def _prospect_card(view: dict, w: CardWriter) -> str:
    """The project card: status, budget, the coming reviews and the decisions so far, every
    code in words (tasks/labels.py)."""
    policy = load_policy()
    org = policy.organisation

    def local(value: str) -> str:
        return local_time(value, policy.calendar.timezone)

    def review(name: str) -> str:
        return labels.clock(name)

    budget = view["budget"]
    lines = [f"# 新客户开发 {w.text(view['number'])}: {w.text(view['name'])}", "",
             f"- 状态：**{w.text(labels.status(view['status']))}**　实施人："
             f"{w.text(labels.person(view['owner'], org))}",
             f"- 产品线：{w.text(labels.product_line(view['product_line'], policy))}，预计年新增业务量 "
             f"{w.text(view['expected_annual_revenue'])} 元",
             f"- 预算：{w.text(budget['amount'] or '—')}（已支出 {w.text(budget['spent'])}）"]
    if view["qualification_reason"]:
        lines.append(f"- 立项标准：{w.text(labels.reason(view['qualification_reason']))}")
    if view["next_review"]:
        nxt = view["next_review"]
        lines.append(f"- **下次评审：{w.text(review(nxt['review']))}，{w.text(local(nxt['due_at']))}**")
    lines += ["", *calendar_notice(view["calendar"], w)] if view["calendar"] else []
    lines += ["", "## 评审", "", "| 评审 | 期限 | 状态 |", "|---|---|---|"]
    lines += [f"| {w.cell(review(r['review']))} | {w.cell(local(r['due_at']))} | "
              f"{w.cell(labels.status(r['status']))} |" for r in view["reviews"]]
    lines += ["", "## 审批", "", "| 事项 | 办理人 | 期限 | 决定 |", "|---|---|---|---|"]
    for a in view["approvals"]:
        done = (f"{labels.decision(a['decision'], todo=labels.is_todo(a['decisions']))} · "
                f"{labels.person(a['decided_by'], org)}" if a["decision"] else labels.status(a["status"]))
        lines.append(f"| {w.cell(a['label'])} | {w.cell(labels.person(a['assignee'], org))} | "
                     f"{w.cell(local(a['due_at']))} | {w.cell(done)} |")
    lines += ["", "## 跟踪记录", ""]
    lines += [f"- {w.text(local(r['at']))}{' **有进展**' if r['progress'] else ''} "
              f"{w.text(r['note'])}" for r in view["tracking"]] or ["- —"]
    lines += ["", "## 经过", ""]
    lines += [f"- {w.text(local(e['at']))} **{w.text(labels.event(e['kind']))}**"
              f"（{w.text(labels.person(e['actor'], org))}）" for e in view["events"]]
    return "\n".join(lines)


def projects_table() -> list[dict]:
    """Every project and its next review, newest first: the dashboard's overview."""
    from models import Prospect

    with session_scope() as session:
        numbers = list(session.scalars(select(Prospect.number).order_by(Prospect.id.desc())))
    rows = []
    for number in numbers:
        view = prospect_view(number)
        nxt = view["next_review"] or {}
        rows.append({"number": number, "name": view["name"], "status": view["status"],
                     "owner": view["owner"], "next_review": nxt.get("review"),
                     "next_review_due_at": nxt.get("due_at")})
    return rows
