"""The steps of 客户等级评定 (000 D7 §5.1) on one yearly assessment, as plain functions.

Each step is one idempotent transaction: the flow run re-runs from the top when it is
resumed, and every step finds its work done.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApprovalTask, Customer, CustomerYearFigures, GradeChange, TierAssessment
from models.db import data_dir, session_scope
from policy.schema import Policy
from tasks import events, labels
from tasks.approvals import ApprovalError, ApprovalRequest, request_approval
from tasks.case_records import approvals as case_approvals
from tasks.case_records import by_number, uncertain_calendar
from tasks.deadlines import calendar_for, now
from tasks.markdown import MARKDOWN, TERMINAL, CardWriter, calendar_notice
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.tier.rules import YearFigures, final_grades, proposed_grade, scores, territory_chiefs

PROCESS = "tier"
MEETING = "meeting"
PREGRADE = "pregrade:"


def assessment_year(policy: Policy, moment: datetime | None = None) -> int:
    """The year of the assessment held now (§5.1.1: every March, on the year before's figures)."""
    return (moment or now()).astimezone(ZoneInfo(policy.calendar.timezone)).year


def number_for(policy: Policy, year: int) -> str:
    return f"{policy.tier_assessment.number_prefix}-{year}"


def get(session: Session, number: str) -> TierAssessment:
    return by_number(session, TierAssessment, number, "tier assessment")


def figures_of(row: CustomerYearFigures) -> YearFigures:
    return YearFigures(sales=row.sales, growth=row.growth, overdue_payments=row.overdue_payments,
                       cooperation=row.cooperation, profit=row.profit)


# --- 初步评级: proposals and the section chiefs' pre-grades (§5.1.2) -------------------------

def open_assessment(policy: Policy, year: int | None, flow_run_id: str | None = None) -> str:
    """The year's assessment with a proposed grade for every customer that has figures for
    the year before; an existing one is returned unchanged."""
    year = year or assessment_year(policy)
    tiers = policy.tier_assessment
    number = number_for(policy, year)
    with session_scope() as session:
        existing = session.scalar(select(TierAssessment).where(TierAssessment.number == number))
        if existing is not None:
            if flow_run_id and existing.flow_run_id != flow_run_id:
                existing.flow_run_id = flow_run_id
            return number
        rows = session.execute(
            select(Customer, CustomerYearFigures)
            .join(CustomerYearFigures, CustomerYearFigures.customer_id == Customer.id)
            .where(CustomerYearFigures.year == year - 1).order_by(Customer.name)).all()
        if not rows:
            raise LookupError(f"tier assessment {year}: no customer figures for {year - 1}; "
                              f"import them with `kefu customers import FILE`")
        proposals = {}
        for customer, figures in rows:
            measured = figures_of(figures)
            proposals[customer.name] = {
                "customer_id": customer.id, "territory": customer.territory,
                "grade": customer.grade, "proposed": proposed_grade(measured, tiers),
                "scores": scores(measured, tiers),
                "figures": {"sales": figures.sales, "growth": figures.growth,
                            "overdue_payments": figures.overdue_payments,
                            "cooperation": figures.cooperation, "profit": figures.profit},
            }
        session.add(TierAssessment(number=number, year=year, figures_year=year - 1,
                                   method=tiers.method, status="pregrading", proposals=proposals,
                                   results={}, started_at=now(), flow_run_id=flow_run_id))
        events.record(session, PROCESS, number, "assessment_opened", "kefu", year=year,
                      customers=len(proposals), method=tiers.method)
    return number


def chiefs_with_customers(policy: Policy, assessment: TierAssessment) -> dict[str, list[str]]:
    """{chief key: the names of the customers they pre-grade}, in the policy's order."""
    chiefs = territory_chiefs(policy)
    mine: dict[str, list[str]] = {}
    for name, proposal in assessment.proposals.items():
        chief = chiefs.get(proposal["territory"])
        if chief is not None:
            mine.setdefault(chief.key, []).append(name)
    return mine


def request_pregrades(policy: Policy, number: str, flow_run_id: str | None) -> list[int]:
    """One 客户质量等级评估表 per section chief, all at once, due ``pregrade_due`` after the
    assessment opened."""
    tiers = policy.tier_assessment
    with session_scope() as session:
        assessment = get(session, number)
        due = calendar_for(policy.calendar).add(assessment.started_at, tiers.pregrade_due)
        ids = []
        for chief, names in chiefs_with_customers(policy, assessment).items():
            rows = [{"name": n, **assessment.proposals[n]} for n in names]
            task = request_approval(session, policy, ApprovalRequest(
                process=PROCESS, case_number=number, step=f"{PREGRADE}{chief}",
                label=f"客户等级初评 {assessment.year}（{len(rows)} 家客户）", assignee=chief,
                due_at=due, decisions=("approve",), event="tier_approval_requested",
                context={"assessment": assessment, "rows": rows, "kind": "pregrade"},
            ), flow_run_id)
            ids.append(task.id)
        return ids


def pregrade_overrides(session: Session, number: str) -> dict[str, dict]:
    """{customer: {"grade", "reason", "by"}} from the section chiefs' decisions."""
    tasks = session.scalars(select(ApprovalTask).where(
        ApprovalTask.case_number == number, ApprovalTask.step.like(f"{PREGRADE}%"),
        ApprovalTask.decision == "approve")).all()
    found: dict[str, dict] = {}
    for task in tasks:
        for name, chosen in (task.decision_data.get("overrides") or {}).items():
            found[name] = {**chosen, "by": task.decided_by}
    return found


def pregrades(session: Session, policy: Policy, assessment: TierAssessment) -> dict[str, dict]:
    """{customer: {"grade", "reason", "by"}} for every customer whose section chief has handed
    in the 客户质量等级评估表: the chief's own grade where they changed it, else the proposed
    grade they agreed to. Customers of a chief still at work are not in it."""
    overrides = pregrade_overrides(session, assessment.number)
    handed_in = {task.step.removeprefix(PREGRADE): task for task in session.scalars(
        select(ApprovalTask).where(ApprovalTask.case_number == assessment.number,
                                   ApprovalTask.step.like(f"{PREGRADE}%"),
                                   ApprovalTask.decision == "approve"))}
    chiefs = territory_chiefs(policy)
    found: dict[str, dict] = {}
    for name, proposal in assessment.proposals.items():
        chief = chiefs.get(proposal["territory"])
        task = handed_in.get(chief.key) if chief else None
        if name in overrides:
            found[name] = overrides[name]
        elif task is not None:
            found[name] = {"grade": proposal["proposed"], "reason": "", "by": task.decided_by}
    return found


# --- 复评会议: the department heads' meeting (§5.1.2) ----------------------------------------

def request_meeting(policy: Policy, number: str, flow_run_id: str | None) -> int:
    """促销科 convenes the meeting with the whole table; due ``meeting_due`` after the last
    pre-grade came in."""
    tiers = policy.tier_assessment
    with session_scope() as session:
        assessment = get(session, number)
        pregrades = session.scalars(select(ApprovalTask).where(
            ApprovalTask.case_number == number, ApprovalTask.step.like(f"{PREGRADE}%"))).all()
        last_in = max([t.decided_at for t in pregrades if t.decided_at] or [assessment.started_at])
        if assessment.status == "pregrading":
            assessment.status = "meeting"
            events.record(session, PROCESS, number, "pregrading_done", "kefu",
                          overrides=len(pregrade_overrides(session, number)))
        overrides = pregrade_overrides(session, number)
        rows = [{"name": n, **p, "pregrade": overrides.get(n, {}).get("grade", p["proposed"])}
                for n, p in assessment.proposals.items()]
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=MEETING,
            label=f"客户等级评定会议 {assessment.year}（{len(rows)} 家客户）",
            assignee=resolve_assignee(tiers.convener, policy),
            due_at=calendar_for(policy.calendar).add(last_in, tiers.meeting_due),
            decisions=("approve",), event="tier_approval_requested",
            context={"assessment": assessment, "rows": rows, "kind": "meeting"},
        ), flow_run_id)
        return task.id


def parse_overrides(items: list[str]) -> dict[str, dict]:
    """``CUSTOMER=GRADE:REASON`` lines (the CLI's --override, the inbox's box) as overrides."""
    overrides: dict[str, dict] = {}
    for item in items:
        if not item.strip():
            continue
        name, sep, rest = item.partition("=")
        grade, _, reason = rest.partition(":")
        if not sep or not grade.strip():
            raise ApprovalError(f"--override: {item.strip()!r} is not CUSTOMER=GRADE:REASON")
        overrides[name.strip()] = {"grade": grade.strip(), "reason": reason.strip()}
    return overrides


def check_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """tasks/decision_checks.py: a pre-grade's and the meeting's data are checked (whatever path
    they come by); an A application, order exception or review records only its grade."""
    if task.step.startswith(PREGRADE) or task.step == MEETING:
        return check_tier_decision(policy, task, data)
    return {k: v for k, v in data.items() if k == "grade"}


def check_tier_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """The decision's data, checked: overrides name customers of the assessment (a section
    chief only those of their territory), with a grade of the policy and a reason; the meeting
    names its attendees. Raises ApprovalError naming the bad field; nothing is written."""
    tiers = policy.tier_assessment
    with session_scope() as session:
        assessment = get(session, task.case_number)
        allowed = set(assessment.proposals)
        if task.step.startswith(PREGRADE):
            allowed = set(chiefs_with_customers(policy, assessment).get(task.assignee_key, []))
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ApprovalError("--override: give NAME=GRADE:REASON")
    for name, chosen in overrides.items():
        if name not in allowed:
            raise ApprovalError(f"--override: {name!r} is not a customer of this "
                                f"{'territory' if task.step != MEETING else 'assessment'}")
        if chosen.get("grade") not in tiers.grades:
            raise ApprovalError(f"--override: {name}: grade {chosen.get('grade')!r} is not one of "
                                f"{', '.join(tiers.grades)}")
        if not (chosen.get("reason") or "").strip():
            raise ApprovalError(f"--override: {name}: a reason is required (who, when, why)")
    if task.step == MEETING:
        attendees = data.get("attendees") or []
        if not attendees:
            raise ApprovalError("attendees: the meeting's attendees are required")
        for person in attendees:
            try:
                policy.organisation.person(person)
            except KeyError:
                raise ApprovalError(f"attendees: {person!r} is not a person in the policy") from None
    return data


# --- 公布: publication and the grade history -------------------------------------------------

def publish_results(policy: Policy, number: str, meeting_task_id: int) -> dict:
    """Fix every customer's grade as the meeting decided, write each change to the grade
    history, write the Excel table, and tell sales. Once."""
    with session_scope() as session:
        assessment = get(session, number)
        if assessment.status == "published":
            return assessment.results
        meeting = session.get(ApprovalTask, meeting_task_id)
        decided = {n: {**c, "by": meeting.decided_by}
                   for n, c in (meeting.decision_data.get("overrides") or {}).items()}
        results = final_grades(assessment.proposals, pregrade_overrides(session, number), decided)
        moment = now()
        changed = 0
        for name, result in results.items():
            customer = session.get(Customer, assessment.proposals[name]["customer_id"])
            if customer.grade == result["grade"] and not customer.grade_temporary:
                continue
            session.add(GradeChange(
                customer_id=customer.id, from_grade=customer.grade, to_grade=result["grade"],
                temporary=False, changed_by=result["by"] or meeting.decided_by,
                reason=f"{assessment.year} 年度评定：{result['reason']}", source="assessment",
                case_number=number, at=moment))
            customer.grade, customer.grade_temporary = result["grade"], False
            changed += 1
        assessment.results = results
        assessment.status, assessment.published_at = "published", moment
        assessment.result_file = str(write_workbook(policy, assessment, meeting))
        events.record(session, PROCESS, number, "published", meeting.decided_by, changed=changed,
                      file=assessment.result_file)
        _tell_sales(session, policy, assessment, meeting)
        return results


def may_read_results(policy: Policy, person_key: str) -> bool:
    """Who may download the results workbook: the people told of the results and the
    convener who published them."""
    tiers = policy.tier_assessment
    try:
        person = policy.organisation.person(person_key)
    except KeyError:
        return False
    return tiers is not None and (person.department in tiers.publish_to_departments
                                  or resolve_assignee(tiers.convener, policy) == person_key)


def results_url(policy: Policy, number: str) -> str:
    """The results workbook in the inbox (behind login): never a path on the server."""
    from tasks.links import inbox_url

    return f"{inbox_url(policy)}/files/tiers/{number}.xlsx"


def grade_list(results: dict, grade: str) -> list[str]:
    return sorted(n for n, r in results.items() if r["grade"] == grade)


def _tell_sales(session: Session, policy: Policy, assessment: TierAssessment,
                meeting: ApprovalTask) -> None:
    tiers = policy.tier_assessment
    counts = {g: len(grade_list(assessment.results, g)) for g in tiers.grades}
    for person in policy.organisation.people:
        if person.department not in tiers.publish_to_departments:
            continue
        notify_person(session, policy, key=f"{assessment.number}:published", process=PROCESS,
                      case_number=assessment.number, event="tier_published", person_key=person.key,
                      context={"assessment": assessment, "counts": counts,
                               "a_list": grade_list(assessment.results, tiers.grades[0]),
                               "decision": meeting.decision_data, "grades": tiers.grades,
                               "file_url": results_url(policy, assessment.number)})


FIGURE_COLUMNS = (("sales", "销售额（万元）"), ("growth", "增长率（%）"),
                  ("overdue_payments", "逾期次数"), ("cooperation", "合作状况"), ("profit", "利润"))


def write_workbook(policy: Policy, assessment: TierAssessment, meeting: ApprovalTask) -> Path:
    """The 客户质量等级评估表 as decided: every customer with the figures it was graded on, the A
    list, the meeting's decision, and the customers left out for missing figures. Names in
    pinyin order; each sheet with a frozen header and readable column widths."""
    from openpyxl import Workbook

    from tasks.tables import by_pinyin, finish_sheet

    org = policy.organisation
    book = Workbook()
    sheet = book.active
    sheet.title = "客户等级评定"
    sheet.append(["客户", "片区", "原等级", "建议等级", "评分", "最终等级", "依据", "决定人", "理由",
                  *(label for _, label in FIGURE_COLUMNS)])
    for name in by_pinyin(assessment.results):
        result, proposal = assessment.results[name], assessment.proposals[name]
        figures = proposal.get("figures") or {}
        sheet.append([name, labels.territory(proposal["territory"], policy), result["previous"] or "",
                      result["proposed"], proposal["scores"][assessment.method], result["grade"],
                      labels.grade_source(result["source"]),
                      labels.person(result["by"], org) if result["by"] else "", result["reason"],
                      *(figures.get(k) for k, _ in FIGURE_COLUMNS)])
    top = policy.tier_assessment.grades[0]
    a_sheet = book.create_sheet(f"{top}类客户")
    a_sheet.append(["客户", "片区"])
    for name in by_pinyin(grade_list(assessment.results, top)):
        a_sheet.append([name, labels.territory(assessment.proposals[name]["territory"], policy)])
    decision = meeting.decision_data
    d_sheet = book.create_sheet("会议决定")
    d_sheet.append(["项目", "内容"])
    d_sheet.append(["召集人", labels.person(meeting.decided_by, org)])
    d_sheet.append(["出席", "、".join(labels.person(key, org) for key in decision.get("attendees") or [])])
    d_sheet.append([f"{top}类客户支持计划", decision.get("a_support_plan") or ""])
    for item in decision.get("special_policies") or []:
        d_sheet.append(["特殊政策", f"{item.get('customer', '')}：{item.get('policy', '')}"])
    for item in decision.get("credit_terms") or []:
        d_sheet.append(["资信及特别结算", f"{item.get('customer', '')}：{item.get('terms', '')}"])
    left_out = book.create_sheet("未评定客户")
    left_out.append(["客户", "电话", "片区", "现等级", "原因"])
    for customer in _left_out(assessment):
        left_out.append([customer.name, customer.phone,
                         labels.territory(customer.territory, policy) if customer.territory else "",
                         customer.grade or "",
                         f"没有 {assessment.figures_year} 年数据"])
    for each in book.worksheets:
        finish_sheet(each)
    folder = data_dir() / "tiers"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assessment.number}.xlsx"
    book.save(path)
    return path


def _left_out(assessment: TierAssessment) -> list[Customer]:
    """Customers with no figures for the assessment's figures year (so no proposal), by pinyin."""
    from sqlalchemy.orm import object_session

    from tasks.tables import pinyin_key

    session = object_session(assessment)
    if session is None:
        return []
    graded = select(CustomerYearFigures.customer_id).where(
        CustomerYearFigures.year == assessment.figures_year)
    missing = session.scalars(select(Customer).where(Customer.id.not_in(graded))).all()
    return sorted((c for c in missing if c.name not in assessment.proposals),
                  key=lambda c: pinyin_key(c.name))


def assessment_view(number: str) -> dict:
    from policy.load import load_policy

    policy = load_policy()
    with session_scope() as session:
        assessment = get(session, number)
        return {
            "number": assessment.number, "year": assessment.year,
            "figures_year": assessment.figures_year, "method": assessment.method,
            "status": assessment.status, "customers": len(assessment.proposals),
            "started_at": assessment.started_at.isoformat(),
            "published_at": assessment.published_at.isoformat() if assessment.published_at else None,
            "result_file": assessment.result_file, "flow_run_id": assessment.flow_run_id,
            "approvals": case_approvals(session, number),
            "calendar": uncertain_calendar(session, number),  # issue 21 §5
            "proposals": assessment.proposals,
            "pregrades": pregrades(session, policy, assessment),
            "results": assessment.results,
        }


def table_markdown(number: str) -> str:
    """The assessment as a Markdown card for the Prefect dashboard: every value escaped."""
    return _table_card(assessment_view(number), MARKDOWN)


def table_text(number: str) -> str:
    """The same card for ``kefu tiers show`` in a terminal: values plain, none able to print a
    line of its own."""
    return _table_card(assessment_view(number), TERMINAL)


def _table_card(view: dict, w: CardWriter) -> str:
    """The 客户质量等级评估表 as it stands: each customer's proposed grade, the section chief's
    pre-grade (who, why) once handed in, and the final grade once published."""
    from policy.load import load_policy

    policy = load_policy()
    org = policy.organisation
    lines = [f"# 客户等级评定 {w.text(view['year'])} · {w.text(labels.status(view['status']))}", "",
             f"{view['customers']} 家客户，{w.text(view['figures_year'])} 年数据，"
             f"评分方法 {w.text(labels.method(view['method']))}", ""]
    lines += calendar_notice(view["calendar"], w)
    for task in view["approvals"]:
        done = (labels.decision(task["decision"], todo=labels.is_todo(task["decisions"]))
                if task["decision"] else labels.status(task["status"]))
        lines.append(f"- {w.text(task['label'])} → {w.text(labels.person(task['assignee'], org))}："
                     f"{w.text(done)}（升级级别 {task['escalation_level']}）")
    lines += ["", "| 客户 | 片区 | 原等级 | 建议 | 初评 | 初评人 | 初评理由 | 最终 | 理由 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, proposal in view["proposals"].items():
        result = view["results"].get(name, {})
        pregrade = view["pregrades"].get(name, {})
        by = labels.person(pregrade["by"], org) if pregrade else "—"
        lines.append(f"| {w.cell(name)} | {w.cell(labels.territory(proposal['territory'], policy))} | "
                     f"{w.cell(proposal['grade'])} | {w.cell(proposal['proposed'])} | "
                     f"{w.cell(pregrade.get('grade') or '—')} | {w.cell(by)} | {w.cell(pregrade.get('reason'))} | "
                     f"{w.cell(result.get('grade'))} | {w.cell(result.get('reason'))} |")
    return "\n".join(lines)
