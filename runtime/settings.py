"""Prefect settings kefu runs with. Call :func:`configure` before Prefect is imported."""

from __future__ import annotations

import os
import ssl
from functools import lru_cache

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
        # Prefect's client telemetry: no usage notice in a kefu user's terminal and nothing
        # sent to Prefect about the company's machines, even against a server that allows it.
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # A resumed case is picked up within a second instead of ten.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
        # Prefect's client asks the server for a CSRF token with every new client (~4 extra
        # requests per run segment) unless told the server does not check them; it checks
        # them only with PREFECT_SERVER_CSRF_PROTECTION_ENABLED, which this follows.
        "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": os.environ.get(
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED", "false"),
    }
    auth = os.environ.get("KEFU_PREFECT_AUTH")
    if auth:  # "user:password": Prefect's basic auth, for kefu's clients and the server it starts
        defaults["PREFECT_API_AUTH_STRING"] = auth
        defaults["PREFECT_SERVER_API_AUTH_STRING"] = auth
    defaults.update(server_env(defaults["PREFECT_API_URL"]))
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def server_env(api: str) -> dict[str, str]:
    """Settings of a Prefect server kefu starts for the API at ``api``.

    Prefect answers ``Access-Control-Allow-Origin: *`` by default, so any web page an
    employee's browser opens could call the local API (read cases, resume runs). kefu's server
    allows only its own origin, the one its UI is served from."""
    from urllib.parse import urlparse

    parsed = urlparse(api)
    return {"PREFECT_SERVER_CORS_ALLOWED_ORIGINS": f"{parsed.scheme}://{parsed.netloc}",
            **TASK_RUN_RECORDER}


# Prefect's server records each task run's state events one transaction per event by default
# (batch size 1): ~10 ms of the server's CPU per task run on SQLite, two thirds of what a task
# run costs it. Up to 50 events share one transaction here, written at least every second: a
# step shows on the dashboard within a second; measured with 200 no-op task runs on one server,
# 13.6 → 4.2 ms of server CPU per task run (issue 20 §5). Prefect reads the interval as whole
# seconds.
TASK_RUN_RECORDER = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


def prefect_database_url() -> str | None:
    """Prefect's own database for the server kefu starts (KEFU_PREFECT_DATABASE_URL): the
    production setting is PostgreSQL (Prefect's answer to its SQLite write lock, issue 20);
    unset, Prefect keeps SQLite under its home. Any PostgreSQL URL is given Prefect's driver
    (asyncpg); another scheme is refused in one line (``kefu server start``)."""
    url = os.environ.get("KEFU_PREFECT_DATABASE_URL", "").strip()
    if not url:
        return None
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError("KEFU_PREFECT_DATABASE_URL: expected a PostgreSQL URL "
                         "(postgresql://user@host:5432/prefect)")
    return f"postgresql+asyncpg://{rest}"


def api_url() -> str:
    configure()
    return os.environ["PREFECT_API_URL"]


def run_url(flow_run_id: str) -> str:
    """The flow run's page on the Prefect dashboard (the server's UI beside its API)."""
    return f"{api_url().removesuffix('/api')}/runs/flow-run/{flow_run_id}"


@lru_cache(maxsize=1)
def api_tls_context() -> ssl.SSLContext:
    """The TLS context Prefect's client would build for the API, built once per process.

    Prefect builds a new one for every client it opens, and loading the CA bundle is most of
    what opening a client costs (~20 ms). Same rules as Prefect 3.8's client:
    ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY``, else ``PREFECT_API_SSL_CERT_FILE`` or certifi's
    bundle — read from the environment, where kefu sets Prefect's settings (importing Prefect's
    settings module imports all of Prefect: most of a second for a command filing a case)."""
    import certifi

    skip = os.environ.get("PREFECT_API_TLS_INSECURE_SKIP_VERIFY", "").strip().lower()
    if skip in ("1", "true", "yes", "on"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = os.environ.get("PREFECT_API_SSL_CERT_FILE") or certifi.where()
    return ssl.create_default_context(cafile=cafile)
