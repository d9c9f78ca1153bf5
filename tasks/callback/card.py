"""What a callback looks like to people: the card of ``kefu callback show`` and the dashboard
(every value through ``tasks.markdown``), and the month's figures table."""

from __future__ import annotations

from policy.load import load_policy
from tasks import labels
from tasks.callback import case
from tasks.deadlines import calendar_for, local_time, now
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter


def callback_card_markdown(number: str) -> str:
    return _card(case.show(number), MARKDOWN)


def callback_card_text(number: str) -> str:
    return _card(case.show(number), TERMINAL)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _card(view: dict, w: CardWriter) -> str:
    """The 回访记录表: the case called back, the customer, the caller, each callback and its
    result, and the story."""
    policy = load_policy()
    org = policy.organisation
    rules = case.rules_of(policy)
    kind = rules.kinds.get(view["kind"])

    def local(value: str | None) -> str:
        return local_time(value, policy.calendar.timezone) if value else "—"

    customer = view["customer"] or {}
    satisfied = {True: "满意", False: "不满意", None: "—"}[view["satisfied"]]
    lines = [f"# {w.text(kind.label if kind else view['kind'])} {w.text(view['number'])}", "",
             f"- 状态：**{w.text(labels.status(view['status']))}**　回访人："
             f"{w.text(labels.person(view['caller'], org))}",
             f"- 回访对象：{w.text(view['source'])}，客户 {w.text(customer.get('name', '—'))}"
             f"（{w.text(customer.get('phone', '—'))}）"
             + (f"，{w.text(labels.department(view['department'], org))}" if view["department"] else ""),
             f"- 办结：{w.text(local(view['handled_at']))}；回访期限：{w.text(local(view['due_at']))}",
             f"- 抽样：得分 {view['sample_score']:.4f} < 比例 {view['sample_share']:.0%}"
             + ("（重要投诉必回访）" if view["important"] else ""),
             f"- 客户意见：**{w.text(satisfied)}**"
             + (f"　{w.text(view['note'])}" if view["note"] else ""),
             "", f"## {w.text(rules.record_form)}", "",
             "| 次 | 回访人 | 期限 | 结果 |", "|---|---|---|---|"]
    for a in view.get("approvals", []):
        result = (labels.outcome((a["decision_data"] or {}).get("outcome") or a["decision"])
                  if a["decision"] else labels.status(a["status"]))
        lines.append(f"| {a['round']} | {w.cell(labels.person(a['assignee'], org))} | "
                     f"{w.cell(local(a['due_at']))} | {w.cell(result)} |")
    lines += ["", "## 经过", ""]
    lines += [f"- {w.text(local(e['at']))} **{w.text(labels.event(e['kind']))}**"
              f"（{w.text(labels.person(e['actor'], org))}）" for e in view.get("events", [])]
    return "\n".join(lines)


def month_table(year: int | None = None, month: int | None = None) -> list[dict]:
    """This month's callback figures per kind: the dashboard's table (004 D14 §2.4)."""
    policy = load_policy()
    if year is None or month is None:
        today = now().astimezone(calendar_for(policy.calendar).tz)
        year, month = today.year, today.month
    report = case.monthly_report(policy, year, month)
    return [{"month": report["month"], "kind": k["kind"], "handled": k["handled"],
             "chosen": k["chosen"], "called": k["called"], "on_time": k["on_time"],
             "callback_rate": _percent(k["callback_rate"]),
             "satisfaction": _percent(k["satisfaction"])} for k in report["kinds"]]
