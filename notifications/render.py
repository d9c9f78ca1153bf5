"""Render a message from ``templates/<event>.<locale>.j2``: blocks ``title`` and ``body``, and
an optional ``action`` (the words on the button of the message's link).

A template is plain text. Every ``{{ … }}`` in it is a *value* — a customer's name, a
complaint's text, a comment, a date — and the template is rendered once with each value
marked. From that one rendering come the plain text people read (marks removed, lines kept)
and the message's *document*: its paragraphs, its ``label：value`` lines as a table of the
case's fields, its ``a | b | c`` lines as a grid, each piece tagged as our own words, a value,
or one of our own links. notifications/formats.py makes the HTML mail and the IM robots'
rich messages from the document, escaping every value; so 16 events × 3 locales need no HTML
of their own, and nothing a customer writes can become markup or a link. Only the context's
own URLs (:data:`LINK_KEYS`: the signed decision link, the inbox, the case page, a file in
the inbox) become links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from tasks import labels
from tasks.deadlines import local_time
from tasks.text import clean, one_line

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALES = ("zh-CN", "zh-TW", "en")
# Context keys whose value is a URL of ours; no other value is ever made a link.
LINK_KEYS = ("link", "inbox_url", "case_url", "file_url")
MAX_LABEL = 32  # a field's label is a few words; a longer "…: …" line is a sentence
MAX_TITLE = 256  # the outbox's title column
_FIELD = re.compile(r"：|:(?:\s|$)")
_GRID = re.compile(r" \| |｜")

# Private-use marks around each value in the marked rendering (removed from values first).
_VALUE, _LINK, _END = "\ue000", "\ue001", "\ue002"
_MARKS = str.maketrans("", "", _VALUE + _LINK + _END)
_MARKED = re.compile(f"([{_VALUE}{_LINK}])(.*?){_END}", re.DOTALL)

Segment = list[str]  # [kind, text]; kind is "text" (the template's), "value" or "link"


class Link(str):
    """A URL of ours (a signed decision link, the inbox): the one kind of value that becomes
    a link."""


def _mark(value: Any) -> str:
    """Jinja's ``finalize``: every ``{{ … }}`` output, marked as a value or as our link."""
    text = clean(str(value)).translate(_MARKS)
    if isinstance(value, Link) and text.startswith(("https://", "http://")):
        return f"{_LINK}{text}{_END}"
    return f"{_VALUE}{text}{_END}"


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    finalize=_mark,
)


_env.filters["local"] = local_time  # the one time format for people (tasks.deadlines)


def _in_locale(label):
    """A code's words (tasks/labels.py) in the template's locale."""
    @pass_context
    def words(ctx, code, *args, **kwargs):
        return label(code, *args, locale=ctx["locale"], **kwargs)
    return words


def _from_policy(label):
    """A policy code's words (a person, a territory, a product line) in the template's locale."""
    @pass_context
    def words(ctx, code):
        policy = ctx.get("policy")
        if policy is None:  # a context without its policy (an old test's): the code itself
            return code
        return label(code, policy.organisation if label is labels.person else policy,
                     locale=ctx["locale"])
    return words


for _name in ("decision", "status", "outcome", "channel", "clock", "method", "reason"):
    _env.filters[_name] = _in_locale(getattr(labels, _name))
for _name in ("person", "territory", "product_line"):
    _env.filters[_name] = _from_policy(getattr(labels, _name))
_env.tests["todo"] = lambda task: labels.is_todo(task.allowed_decisions)


@dataclass(frozen=True)
class Message:
    """One rendered message: a one-line title, the plain text, and the document the HTML
    mail and the robots' messages are made from (JSON-ready: it is kept in the outbox)."""

    title: str
    body: str
    document: dict


def render(event: str, locale: str, context: dict) -> tuple[str, str]:
    """The (title, body) of an event's message in a locale (zh-CN when the locale has none)."""
    message = compose(event, locale, context)
    return message.title, message.body


def compose(event: str, locale: str, context: dict) -> Message:
    """The event's message in a locale (zh-CN when the locale has none), with its document."""
    chosen = locale if (TEMPLATES / f"{event}.{locale}.j2").exists() else LOCALES[0]
    template = _env.get_template(f"{event}.{chosen}.j2")
    ctx = template.new_context({**_with_links(context), "locale": chosen})
    title = _one_line_block(template, "title", ctx)[:MAX_TITLE]
    marked = "".join(template.blocks["body"](ctx)).strip()
    action = None
    if "action" in template.blocks:
        label = _one_line_block(template, "action", ctx)
        url = next((context[k] for k in LINK_KEYS if _is_url(context.get(k))), None)
        action = {"label": label, "url": url} if label and url else None
    return Message(title=title, body=marked.translate(_MARKS), document={
        "title": title, "locale": chosen, "blocks": _blocks(_lines(_segments(marked))),
        "action": action})


def plain_document(title: str, body: str, locale: str = LOCALES[0]) -> dict:
    """The document of a message stored before documents were (its text, all of it values)."""
    lines = [[["value", line]] if line.strip() else [] for line in body.split("\n")]
    return {"title": one_line(title), "locale": locale, "blocks": _blocks(lines), "action": None}


def compile_all() -> int:
    """Compile every template now (the worker's fork server does, once for all runs)."""
    return len([_env.get_template(name) for name in _env.list_templates(extensions=["j2"])])


def events() -> set[str]:
    return {p.name.split(".")[0] for p in TEMPLATES.glob("*.j2")}


def _one_line_block(template, name: str, ctx) -> str:
    """A block that must be one line (a subject, a button): whatever a value holds, its line
    breaks and control characters go."""
    return one_line("".join(template.blocks[name](ctx)).translate(_MARKS))


def _with_links(context: dict) -> dict:
    return {**context, **{k: Link(context[k]) for k in LINK_KEYS if _is_url(context.get(k))}}


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _segments(marked: str) -> list[Segment]:
    segments: list[Segment] = []
    at = 0
    for found in _MARKED.finditer(marked):
        if found.start() > at:
            segments.append(["text", marked[at:found.start()]])
        segments.append(["link" if found.group(1) == _LINK else "value", found.group(2)])
        at = found.end()
    if at < len(marked):
        segments.append(["text", marked[at:]])
    return segments


def _lines(segments: list[Segment]) -> list[list[Segment]]:
    """Lines as the template breaks them: a value's own line breaks stay inside its line."""
    lines: list[list[Segment]] = [[]]
    for kind, text in segments:
        if kind != "text":
            lines[-1].append([kind, text])
            continue
        first, *rest = text.split("\n")
        if first:
            lines[-1].append(["text", first])
        for piece in rest:
            lines.append([["text", piece]] if piece else [])
    return lines


def _blocks(lines: list[list[Segment]]) -> list[dict]:
    """Paragraphs (split at blank lines), each cut into runs of text lines, of field lines
    (two or more make a table) and of grid lines."""
    blocks: list[dict] = []
    paragraph: list[list[Segment]] = []
    for line in [*lines, []]:
        if any(text.strip() for _, text in line):
            paragraph.append(line)
        elif paragraph:
            blocks.extend(_runs(paragraph))
            paragraph = []
    return blocks


def _runs(paragraph: list[list[Segment]]) -> list[dict]:
    runs: list[tuple[str, list, list]] = []  # (kind, rows, the lines as written)
    for line in paragraph:
        kind, row = _classify(line)
        last = runs[-1] if runs else None
        if last and last[0] == kind and (kind != "grid" or len(last[1][0]) == len(row)):
            last[1].append(row)
            last[2].append(line)
        else:
            runs.append((kind, [row], [line]))
    blocks: list[dict] = []
    for kind, rows, written in runs:
        if kind != "lines" and len(rows) < 2:  # a lone field or grid line reads as a line
            kind, rows = "lines", written
        if blocks and blocks[-1]["kind"] == kind == "lines":
            blocks[-1]["rows"].extend(rows)
        else:
            blocks.append({"kind": kind, "rows": rows})
    return blocks


def _classify(line: list[Segment]) -> tuple[str, Any]:
    field = _field(line)
    if field:
        return "fields", field
    cells = _cells(line)
    if len(cells) > 1:
        return "grid", cells
    return "lines", line


def _field(line: list[Segment]) -> list | None:
    """``label：value`` where the label is our own words: [label, separator, value segments]."""
    kind, text = line[0]
    found = _FIELD.search(text) if kind == "text" else None
    if not found:
        return None
    label = text[:found.start()].strip()
    rest = [["text", text[found.end():].lstrip()], *line[1:]]
    rest = [segment for segment in rest if segment[1]]
    if not label or len(label) > MAX_LABEL or not any(t.strip() for _, t in rest):
        return None
    return [label, found.group(0), rest]


def _cells(line: list[Segment]) -> list[list[Segment]]:
    cells: list[list[Segment]] = [[]]
    for kind, text in line:
        if kind != "text":
            cells[-1].append([kind, text])
            continue
        first, *rest = _GRID.split(text)
        if first.strip():
            cells[-1].append(["text", first.strip()])
        for piece in rest:
            cells.append([["text", piece.strip()]] if piece.strip() else [])
    return cells
