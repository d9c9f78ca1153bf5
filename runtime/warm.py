"""Imported by the worker's fork server before it forks any flow-run process
(``runtime/worker.py``): what each run would otherwise load on its first steps is loaded once
and inherited by every run. Measured with cProfile in a forked run, these cost ~0.45 s of its
first segment: Apprise's plugin index (~0.18 s), lazy imports, the policy file, the message
templates, the ORM's mapper configuration and database driver, Prefect's task engine and the
TLS contexts of the API client and of secured mail; then it rehearses a complaint, rolled back,
so the statements every step runs are compiled once for all runs (``runtime/rehearsal.py``).

The rehearsal's one database connection is closed, and the pool emptied, before this module
returns: a connection must never cross a fork.
"""

from __future__ import annotations

import apprise
import chinese_calendar  # noqa: F401  (the working-day calendar of every deadline)
import prefect.task_engine  # noqa: F401  (Prefect imports it on a run's first step)
import prefect.utilities.visualization  # noqa: F401  (Prefect 3.8 imports it, and graphviz, in every task call: ~46 ms on a run's first step)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import configure_mappers

import models  # noqa: F401  (every table, so the mappers below are complete)
from models.db import database_url
from notifications.mail_tls import verifying_context
from notifications.render import compile_all
from policy.load import PolicyError, load_policy
from runtime import prefect_tuning
from runtime.rehearsal import rehearse
from runtime.settings import api_tls_context


def warm() -> None:
    prefect_tuning.apply()
    prefect_tuning.ask_once_per_worker()
    prefect_tuning.build_settings_once()
    # Apprise indexes its notification plugins on the first URL it parses.
    apprise.Apprise().add("json://127.0.0.1")
    api_tls_context()
    verifying_context()  # secured mail (STARTTLS/SSL) verifies against it
    compile_all()
    configure_mappers()
    make_url(database_url()).get_dialect()  # imports the driver; connects nothing
    try:
        policy = load_policy()
    except PolicyError:  # the run itself reports a broken policy, naming the key
        return
    rehearse(policy)  # last: it fills the statement cache and leaves no connection open


warm()
