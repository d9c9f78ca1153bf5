"""The flow run of a development project: started like a complaint's (runtime/runs.py)."""

from __future__ import annotations

from sqlalchemy import select

from models import Prospect
from models.db import session_scope
from runtime.runs import PrefectUnavailable, run_deployment

DEPLOYMENT = "new-customer/new-customer"


def start_prospect_run(number: str) -> str:
    """Create the project's flow run (one per project) and remember its id."""
    from prefect.exceptions import ObjectNotFound

    with session_scope() as session:
        uid = session.scalar(select(Prospect.uid).where(Prospect.number == number))
    try:
        run = run_deployment(DEPLOYMENT, parameters={"number": number}, timeout=0,
                             flow_run_name=f"prospect {number}", tags=["process:new_customer"],
                             idempotency_key=f"prospect:{uid}")
    except ObjectNotFound:
        raise PrefectUnavailable(f"deployment {DEPLOYMENT!r} is not registered: start "
                                 f"`kefu worker`") from None
    except Exception as exc:  # httpx errors, server down
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
    with session_scope() as session:
        session.scalar(select(Prospect).where(Prospect.number == number)).flow_run_id = str(run.id)
    return str(run.id)


def start_reward_run(year: int) -> str:
    """The year-end reward proposal's flow run (one per year)."""
    from prefect.exceptions import ObjectNotFound

    name = "new-customer-reward/new-customer-reward"
    try:
        run = run_deployment(name, parameters={"year": year}, timeout=0,
                             flow_run_name=f"new-customer reward {year}",
                             tags=["process:new_customer"], idempotency_key=f"reward:{year}")
    except ObjectNotFound:
        raise PrefectUnavailable(f"deployment {name!r} is not registered: start `kefu worker`") from None
    except Exception as exc:  # httpx errors, server down
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
    return str(run.id)


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
