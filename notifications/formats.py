"""A message's document (notifications/render.py) in each medium: the HTML part of a mail, the
Markdown of a DingTalk or WeCom group robot, the elements of a Feishu card.

Every piece of text is escaped for its medium; a link is made only of the document's links
(our decision link, inbox, case page: render.LINK_KEYS) and of its action, and only of http(s) URLs.
"""

from __future__ import annotations

import re

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from notifications.render import TEMPLATES

_html = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_html.filters["breaks"] = lambda text: Markup("<br>\n").join(escape(t) for t in text.split("\n"))

# Markdown syntax that makes links, emphasis, headings or code, backslash-escaped (CommonMark
# §2.4); < > & as entities: a comment such as [请点此批准](http://evil) or <a href=…> stays
# text.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]#])")
_MARKDOWN_ENTITIES = str.maketrans({"<": "&lt;", ">": "&gt;", "&": "&amp;"})


def html(document: dict) -> str:
    """The HTML part of the mail: paragraphs, a table of the case's fields, the action's
    button."""
    return _html.get_template("_mail.html").render(document=_safe(document))


def markdown(document: dict, line_break: str = "\n", heading: str = "###") -> str:
    """Markdown for a group robot, without the action (:func:`markdown_action`);
    ``line_break`` is what the platform shows as a new line (DingTalk needs a blank line,
    WeCom takes one newline)."""
    document = _safe(document)
    paragraphs = [f"{heading} {_md_text(document['title'])}"]
    for block in document["blocks"]:
        paragraphs.append(line_break.join(_md_rows(block, line_break)))
    return "\n\n".join(paragraphs)


def markdown_action(document: dict) -> str:
    """The action as a Markdown link (to follow :func:`markdown`), or ""."""
    chosen = action(document)
    return f"\n\n**[{_md_text(chosen['label'])}]({chosen['url']})**" if chosen else ""


def plain_rows(block: dict) -> list[str]:
    """A block's lines as plain text (for a platform's plain-text elements)."""
    if block["kind"] == "fields":
        return [f"{label}{separator}{_plain(value)}" for label, separator, value in block["rows"]]
    if block["kind"] == "grid":
        return [" | ".join(_plain(cell) for cell in row) for row in block["rows"]]
    return [_plain(line) for line in block["rows"]]


def action(document: dict) -> dict | None:
    """The document's action ({label, url}) when its URL is one a link may be made of."""
    return _safe(document)["action"]


def _md_rows(block: dict, line_break: str) -> list[str]:
    if block["kind"] == "fields":
        return [f"**{_md_text(label)}**{separator}{_md(value, line_break)}"
                for label, separator, value in block["rows"]]
    if block["kind"] == "grid":
        return [" ｜ ".join(_md(cell, line_break) for cell in row) for row in block["rows"]]
    return [_md(line, line_break) for line in block["rows"]]


def _md(segments: list, line_break: str) -> str:
    return "".join(f"[{_md_text(text)}]({text})" if kind == "link" else
                   line_break.join(_md_text(part) for part in text.split("\n"))
                   for kind, text in segments)


def _md_text(text: str) -> str:
    return _MARKDOWN_SYNTAX.sub(r"\\\1", text.translate(_MARKDOWN_ENTITIES))


def _plain(segments: list) -> str:
    return "".join(text for _, text in segments)


def _is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("https://", "http://")) and not any(
        c.isspace() or c in "\"'<>`()" for c in text)


def _safe(document: dict) -> dict:
    """The document with any link or action whose URL is not a plain http(s) URL demoted to
    text (documents come back from the database)."""
    def pieces(segments: list) -> list:
        return [["value", text] if kind == "link" and not _is_url(text) else [kind, text]
                for kind, text in segments]

    def rows(block: dict) -> list:
        if block["kind"] == "fields":
            return [[label, separator, pieces(value)] for label, separator, value in block["rows"]]
        if block["kind"] == "grid":
            return [[pieces(cell) for cell in row] for row in block["rows"]]
        return [pieces(line) for line in block["rows"]]

    chosen = document.get("action")
    return {**document, "blocks": [{**b, "rows": rows(b)} for b in document["blocks"]],
            "action": chosen if chosen and _is_url(chosen.get("url")) else None}
