"""Text from a case made inert inside Markdown.

The Prefect dashboard renders every markdown artifact, and every string cell of a table
artifact, with prefect-design's ``PMarkdownRenderer`` (marked's lexer): links of any scheme
(``javascript:``, ``data:``), remote images, and raw HTML through DOMPurify, which lets
``<input>``, ``<a href>`` and forms' look-alikes through. So what a customer wrote, an
approver's comment, a name or a person key goes into a card only through these functions:
the Markdown of a card (headings, tables, bold labels) is what the code writes around them,
never what a case holds. Control and bidi characters go first (``tasks.text``).

``MARKDOWN`` and ``TERMINAL`` are the two ways a card writes a case's values: escaped for the
dashboard, and plain (one line per field, no line of its own) for ``kefu … show``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tasks.text import lines, one_line, one_line_marked

# Backslash-escaped wherever they stand: emphasis, code, links and images ([ ] ( ) !),
# headings, lists, block quotes, tables, strikethrough, setext underlines, attribute braces;
# ':' and '@' so no bare autolink (http:, javascript:, data:, mailto:, e-mail) is recognised.
_PUNCTUATION = re.compile(r"[\\`*_\[\](){}#+\-!|~=:@]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_CHARS = re.compile(r"[&<>]")
_WWW = re.compile(r"(?i)(www)\.")  # GFM's www. autolink
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])")  # "1." starts an ordered list


def _escaped(line: str) -> str:
    line = _PUNCTUATION.sub(lambda m: "\\" + m.group(0), line)
    line = _HTML_CHARS.sub(lambda m: _HTML[m.group(0)], line)
    line = _WWW.sub(r"\1\\.", line)
    return _ORDERED_MARKER.sub(r"\1\\\2", line)


def _str(value: object) -> str:
    return "" if value is None else str(value)


def text(value: object) -> str:
    """A value on one line of a Markdown paragraph, heading or list item: line breaks become
    spaces, every Markdown and HTML character is literal."""
    return _escaped(one_line(_str(value)))


def cell(value: object) -> str:
    """A value inside a Markdown table cell: its line breaks shown as ``↵`` (a real one would
    end the row), ``|`` literal like every other Markdown and HTML character."""
    return _escaped(one_line_marked(_str(value)))


def quote(value: object) -> list[str]:
    """Several lines (a complaint's content) as a Markdown block quote, one ``> `` line each;
    no line can start a heading, list, table or code block of its own."""
    return [f"> {_escaped(line.strip())}".rstrip() for line in lines(_str(value))]


def table(rows: list[dict]) -> list[dict]:
    """Rows for a table artifact: Prefect's UI renders each string cell as Markdown."""
    return [{key: cell(value) if isinstance(value, str) else value for key, value in row.items()}
            for row in rows]


def _terminal_cell(value: object) -> str:
    return one_line_marked(_str(value)).replace("|", "\\|")


def _terminal_quote(value: object) -> list[str]:
    return [f"> {line.strip()}".rstrip() for line in lines(_str(value))]


@dataclass(frozen=True)
class CardWriter:
    """How a card writes a case's values: ``text`` inside a line, ``cell`` inside a table row,
    ``quote`` for a block of several lines."""

    text: Callable[[object], str]
    cell: Callable[[object], str]
    quote: Callable[[object], list[str]]


MARKDOWN = CardWriter(text=text, cell=cell, quote=quote)
# ``kefu … show`` in a terminal: nothing is rendered, so nothing is escaped but a table's
# '|'; a value still can't print a line of its own or carry a bidi override.
TERMINAL = CardWriter(text=lambda value: one_line(_str(value)), cell=_terminal_cell,
                      quote=_terminal_quote)


# issue 21 §5: a card whose open deadlines fall in a year the calendar only estimates says so.
_CALENDAR_NOTICE = {
    "estimate": "{year} 年的节假日为估算（python-holidays 的规则，不含调休），本案在该年的期限可能不准",
    "weekends": "{year} 年没有节假日数据，只按周末计算，本案在该年的期限可能不准",
}


def calendar_notice(years: list[dict], w: CardWriter) -> list[str]:
    """The card's lines for ``tasks.deadlines.uncertain_years``: one per year, then a blank
    line; none when every year of the case's open deadlines is known."""
    notices = []
    for entry in years:
        kind = "estimate" if entry["source"].startswith("estimate") else "weekends"
        year = int(entry["year"])
        notices.append(f"**日历提示** {w.text(_CALENDAR_NOTICE[kind].format(year=year))}；"
                       f"请管理员在政策文件 calendar.years.{year} 中录入国务院公布的放假安排。  ")
    return [*notices, ""] if notices else []
