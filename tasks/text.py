"""Text from outside (customers, approvers, files) made safe and comparable.

One place for: Simplified/Traditional folding before keyword matching, and stripping the
control and bidirectional-override characters that let a comment display as another word.
"""

from __future__ import annotations

import re
from functools import lru_cache

# C0/C1 controls except tab and newline, and the Unicode bidi controls (U+202A–U+202E,
# U+2066–U+2069, U+200E/U+200F, U+061C): a U+202E inside a comment makes it read backwards.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in Simplified Chinese (OpenCC t2s), so one keyword list in Simplified also
    matches a complaint written in Traditional (Taiwan/Hong Kong customers, old forms)."""
    return _t2s().convert(text) if text else text


def clean(text: str) -> str:
    """Free text as it is stored: control and bidi characters removed, lines kept."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """Text for a place that holds one line (a subject, a table cell, a log field)."""
    return _LINE_BREAKS.sub(" ", clean(text)).strip()


def lines(text: str) -> list[str]:
    """Free text's lines, cleaned; every kind of line break (CR, LF, U+2028, NEL) ends one."""
    return [_CONTROLS.sub("", line) for line in re.split(r"\r\n|[\r\n\u2028\u2029\x85]", text)]


def one_line_marked(text: str) -> str:
    """Several lines in a place that holds one (a table cell), each break shown as ``↵`` so a
    comment written on three lines still reads as three."""
    return " ↵ ".join(line.strip() for line in lines(text) if line.strip())
