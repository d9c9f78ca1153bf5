"""Prefect's REST API called directly, for the few calls a short command makes (start a case's
run, resume a waiting one): importing Prefect's client costs a command most of a second, the
calls themselves milliseconds. The same URL, credentials (basic auth string or API key) and TLS
settings as Prefect's client, and its habit of trying again while the server answers 503/429
(the server's SQLite is busy)."""

from __future__ import annotations

import base64
import os
import time

import httpx

from runtime.settings import api_tls_context, api_url

BUSY = (429, 503)


def prefect_headers() -> dict[str, str]:
    """The headers Prefect's client sends: its auth string (basic) or API key (bearer)."""
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    key = os.environ.get("PREFECT_API_KEY")
    if auth:
        return {"Authorization": f"Basic {base64.b64encode(auth.encode()).decode()}"}
    return {"Authorization": f"Bearer {key}"} if key else {}


def prefect_http(timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(base_url=api_url(), headers=prefect_headers(), verify=api_tls_context(),
                        timeout=timeout)


def call(http: httpx.Client, method: str, path: str, patience: float = 30.0,
         **kwargs) -> httpx.Response:
    """One request, tried again with a growing pause (50 ms → 1 s) while the server answers
    503 or 429, for up to ``patience`` seconds; the last answer is returned as it is."""
    deadline = time.monotonic() + patience
    pause = 0.05
    while True:
        response = http.request(method, path, **kwargs)
        if response.status_code not in BUSY or time.monotonic() + pause > deadline:
            return response
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
