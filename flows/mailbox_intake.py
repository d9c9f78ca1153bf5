"""The complaints mailbox as a scheduled flow (prefect.yaml ``mailbox``: every 5 minutes once
an admin resumes it; KEFU_MAILBOX_URL in the worker's environment)."""

from __future__ import annotations

import os

from prefect import flow, get_run_logger

from policy.load import load_policy
from runtime.leases import record_run_process
from tasks.complaint.mail_intake import poll
from tasks.imap import mailbox_address


@flow(name="mailbox-intake", persist_result=False, on_running=[record_run_process])
def mailbox_intake() -> dict:
    """File each new mail of the complaints mailbox as a written complaint (书面投诉)."""
    logger = get_run_logger()
    url = os.environ.get("KEFU_MAILBOX_URL", "").strip()
    if not url:
        logger.warning("KEFU_MAILBOX_URL is not set in the worker's environment: no mailbox to poll")
        return {"filed": [], "not_filed": []}
    address = mailbox_address(url)
    outcomes = poll(load_policy(), address)
    filed = [o.number for o in outcomes if o.number]
    not_filed = [f"{o.message_id} ({o.sender}): {o.reason}" for o in outcomes if not o.number]
    for line in not_filed:
        logger.warning("not filed: %s; recorded, not tried again", line)
    logger.info("%s: %d new mail(s), filed %s", address, len(outcomes), ", ".join(filed) or "none")
    return {"filed": filed, "not_filed": not_filed}
