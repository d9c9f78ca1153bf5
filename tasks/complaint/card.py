"""What a complaint looks like to people: the JSON and text of ``kefu complaint show`` and the
case card published on the Prefect dashboard (every value from the case through
``tasks.markdown``)."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Clock, Escalation, ScoreEntry
from models.db import session_scope
from policy.load import load_policy
from tasks import case_records as records
from tasks import labels
from tasks.complaint.case import get
from tasks.complaint.intake import staff_named
from tasks.complaint.report_views import category_name
from tasks.deadlines import local_time
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter, calendar_notice

CLOCKS = ("register", "reply", "handling", "feedback")


def complaint_view(number: str) -> dict:
    with session_scope() as session:
        complaint = get(session, number)
        clocks = records.rows(session, Clock, number)
        latest = {c.name: c for c in clocks}  # the current round's clock wins
        escalations = records.rows(session, Escalation, number)
        points = session.scalar(select(func.coalesce(func.sum(ScoreEntry.points), 0))
                                .where(ScoreEntry.case_number == number))
        customer = complaint.customer
        return {
            "number": complaint.number, "status": complaint.status, "policy": complaint.policy_name,
            "channel": complaint.channel, "category": complaint.category,
            "department": complaint.department_key, "handler": complaint.handler_key,
            "customer": {"name": customer.name, "phone": customer.phone,
                         "address": customer.address, "email": customer.email},
            "content": complaint.content, "staff": staff_named(session, number),
            "important": complaint.important,
            "special": complaint.special, "round": complaint.round, "priority": complaint.priority,
            "procedure": complaint.procedure, "resolution": complaint.resolution,
            "upheld": complaint.upheld, "satisfied": complaint.satisfied,
            "received_at": complaint.received_at.isoformat(),
            "closed_at": complaint.closed_at.isoformat() if complaint.closed_at else None,
            "flow_run_id": complaint.flow_run_id,
            "due": {name: records.iso(latest[name].due_at) if name in latest else None for name in CLOCKS},
            "clocks": [{"name": c.name, "round": c.round, "owner": c.owner_key,
                        "due_at": records.iso(c.due_at), "met_at": records.iso(c.met_at),
                        "escalation_level": c.escalation_level} for c in clocks],
            "approvals": records.approvals(session, number),
            "events": records.story(session, number),
            "notifications": records.messages(session, number),
            "escalations": [{"level": e.level, "notified": e.notified, "at": records.iso(e.at)}
                            for e in escalations],
            "points": points,
            # Open deadlines in a year the calendar only estimates (issue 21 §5): the card says so.
            "calendar": records.uncertain_calendar(session, number),
        }


def case_card_markdown(number: str) -> str:
    """The 客户投诉表 as a Markdown card for the dashboard: every value from the case escaped."""
    return _case_card(complaint_view(number), MARKDOWN)


def case_card_text(number: str) -> str:
    """The same card for ``kefu complaint show`` in a terminal: values plain, none able to
    print a line of its own."""
    return _case_card(complaint_view(number), TERMINAL)


def _case_card(view: dict, w: CardWriter) -> str:
    """The 客户投诉表: customer, content, route, clocks, decisions, story."""
    policy = load_policy()
    org = policy.organisation
    category = category_name(policy, view["category"], "zh-CN") if view["category"] else "待人工分类"
    department = labels.department(view["department"], org)
    handler = labels.person(view["handler"], org)
    # An approval's clock reads as its task: approval:STEP is the step's label.
    steps = {f"approval:{task['step']}": task["label"] for task in view["approvals"]}

    def clock_name(name: str) -> str:
        return steps.get(name) or steps.get(name.rsplit(":", 1)[0]) or labels.clock(name)

    def local(value: str | None) -> str:
        return local_time(value, policy.calendar.timezone) or "—"

    c = view["customer"]
    lines = [
        f"# 投诉 {w.text(view['number'])} · {w.text(labels.status(view['status']))}",
        "",
        f"**客户** {w.text(c['name'])} · {w.text(c['phone'])} · {w.text(c['address'] or '—')}  ",
        f"**渠道** {w.text(labels.channel(view['channel']))} · **收到** {w.text(local(view['received_at']))}"
        f"{' · **重要**' if view['important'] else ''}{' · **特殊**' if view['special'] else ''}"
        f"{' · **优先 ' + w.text(view['priority']) + '**' if view['priority'] else ''}",
        "",
        *w.quote(view["content"]),
        "",
        *([f"**被投诉人员** {w.text(view['staff'])}", ""] if view["staff"] else []),
        *calendar_notice(view["calendar"], w),
        f"**分类** {w.text(category)} · **责任部门** {w.text(department)} · **处理人** {w.text(handler)}"
        f" · **扣分** {view['points']}",
        "",
        "| 时限 | 轮次 | 负责人 | 到期 | 完成 | 升级 |",
        "|---|---|---|---|---|---|",
    ]
    for clock in view["clocks"]:
        late = clock["met_at"] is None and clock["escalation_level"] > 0
        lines.append(
            f"| {w.cell(clock_name(clock['name']))} | {clock['round']} | "
            f"{w.cell(labels.person(clock['owner'], org))} | "
            f"{w.cell(local(clock['due_at']))} | {w.cell(local(clock['met_at']))} | "
            f"{clock['escalation_level']}{' ⚠' if late else ''} |")
    lines += ["", "| 审批 | 处理人 | 到期 | 决定 | 意见 |", "|---|---|---|---|---|"]
    for task in view["approvals"]:
        worded = labels.decision(task["decision"], todo=labels.is_todo(task["decisions"]))
        decision = (f"{w.cell(worded)} · {w.cell(labels.person(task['decided_by'], org))}"
                    if task["decision"] else w.cell(labels.status(task["status"])))
        lines.append(f"| #{task['id']} {w.cell(task['label'])} | "
                     f"{w.cell(labels.person(task['assignee'], org))} | "
                     f"{w.cell(local(task['due_at']))} | {decision} | {w.cell(task['comment'])} |")
    lines += ["", "## 经过", ""]
    lines += [f"- {w.text(local(e['at']))} **{w.text(labels.event(e['kind']))}**"
              f"（{w.text(labels.person(e['actor'], org))}）"
              for e in view["events"]]
    if view["resolution"]:
        lines += ["", f"**处理结果** {w.text(view['resolution'])}"]
    return "\n".join(lines)
