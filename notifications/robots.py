"""Group robots (DingTalk ``dingtalk://``, WeCom ``wecombot://``, Feishu ``feishu://``) get the
platform's rich message: the case's summary and our link as a clickable link or button.

Apprise 1.13 parses the URLs (token, secret, @-mentions, verify) and knows each platform's
endpoint, but sends only plain text to WeCom and Feishu, and its DingTalk "markdown" keeps
``msgtype: text``; so the payload is built here, to each platform's documented shape, and
posted with ``requests`` as Apprise's plugins post. A platform answers HTTP 200 with its own
error code when it refuses a message (a keyword or signature mismatch), so that is checked too.
"""

from __future__ import annotations

import json

import apprise
import requests

from notifications import formats

SCHEMES = ("dingtalk", "wecombot", "feishu")
# Bytes of Markdown a platform takes (DingTalk ~20 000, WeCom 4 096); longer is cut.
MARKDOWN_LIMIT = {"dingtalk": 18000, "wecombot": 4000}
FEISHU_TEXT_LIMIT = 18000


def is_robot(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SCHEMES


def send_robot(url: str, document: dict) -> str | None:
    """Post the document's rich message to the robot of ``url``; None on success."""
    robot = apprise.Apprise.instantiate(url)
    scheme = url.split("://", 1)[0].lower()
    if robot is None or robot.secure_protocol != scheme:
        return f"not a {scheme}:// URL Apprise can parse"
    endpoint, params, payload = _REQUESTS[scheme](robot, document)
    try:
        answer = requests.post(endpoint, params=params, data=json.dumps(payload).encode(),
                               headers={"Content-Type": "application/json; charset=utf-8"},
                               verify=robot.verify_certificate, timeout=robot.request_timeout)
    except requests.RequestException as exc:
        return f"{scheme}: {type(exc).__name__}: {exc}"[:500]
    if answer.status_code != 200:
        return f"{scheme}: HTTP {answer.status_code}: {answer.text[:200]}"
    return _refusal(scheme, answer)


def dingtalk_payload(document: dict, mentions: list[str] = ()) -> dict:
    """DingTalk custom robot, ``msgtype: markdown`` (title shows in the notice; a new line
    needs a blank line)."""
    text = _markdown(document, "dingtalk", line_break="\n\n", heading="####")
    if mentions:
        text += "\n\n" + " ".join(f"@{m}" for m in mentions)
    return {"msgtype": "markdown", "markdown": {"title": document["title"], "text": text},
            "at": {"atMobiles": list(mentions), "isAtAll": False}}


def wecom_payload(document: dict) -> dict:
    """WeCom group robot, ``msgtype: markdown``."""
    return {"msgtype": "markdown",
            "markdown": {"content": _markdown(document, "wecombot", line_break="\n",
                                              heading="###")}}


def feishu_payload(document: dict) -> dict:
    """Feishu custom robot, ``msg_type: interactive``: a card whose every text is
    ``plain_text`` (nothing in it is read as Markdown), with our link as its button."""
    elements: list[dict] = []
    for block in document["blocks"]:
        text = "\n".join(formats.plain_rows(block))[:FEISHU_TEXT_LIMIT]
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": text}})
    action = formats.action(document)
    if action:
        elements.append({"tag": "action", "actions": [{
            "tag": "button", "type": "primary", "url": action["url"],
            "text": {"tag": "plain_text", "content": action["label"]}}]})
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"template": "blue",
                   "title": {"tag": "plain_text", "content": document["title"]}},
        "elements": elements}}


def _dingtalk(robot, document: dict) -> tuple[str, dict | None, dict]:
    params = None
    if robot.secret:
        timestamp, signature = robot.get_signature()
        params = {"timestamp": timestamp, "sign": signature}
    return (robot.notify_url.format(token=robot.token), params,
            dingtalk_payload(document, robot.targets))


def _wecom(robot, document: dict) -> tuple[str, None, dict]:
    return robot.api_url, None, wecom_payload(document)


def _feishu(robot, document: dict) -> tuple[str, None, dict]:
    return robot.notify_url.format(token=robot.token), None, feishu_payload(document)


_REQUESTS = {"dingtalk": _dingtalk, "wecombot": _wecom, "feishu": _feishu}


def _refusal(scheme: str, answer: requests.Response) -> str | None:
    try:
        said = answer.json()
    except ValueError:
        return None
    code = said.get("errcode", said.get("code", 0)) if isinstance(said, dict) else 0
    if code in (0, None):
        return None
    return f"{scheme}: refused ({code}): {said.get('errmsg') or said.get('msg')}"[:500]


def _markdown(document: dict, scheme: str, *, line_break: str, heading: str) -> str:
    """The document as Markdown within the platform's limit: a long text is cut, the link
    at its end never."""
    text = formats.markdown(document, line_break=line_break, heading=heading)
    link = formats.markdown_action(document)
    room = MARKDOWN_LIMIT[scheme] - len(link.encode())
    if len(text.encode()) > room:
        text = text.encode()[:room - 4].decode(errors="ignore").rstrip() + " …"
    return text + link
