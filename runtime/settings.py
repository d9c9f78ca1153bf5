"""Prefect settings kefu runs with. Call :func:`configure` before Prefect is imported."""

from __future__ import annotations

import os

from models.db import data_dir

DEFAULT_API = "http://127.0.0.1:4200/api"


def configure() -> None:
    """Point Prefect at the local server (never the slow, lock-prone ephemeral mode) and keep
    its home inside kefu's data directory. Values already in the environment win."""
    home = data_dir() / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": os.environ.get("KEFU_PREFECT_API_URL", DEFAULT_API),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # A resumed case is picked up within a second instead of ten.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def api_url() -> str:
    configure()
    return os.environ["PREFECT_API_URL"]
