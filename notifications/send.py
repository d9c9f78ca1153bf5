"""Deliver one rendered message to one or more Apprise URLs.

Mail (``mailto://``, ``mailtos://``) goes out as plain text and HTML (notifications/mail.py),
the DingTalk, WeCom and Feishu group robots get their rich message (notifications/robots.py),
and any other Apprise URL (``json://``, an SMS gateway …) gets the plain text through Apprise.
"""

from __future__ import annotations

import logging

import apprise

from notifications.mail import is_mail, redact, send_mail
from notifications.render import plain_document
from notifications.robots import is_robot, send_robot


def deliver(urls: list[str], title: str, body: str, document: dict | None = None) -> str | None:
    """Send to every URL; None on success, else what went wrong. ``document`` is the message's
    structure (notifications/render.py); a message without one is sent as its text."""
    document = document or plain_document(title, body)
    others = [url for url in urls if not (is_mail(url) or is_robot(url))]
    errors = [_apprise(others, title, body)] if others else []
    for url in urls:
        if is_mail(url):
            errors.append(send_mail(url, title, body, document))
        elif is_robot(url):
            errors.append(send_robot(url, document))
    said = [error for error in errors if error]
    return "; ".join(said)[-500:] if said else None


def _apprise(urls: list[str], title: str, body: str) -> str | None:
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            return f"not an Apprise URL Apprise can use: {redact(url)}"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    if ok:
        return None
    return captured.getvalue().strip()[-500:] or "delivery failed"
