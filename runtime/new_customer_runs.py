"""The flow run of a development project: started like a complaint's (runtime/runs.py)."""

from __future__ import annotations

from sqlalchemy import select

from models import Prospect
from models.db import session_scope
from runtime.runs import PrefectUnavailable, start_case_run

DEPLOYMENT = "new-customer/new-customer"


def start_prospect_run(number: str) -> str:
    """Create the project's flow run (one per project) and remember its id."""
    with session_scope() as session:
        uid = session.scalar(select(Prospect.uid).where(Prospect.number == number))
    run_id = start_case_run(DEPLOYMENT, {"number": number}, f"prospect {number}",
                            f"prospect:{uid}", tags=["process:new_customer"])
    with session_scope() as session:
        session.scalar(select(Prospect).where(Prospect.number == number)).flow_run_id = run_id
    return run_id


def cancel_prospect_run(run_id: str, why: str) -> None:
    """End a withdrawn project's waiting run as Cancelled, saying why (its questions were
    withdrawn, so no decision will ever resume it)."""
    import asyncio

    from prefect import get_client
    from prefect.states import Cancelled

    async def cancel() -> None:
        async with get_client() as client:
            await client.set_flow_run_state(run_id, Cancelled(message=why), force=True)

    try:
        asyncio.run(cancel())
    except Exception as exc:  # httpx errors, server down
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc


def start_reward_run(year: int) -> str:
    """The year-end reward proposal's flow run (one per year)."""
    return start_case_run("new-customer-reward/new-customer-reward", {"year": year},
                          f"new-customer reward {year}", f"reward:{year}",
                          tags=["process:new_customer"])


def start_missing_runs() -> dict[str, int]:
    """Start the runs of open projects stored while Prefect (or the worker) was down."""
    from models.prospect import ENDED

    counts = {"started": 0, "failed": 0}
    with session_scope() as session:
        numbers = list(session.scalars(select(Prospect.number).where(
            Prospect.flow_run_id.is_(None), Prospect.status.not_in(ENDED))))
    for number in numbers:
        try:
            start_prospect_run(number)
            counts["started"] += 1
        except PrefectUnavailable:
            counts["failed"] += 1
    return counts
