"""The steps of the satisfaction survey (000 D4 §6) on one yearly round, as plain functions:
each is one transaction and idempotent (a resumed flow re-runs from the top, and every step
finds its work done, changes nothing and sends nothing twice)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApprovalTask, CorrectiveAction, SurveyRound
from models.db import session_scope
from policy.schema import Policy
from policy.survey.schema import SurveyPolicy
from tasks import events, tables
from tasks.approvals import ApprovalRequest, decide, find_task, request_approval
from tasks.case_records import by_number, policy_section
from tasks.deadlines import calendar_for, now
from tasks.people import resolve_assignee
from tasks.survey.rules import PROCESS, SurveyError, analyse, below_target, check_answers, column_of
from tasks.text import one_line

RESULTS = "survey_results"
PLAN = "capa_plan"
PLAN_APPROVAL = "capa_approval"
EFFECT_CHECK = "capa_check"
PLAN_LIMIT = 2000


def rules_of(policy: Policy) -> SurveyPolicy:
    return policy_section(policy, "survey")


def get(session: Session, number: str) -> SurveyRound:
    return by_number(session, SurveyRound, number, "survey round", partial(SurveyError, "round"))


def current_year(policy: Policy) -> int:
    return now().astimezone(calendar_for(policy.calendar).tz).year


def _capa(session: Session, survey: SurveyRound, round: int) -> CorrectiveAction | None:
    return session.scalar(select(CorrectiveAction).where(CorrectiveAction.survey_id == survey.id,
                                                         CorrectiveAction.round == round))


def _aspects(policy: Policy, survey: SurveyRound) -> list[dict]:
    """The analysis as people read it: each aspect's name, answers and satisfaction."""
    rules = rules_of(policy)
    return [{"key": key, "name": rules.aspects[key].name, "name_en": rules.aspects[key].name_en,
             **(survey.results or {}).get(key, {}),
             "below": key in (survey.below_target or [])} for key in rules.aspects]


def _context(policy: Policy, survey: SurveyRound, capa: CorrectiveAction | None = None) -> dict:
    return {"case_number": survey.number, "survey": survey, "capa": capa,
            "aspects": _aspects(policy, survey), "target": rules_of(policy).target_percent,
            "complaint": None}


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """A round's messages' context for the shared approval mechanism (tasks/case_context.py)."""
    base = {"case_number": number, "complaint": None, "policy": policy}
    survey = session.scalar(select(SurveyRound).where(SurveyRound.number == number))
    if survey is None:
        return base
    capa = session.scalar(select(CorrectiveAction).where(CorrectiveAction.survey_id == survey.id)
                          .order_by(CorrectiveAction.round.desc()).limit(1))
    return {**base, **_context(policy, survey, capa)}


# --- the round ---------------------------------------------------------------------------

def open_round(policy: Policy, year: int | None, flow_run_id: str | None = None) -> str:
    """000 D4 §6 a: 每年至少进行一次全面的顾客满意度调查 — the year's round, once."""
    rules = rules_of(policy)
    year = year or current_year(policy)
    if not 2000 <= year <= 2100:
        raise SurveyError("year", f"{year} is not a year between 2000 and 2100")
    with session_scope() as session:
        survey = session.scalar(select(SurveyRound).where(SurveyRound.year == year))
        if survey is None:
            survey = SurveyRound(uid=str(uuid.uuid4()), number=f"{rules.number_prefix}-{year}",
                                 year=year, status="collecting", opened_at=now())
            session.add(survey)
            session.flush()
            events.record(session, PROCESS, survey.number, "survey_opened", "kefu", year=year)
        if flow_run_id and survey.flow_run_id != flow_run_id:
            survey.flow_run_id = flow_run_id
        return survey.number


def _ask(session: Session, policy: Policy, survey: SurveyRound, *, step: str, label: str,
         assignee_ref: str, due_at: datetime, round: int = 1, flow_run_id: str | None = None,
         decisions: tuple[str, ...], opens_at: datetime | None = None) -> int:
    capa = _capa(session, survey, round) if step != RESULTS else None
    return request_approval(session, policy, ApprovalRequest(
        process=PROCESS, case_number=survey.number, step=step, label=label,
        assignee=resolve_assignee(assignee_ref, policy), due_at=due_at, round=round,
        decisions=decisions, context=_context(policy, survey, capa), event="survey_requested",
        opens_at=opens_at), flow_run_id).id


def request_results(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """000 D4 §6 b: 公司办公室向顾客发放顾客满意度调查表 — the organiser sends the
    questionnaire and enters the answers (``kefu survey import``) by the due time."""
    rules = rules_of(policy)
    with session_scope() as session:
        survey = get(session, number)
        due = calendar_for(policy.calendar).add(survey.opened_at, rules.results_due)
        return _ask(session, policy, survey, step=RESULTS, label="顾客满意度调查：发放并录入调查表",
                    assignee_ref=rules.organiser, due_at=due, flow_run_id=flow_run_id,
                    decisions=("approve",))


def read_answers(policy: Policy, path: Path) -> list[dict[str, int]]:
    """The questionnaire answers of a .csv (UTF-8 or GB18030, as Excel on Chinese Windows
    saves it) or .xlsx file: one row per customer, a column per aspect (its key or its name:
    service / 服务质量 …), answers 1–5; other columns (customer, remarks) are kept out."""
    rules = rules_of(policy)
    try:
        table = tables.read_table(path)
    except tables.TableError as exc:
        raise SurveyError("", str(exc)) from None
    header = {column: column_of(rules, column) for column in table[0].cells} if table else {}
    if not any(header.values()):
        names = ", ".join(f"{k} ({a.name})" for k, a in rules.aspects.items())
        raise SurveyError("", f"FILE: {path.name}: no aspect column; the columns are {names}")
    return check_answers(rules, [(row.number, {header[c]: v for c, v in row.cells.items()
                                               if header.get(c)}) for row in table])


def import_results(policy: Policy, number: str, path: Path, actor: str) -> dict:
    """Record the round's answers and their analysis (000 D4 §6 c) and close the organiser's
    task as ``actor`` (the organiser, or their delegate): all or nothing."""
    rules = rules_of(policy)
    answers = read_answers(policy, path)
    results = analyse(rules, answers)
    below = below_target(results, rules.target_percent)
    with session_scope() as session:
        survey = get(session, number)
        task = find_task(session, number, RESULTS, 1)
        if task is None or survey.imported_at is not None:
            raise SurveyError("round", f"{number} is not waiting for its results "
                                       f"({survey.status})")
        survey.results = {k: {"answers": r.answers, "satisfied": r.satisfied, "rate": r.rate}
                          for k, r in results.items()}
        survey.responses = len(answers)
        survey.target_percent = rules.target_percent
        survey.below_target = below
        survey.imported_at = now()
        survey.imported_by = actor
        events.record(session, PROCESS, number, "results_imported", actor, file=path.name,
                      responses=len(answers), below_target=below)
        decide(session, policy, task.id, actor=actor, decision="approve",
               comment=f"{len(answers)} 份调查表（{path.name}）")
        return {"round": number, "task": task.id, "responses": len(answers),
                "results": survey.results, "below_target": below,
                "target_percent": rules.target_percent}


def apply_results(policy: Policy, number: str) -> list[str]:
    """The aspects below target (each a subject of the CAPA); none: the round is done."""
    with session_scope() as session:
        survey = get(session, number)
        below = list(survey.below_target or [])
        if survey.status == "collecting":
            survey.status = "capa" if below else "met_target"
            events.record(session, PROCESS, number, "analysed", "kefu", below_target=below,
                          target_percent=survey.target_percent)
        return below


# --- 纠正预防措施 (CAPA) -------------------------------------------------------------------

def open_capa(policy: Policy, number: str, round: int, flow_run_id: str | None = None) -> int:
    """000 D4 §6 d: 由办公室组织，针对顾客满意度较低方面提出纠正预防措施 — the owner is asked
    for a plan, due ``plan_due`` after the results (a later round: after the previous
    round's verdict)."""
    rules = rules_of(policy)
    with session_scope() as session:
        survey = get(session, number)
        capa = _capa(session, survey, round)
        if capa is None:
            previous = _capa(session, survey, round - 1)
            capa = CorrectiveAction(
                survey_id=survey.id, round=round, aspects=list(survey.below_target or []),
                owner_key=resolve_assignee(rules.capa_owner, policy), status="planning",
                opened_at=now())
            session.add(capa)
            session.flush()
            events.record(session, PROCESS, number, "capa_opened", "kefu", round=round,
                          owner=capa.owner_key, aspects=capa.aspects,
                          **({"after": previous.status} if previous else {}))
        start = _round_start(session, survey, round)
        due = calendar_for(policy.calendar).add(start, rules.plan_due)
        return _ask(session, policy, survey, step=PLAN, label="制定纠正预防措施计划",
                    assignee_ref=f"person:{capa.owner_key}", due_at=due, round=round,
                    flow_run_id=flow_run_id, decisions=("approve",))


def _round_start(session: Session, survey: SurveyRound, round: int) -> datetime:
    """Where a CAPA round's time starts: the results, or the decision that ended the round
    before."""
    if round == 1:
        return survey.imported_at
    ended = [t.decided_at for t in session.scalars(select(ApprovalTask).where(
        ApprovalTask.case_number == survey.number, ApprovalTask.round == round - 1,
        ApprovalTask.step.in_((PLAN_APPROVAL, EFFECT_CHECK)), ApprovalTask.decided_at.is_not(None)))]
    return max(ended) if ended else survey.imported_at


def parse_due(policy: Policy, text: str | None) -> datetime | None:
    """The plan's due date: close of business (``calendar.workday_end``) of that day."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise SurveyError("due", f"{text!r} is not a date (write e.g. 2027-01-31)") from None
    calendar = calendar_for(policy.calendar)
    moment = datetime.combine(day, policy.calendar.workday_end, tzinfo=calendar.tz)
    if moment <= now():
        raise SurveyError("due", f"{day} has passed")
    return moment


def submit_plan(policy: Policy, number: str, actor: str, plan: str, due: str | None) -> dict:
    """The owner's plan (措施, and its due date: the action period when it names none) closes
    the owner's task; the manager is asked next. All or nothing."""
    plan = one_line(plan or "")
    if not plan:
        raise SurveyError("plan", "say what will be done (纠正预防措施)")
    if len(plan) > PLAN_LIMIT:
        raise SurveyError("plan", f"at most {PLAN_LIMIT} characters (this one has {len(plan)})")
    due_at = parse_due(policy, due)
    with session_scope() as session:
        survey = get(session, number)
        capa = session.scalar(select(CorrectiveAction).where(
            CorrectiveAction.survey_id == survey.id, CorrectiveAction.status == "planning"))
        task = capa and find_task(session, number, PLAN, capa.round)
        if task is None or task.status != "pending":
            raise SurveyError("round", f"{number} is not waiting for a corrective-action plan")
        capa.plan = plan
        capa.due_at = due_at
        decide(session, policy, task.id, actor=actor, decision="approve", comment=plan)
        return {"round": number, "capa_round": capa.round, "task": task.id,
                "due_at": capa.due_at.isoformat() if capa.due_at else None}


def apply_plan(policy: Policy, number: str, round: int, task_id: int) -> str:
    """The plan as given (in the inbox: its comment), due when it says or after the action
    period."""
    rules = rules_of(policy)
    with session_scope() as session:
        survey = get(session, number)
        capa = _capa(session, survey, round)
        task = session.get(ApprovalTask, task_id)
        if capa.status == "planning":
            capa.plan = capa.plan or task.comment or task.label
            capa.due_at = capa.due_at or calendar_for(policy.calendar).add(task.decided_at,
                                                                         rules.action_period)
            capa.status = "approval"
            events.record(session, PROCESS, number, "capa_planned", task.decided_by, round=round,
                          plan=capa.plan, due_at=capa.due_at)
        return capa.status


def request_plan_approval(policy: Policy, number: str, round: int,
                          flow_run_id: str | None = None) -> int:
    rules = rules_of(policy)
    with session_scope() as session:
        survey = get(session, number)
        plan = find_task(session, number, PLAN, round)
        due = calendar_for(policy.calendar).add(plan.decided_at, rules.plan_approval_due)
        return _ask(session, policy, survey, step=PLAN_APPROVAL, label="审批纠正预防措施计划",
                    assignee_ref=rules.plan_approver, due_at=due, round=round,
                    flow_run_id=flow_run_id, decisions=("approve", "send_back"))


def apply_plan_approval(policy: Policy, number: str, round: int, task_id: int) -> str:
    """"approved" (the plan runs until its due date) or "send_back" (a new plan, next round)."""
    with session_scope() as session:
        capa = _capa(session, get(session, number), round)
        task = session.get(ApprovalTask, task_id)
        if capa.status == "approval":
            capa.status = "acting" if task.decision == "approve" else "sent_back"
            capa.approved_at = task.decided_at if task.decision == "approve" else None
            events.record(session, PROCESS, number, f"capa_{capa.status}", task.decided_by,
                          round=round, comment=task.comment)
        return "approved" if capa.status != "sent_back" else "send_back"


def request_effect_check(policy: Policy, number: str, round: int,
                         flow_run_id: str | None = None) -> int:
    """The check of effect opens on the plan's due date (the shared scheduled request: nobody
    is asked before) and is due ``effect_check_due`` after it."""
    rules = rules_of(policy)
    with session_scope() as session:
        survey = get(session, number)
        capa = _capa(session, survey, round)
        due = calendar_for(policy.calendar).add(capa.due_at, rules.effect_check_due)
        return _ask(session, policy, survey, step=EFFECT_CHECK, label="验证纠正预防措施的效果",
                    assignee_ref=rules.effect_checker, due_at=due, round=round,
                    flow_run_id=flow_run_id, decisions=("approve", "reject"),
                    opens_at=capa.due_at)


def apply_effect_check(policy: Policy, number: str, round: int, task_id: int) -> str:
    """"effective" (approve) or "not_effective" (reject: a new plan, next round)."""
    with session_scope() as session:
        capa = _capa(session, get(session, number), round)
        task = session.get(ApprovalTask, task_id)
        if capa.status == "acting":
            capa.effective = task.decision == "approve"
            capa.checked_at = task.decided_at
            capa.status = "effective" if capa.effective else "not_effective"
            events.record(session, PROCESS, number, f"capa_{capa.status}", task.decided_by,
                          round=round, comment=task.comment)
        return capa.status


def close_round(policy: Policy, number: str) -> str:
    with session_scope() as session:
        survey = get(session, number)
        if survey.closed_at is None:
            survey.closed_at = now()
            if survey.status == "capa":
                survey.status = "closed"
            events.record(session, PROCESS, number, "closed", "kefu", status=survey.status)
        return survey.status


# --- what people read ----------------------------------------------------------------------

def survey_view(number: str) -> dict:
    """``kefu survey show``: the round, its analysis, its CAPA rounds, approvals and story."""
    from tasks.case_records import approvals, iso, story

    with session_scope() as session:
        survey = get(session, number)
        capas = list(session.scalars(select(CorrectiveAction).where(
            CorrectiveAction.survey_id == survey.id).order_by(CorrectiveAction.round)))
        return {
            "number": survey.number, "year": survey.year, "status": survey.status,
            "opened_at": iso(survey.opened_at), "imported_at": iso(survey.imported_at),
            "responses": survey.responses, "target_percent": survey.target_percent,
            "results": survey.results, "below_target": survey.below_target,
            "closed_at": iso(survey.closed_at), "flow_run_id": survey.flow_run_id,
            "capa": [{"round": c.round, "aspects": c.aspects, "owner": c.owner_key,
                      "plan": c.plan, "due_at": iso(c.due_at), "status": c.status,
                      "approved_at": iso(c.approved_at), "checked_at": iso(c.checked_at),
                      "effective": c.effective} for c in capas],
            "approvals": approvals(session, number), "events": story(session, number),
        }
