"""The outbox delivers through Apprise: mail to a real SMTP server, a json:// webhook to a
local HTTP receiver, and retries until a server that was down comes back — once each."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from conftest import Mailbox, free_port, wait_for
from sqlalchemy import select

from models import Notification
from models.db import session_scope
from models.migrate import upgrade
from tasks.notify import dispatch_pending, enqueue


@pytest.fixture()
def outbox_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.delenv("KEFU_NOW", raising=False)
    upgrade(url)
    return url


def _enqueue(key: str, addresses: list[str]) -> int:
    from types import SimpleNamespace

    with session_scope() as session:
        row = enqueue(session, key=key, process="complaint", case_number="TS-2026-000042",
                      event="superior_informed", recipient="liu.quality", addresses=addresses,
                      locale="en", context=_context(SimpleNamespace))
        return row.id


def _context(ns) -> dict:
    from datetime import UTC, datetime

    from policy.load import load_policy

    policy = load_policy()
    complaint = ns(number="TS-2026-000042", content="The wine tastes sour", channel="phone",
                   received_at=datetime(2026, 11, 23, 2, tzinfo=UTC), resolution=None,
                   upheld=None, procedure=None, important=False)
    org = policy.organisation
    return {"complaint": complaint, "category": policy.complaint.category("quality"),
            "department": org.department("quality"), "handler": org.person("chen.qe"),
            "recipient": org.person("liu.quality"), "policy": policy, "tz": "Asia/Shanghai"}


def _row(row_id: int) -> Notification:
    with session_scope() as session:
        return session.get(Notification, row_id)


def test_a_json_webhook_receives_the_message_once(outbox_db):
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        row_id = _enqueue("k:webhook", [f"json://127.0.0.1:{server.server_port}/dingtalk-hook"])
        assert dispatch_pending()["sent"] == 1
        assert dispatch_pending() == {"sent": 0, "failed": 0}
    finally:
        server.shutdown()
    assert len(received) == 1
    assert received[0]["path"] == "/dingtalk-hook"
    assert "TS-2026-000042" in received[0]["json"]["title"]
    assert "TS-2026-000042" in received[0]["json"]["message"]
    assert _row(row_id).status == "sent"


def test_mail_waits_for_a_down_smtp_server_and_is_delivered_once(outbox_db):
    port = free_port()
    url = f"mailto://127.0.0.1:{port}?from=kefu@test.example&mode=insecure&to=liu@test.example"
    row_id = _enqueue("k:mail", [url])

    assert dispatch_pending() == {"sent": 0, "failed": 1}      # nothing listens on the port
    failed = _row(row_id)
    assert (failed.status, failed.attempts) == ("failed", 1) and failed.last_error
    assert dispatch_pending() == {"sent": 0, "failed": 0}      # backing off, not hammering

    box = Mailbox(port=port)
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        assert dispatch_pending(ignore_backoff=True) == {"sent": 1, "failed": 0}
        assert dispatch_pending(ignore_backoff=True) == {"sent": 0, "failed": 0}
        wait_for(lambda: box.messages, what="the mail")
    finally:
        smtp.stop()
    assert len(box.messages) == 1 and box.messages[0]["to"] == ["liu@test.example"]
    assert (_row(row_id).status, _row(row_id).attempts) == ("sent", 2)


def test_the_same_idempotency_key_is_queued_once(outbox_db):
    first = _enqueue("k:same", ["json://127.0.0.1:9/x"])
    with session_scope() as session:
        again = enqueue(session, key="k:same", process="complaint", case_number="TS-2026-000042",
                        event="superior_informed", recipient="liu.quality",
                        addresses=["json://127.0.0.1:9/x"], locale="en", context={})
        assert again is None
        assert len(session.scalars(select(Notification)).all()) == 1
    assert first
