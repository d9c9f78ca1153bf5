"""The flow run of a satisfaction survey round (runtime/runs.py starts every process's runs)."""

from __future__ import annotations

from sqlalchemy import select

from models import SurveyRound
from models.db import session_scope
from runtime.runs import start_case_run

DEPLOYMENT = "survey/survey"


def start_survey_run(number: str) -> str:
    """Create the round's flow run (one per round; the schedule's run of the same year finds
    the round open and works on it)."""
    with session_scope() as session:
        survey = session.scalar(select(SurveyRound).where(SurveyRound.number == number))
        uid, year = survey.uid, survey.year
    run_id = start_case_run(DEPLOYMENT, {"year": year}, f"survey {year}", f"survey:{uid}",
                            tags=["process:survey"])
    with session_scope() as session:
        session.scalar(select(SurveyRound).where(SurveyRound.number == number)).flow_run_id = run_id
    return run_id


def start_missing_runs() -> dict[str, int]:
    """Start the runs of rounds opened while Prefect (or the worker) was down."""
    from runtime.runs import PrefectUnavailable

    counts = {"started": 0, "failed": 0}
    with session_scope() as session:
        numbers = list(session.scalars(select(SurveyRound.number).where(
            SurveyRound.flow_run_id.is_(None), SurveyRound.closed_at.is_(None))))
    for number in numbers:
        try:
            start_survey_run(number)
            counts["started"] += 1
        except PrefectUnavailable:
            counts["failed"] += 1
    return counts
