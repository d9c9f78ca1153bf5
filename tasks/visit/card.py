"""What ``kefu visits show/list`` and the inbox show of a plan or a site-visit request."""

from __future__ import annotations

from sqlalchemy import select

from models import ApprovalTask, PlannedVisit, SiteVisitRequest, VisitPlan
from models.db import session_scope
from policy.load import load_policy
from tasks import labels, markdown
from tasks.deadlines import local_time
from tasks.text import one_line
from tasks.visit.case import REPORT, get_plan, get_request


def _tasks(session, number: str) -> list[dict]:
    return [{"id": t.id, "step": t.step, "round": t.round, "label": t.label,
             "assignee": t.assignee_key, "status": t.status, "decision": t.decision,
             "due_at": t.due_at, "opens_at": t.opens_at}
            for t in session.scalars(select(ApprovalTask).where(
                ApprovalTask.case_number == number).order_by(ApprovalTask.id))]


def plan_view(number: str) -> dict:
    with session_scope() as session:
        plan = get_plan(session, number)
        tasks = _tasks(session, number)
        due = {t["step"]: t for t in tasks if t["step"].startswith(REPORT)}
        return {"number": plan.number, "salesperson": plan.salesperson_key, "month": plan.month,
                "status": plan.status, "round": plan.round, "due_at": plan.due_at,
                "submitted_at": plan.submitted_at, "approved_at": plan.approved_at,
                "flow_run_id": plan.flow_run_id,
                "visits": [{"number": v.number, "on": v.visit_on.isoformat(),
                            "customer": v.customer, "purpose": v.purpose,
                            "reported_at": v.reported_at, "report": v.report,
                            "report_due_at": due.get(f"{REPORT}:{v.seq}", {}).get("due_at")}
                           for v in plan.visits],
                "approvals": tasks}


def request_view(number: str) -> dict:
    with session_scope() as session:
        site = get_request(session, number)
        return {"number": site.number, "customer": site.customer, "kind": site.kind,
                "visitors": site.visitors, "visit_at": site.visit_at,
                "confirm_by": site.confirm_by, "requested_by": site.requested_by,
                "requested_at": site.requested_at, "status": site.status,
                "decided_at": site.decided_at, "note": site.note,
                "flow_run_id": site.flow_run_id, "approvals": _tasks(session, number)}


def view(number: str) -> dict:
    with session_scope() as session:
        is_plan = session.scalar(select(VisitPlan.id).where(VisitPlan.number == number))
    return plan_view(number) if is_plan else request_view(number)


def card_text(number: str) -> str:
    """The plan or request in words, as the CLI prints it and the inbox shows it beside its task."""
    policy = load_policy()
    org, tz = policy.organisation, policy.calendar.timezone
    data = view(number)
    status = labels.status(data["status"])
    if "month" in data:
        lines = [f"客户拜访计划书 {data['number']}（{data['month']}）", f"状态：{status}",
                 f"销售人员：{labels.person(data['salesperson'], org)}",
                 f"计划提交期限：{local_time(data['due_at'], tz)}", "拜访："]
        for v in data["visits"]:
            report = (f"已报告 {local_time(v['reported_at'], tz)}" if v["reported_at"] else
                      f"报告期限 {local_time(v['report_due_at'], tz)}" if v["report_due_at"] else "")
            lines.append(f"  {v['on']} {one_line(v['customer'])} {one_line(v['purpose'])} {report}".rstrip())
        return "\n".join(lines)
    kind = policy.visit.site_visits.get(data["kind"]) if policy.visit else None
    return "\n".join([
        f"客户参观申请 {data['number']}", f"状态：{status}",
        f"客户：{one_line(data['customer'])}（{data['visitors']} 人）",
        f"类别：{kind.label if kind else data['kind']}",
        f"参观时间：{local_time(data['visit_at'], tz)}",
        f"核准期限：{local_time(data['confirm_by'], tz)}",
        f"申请人：{labels.person(data['requested_by'], org)}"])


def listing(month: str | None = None) -> list[dict]:
    """Every plan (of a month) and every site-visit request, newest first."""
    with session_scope() as session:
        query = select(VisitPlan).order_by(VisitPlan.number.desc())
        if month:
            query = query.where(VisitPlan.month == month)
        rows = [{"number": p.number, "kind": "plan", "who": p.salesperson_key, "when": p.month,
                 "status": p.status,
                 "visits": session.query(PlannedVisit).filter_by(plan_id=p.id).count()}
                for p in session.scalars(query)]
        if not month:
            rows += [{"number": r.number, "kind": "site_visit", "who": r.requested_by,
                      "when": r.visit_at, "status": r.status, "visits": None}
                     for r in session.scalars(select(SiteVisitRequest)
                                              .order_by(SiteVisitRequest.number.desc()))]
        return rows


def card_markdown(number: str) -> str:
    """The card on the Prefect dashboard (an artifact): every line a literal Markdown line."""
    first, *rest = card_text(number).splitlines()
    return "\n".join([f"# {markdown.text(first)}", "", *(f"- {markdown.text(line)}" for line in rest)])
