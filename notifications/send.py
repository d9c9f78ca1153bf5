"""Deliver one rendered message to one or more Apprise URLs."""

from __future__ import annotations

import logging

import apprise

from notifications import mail_tls

mail_tls.install()


def deliver(urls: list[str], title: str, body: str) -> str | None:
    """Send; None on success, else what Apprise said went wrong."""
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            return f"not an Apprise URL Apprise can use: {_redact(url)}"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = sender.notify(title=title, body=body)
    if ok:
        return None
    return captured.getvalue().strip()[-500:] or "delivery failed"


def _redact(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@')[-1][:60]}"
