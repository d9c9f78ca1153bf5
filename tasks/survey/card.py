"""What a survey round looks like to people: the text of ``kefu survey show`` and the card
published on the Prefect dashboard (every value from the round through ``tasks.markdown``)."""

from __future__ import annotations

from policy.load import load_policy
from tasks import labels
from tasks.deadlines import local_time
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter
from tasks.survey.case import survey_view

STATUS = {"collecting": "调查中", "capa": "纠正预防措施中", "met_target": "达标",
          "closed": "已办结", "planning": "制定计划", "approval": "计划待批", "acting": "措施实施中",
          "sent_back": "计划退回", "effective": "有效", "not_effective": "无效"}


def survey_card_markdown(number: str) -> str:
    return _card(survey_view(number), MARKDOWN)


def survey_card_text(number: str) -> str:
    return _card(survey_view(number), TERMINAL)


def _card(view: dict, w: CardWriter) -> str:
    policy = load_policy()
    org, tz = policy.organisation, policy.calendar.timezone
    aspects = policy.survey.aspects

    def local(moment: str | None) -> str:
        return local_time(moment, tz) if moment else "—"

    lines = [f"# 顾客满意度调查 {w.text(view['number'])}", "",
             f"- 状态：**{w.text(STATUS.get(view['status'], view['status']))}**　"
             f"调查表：{w.text(view['responses'] if view['responses'] is not None else '—')} 份　"
             f"目标：{w.text(view['target_percent'] or policy.survey.target_percent)}%", "",
             "| 方面 | 答卷 | 满意 | 满意度 |", "|---|---|---|---|"]
    for key, result in (view["results"] or {}).items():
        mark = "（未达标）" if key in (view["below_target"] or []) else ""
        lines.append(f"| {w.cell(aspects[key].name if key in aspects else key)}{mark} | "
                     f"{w.cell(result['answers'])} | {w.cell(result['satisfied'])} | "
                     f"{w.cell(result['rate'])}% |")
    lines += ["", "## 纠正预防措施"]
    lines += [f"- 第{c['round']}轮：{w.text(STATUS.get(c['status'], c['status']))}，负责人 "
              f"{w.text(labels.person(c['owner'], org))}，期限 {w.text(local(c['due_at']))}；"
              f"措施：{w.text(c['plan'] or '—')}" for c in view["capa"]] or ["- —"]
    lines += ["", "## 审批", "", "| 事项 | 办理人 | 期限 | 决定 |", "|---|---|---|---|"]
    lines += [f"| {w.cell(a['label'])} | {w.cell(labels.person(a['assignee'], org))} | "
              f"{w.cell(local(a['due_at']))} | "
              f"{w.cell(labels.decision(a['decision']) if a['decision'] else labels.status(a['status']))} |"
              for a in view["approvals"]]
    lines += ["", "## 经过"]
    lines += [f"- {w.text(local(e['at']))} **{w.text(EVENTS.get(e['kind']) or labels.event(e['kind']))}**"
              f"（{w.text(labels.person(e['actor'], org))}）" for e in view["events"]]
    return "\n".join(lines) + "\n"


EVENTS = {"survey_opened": "调查开始", "results_imported": "录入调查结果", "analysed": "统计分析",
          "capa_opened": "启动纠正预防措施", "capa_planned": "提交措施计划",
          "capa_acting": "计划获批", "capa_sent_back": "计划退回", "capa_effective": "验证有效",
          "capa_not_effective": "验证无效", "closed": "办结"}
