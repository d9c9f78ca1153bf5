"""What a credit request looks like to people: the text of ``kefu credit show`` and the card
published on the Prefect dashboard (every value through ``tasks.markdown``)."""

from __future__ import annotations

from policy.load import load_policy
from tasks import labels
from tasks.credit.case import request_view
from tasks.deadlines import local_time
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter

STATUS = {"within_limit": "授信额内", "pending": "待签批", "approved": "已签批", "rejected": "不予发货"}


def request_card_markdown(number: str) -> str:
    return _card(request_view(number), MARKDOWN)


def request_card_text(number: str) -> str:
    return _card(request_view(number), TERMINAL)


def _card(view: dict, w: CardWriter) -> str:
    policy = load_policy()
    org, tz = policy.organisation, policy.calendar.timezone

    def local(moment: str | None) -> str:
        return local_time(moment, tz) if moment else "—"

    lines = [f"# 超授信额发货 {w.text(view['number'])}: {w.text(view['customer'])}", "",
             f"- 状态：**{w.text(STATUS.get(view['status'], view['status']))}**　申请人："
             f"{w.text(labels.person(view['requested_by'], org))}",
             f"- 发货额 {w.text(view['amount'])} 元（{w.text(view['ship_on'])}），授信额 "
             f"{w.text(view['credit_limit'])} 元，超出 {w.text(view['excess'])} 元",
             f"- 签批人：{w.text(labels.person(view['approver'], org) if view['approver'] else '—')}"
             f"　决定：{w.text(labels.person(view['decided_by'], org) if view['decided_by'] else '—')}"
             f" {w.text(local(view['decided_at']))} {w.text(view['comment'] or '')}",
             "", "## 经过"]
    lines += [f"- {w.text(local(e['at']))} **{w.text(EVENTS.get(e['kind']) or labels.event(e['kind']))}**"
              f"（{w.text(labels.person(e['actor'], org))}）" for e in view["events"]]
    return "\n".join(lines) + "\n"


EVENTS = {"shipment_requested": "申请发货", "shipment_approved": "签批同意发货",
          "shipment_rejected": "签批不予发货"}
