"""Reading an incoming mail as Chinese mail clients send it: the sender, the subject and the
text, whatever the charset and transfer encoding.

Foxmail, Outlook on a Chinese Windows and the webmail of 163/QQ label mail ``gb2312`` or
``gbk`` and then use characters only GB18030 has (生僻字 in names, ￥, ·), send headers as raw
GBK bytes, or send HTML only. GB2312 and GBK are read as GB18030 (a superset of both); a part
that is not what its label says is read as UTF-8, else GB18030, never dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# The labels Chinese clients use for what is GB18030 or a subset of it.
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "euc-cn", "csgb2312", "x-euc-cn",
       "chinese", "gb18030"}
MAX_MESSAGE_ID = 255


@dataclass(frozen=True)
class IncomingMail:
    """One mail as a person reads it."""

    message_id: str
    sender_name: str
    sender_address: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    # An auto-reply, a bounce or a list mail (RFC 3834 Auto-Submitted, a null Return-Path).
    automatic: bool


def read_mail(raw: bytes) -> IncomingMail:
    """The sender, recipients, subject and text of an RFC 5322 message."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    name, address = parseaddr(_raw_header(message, "From"))
    recipients = tuple(a.lower() for _, a in getaddresses(
        [_raw_header(message, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]) if a)
    auto = _raw_header(message, "Auto-Submitted").strip().lower()
    return IncomingMail(
        message_id=message_id(message, raw),
        sender_name=decode_words(name).strip(),
        sender_address=address.strip(),
        recipients=recipients,
        subject=" ".join(decode_words(_raw_header(message, "Subject")).split()),
        text=body_text(message),
        automatic=(auto not in ("", "no")) or _raw_header(message, "Return-Path").strip() == "<>"
        or bool(_raw_header(message, "List-Id")),
    )


def message_id(message: Message, raw: bytes) -> str:
    """The Message-ID, or — for the rare mail without one — a digest of the whole mail, so
    the same mail read twice has the same key. Longer than a column holds: its digest."""
    found = _raw_header(message, "Message-ID").strip()
    if not found:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(found) > MAX_MESSAGE_ID:
        return "sha256:" + hashlib.sha256(found.encode("utf-8", "surrogateescape")).hexdigest()
    return found


def decode_words(value: str | Header) -> str:
    """An RFC 2047 header (``=?GB2312?B?…?=``), or raw 8-bit bytes, as text."""
    text = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, str):  # no encoded words: may still carry raw 8-bit bytes
            chunk = chunk.encode("utf-8", "surrogateescape")
        text.append(decode_bytes(chunk, charset))
    return "".join(text)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in the charset they claim, read as GB18030 where that is GBK or GB2312; when the
    claim is wrong or missing, UTF-8, then GB18030."""
    label = (charset or "").strip().lower()
    tries = ["gb18030" if label in _GB else label] if label else []
    for codec in (*tries, "utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def body_text(message: Message) -> str:
    """The first plain-text part that is not an attachment, else the first HTML part as text."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _part_text(part)
        elif kind == "text/html" and html is None:
            html = _part_text(part)
    if plain and plain.strip():
        return _tidy(plain)
    return _tidy(html_to_text(html)) if html else ""


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""  # quoted-printable and base64 undone
    return decode_bytes(payload, part.get_content_charset() or _meta_charset(payload))


def _meta_charset(payload: bytes) -> str | None:
    found = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", payload[:4096], re.I)
    return found.group(1).decode("ascii") if found else None


def _raw_header(message: Message, name: str) -> str:
    """The header as sent; raw 8-bit bytes (a GBK name in From) already read as text."""
    values = message.get_all(name) or []
    return ", ".join(v if isinstance(v, str) else decode_words(v) for v in values)


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextOfHtml(HTMLParser):
    _BLOCKS = {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "pre", "hr", "section", "article", "ul", "ol"}
    _HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.written = False  # any text yet
        self.newlines = 0     # line ends since the last text

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self._break(2 if tag == "p" else 1)
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self._break(2 if tag == "p" else 1)

    def _break(self, lines: int) -> None:
        """End the line (a paragraph: and leave a blank one); nested blocks add no more."""
        if self.written and self.newlines < lines:
            self.parts.append("\n" * (lines - self.newlines))
            self.newlines = lines

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)  # in HTML a line break in the source is a space
        if self.hidden or not text.strip():
            if text and self.written and not self.newlines:  # the space between two words
                self.parts.append(" ")
            return
        self.parts.append(text)
        self.written, self.newlines = True, 0


def html_to_text(html: str) -> str:
    """An HTML-only mail as the lines a person reads in it (no tags, scripts or styles)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts))
