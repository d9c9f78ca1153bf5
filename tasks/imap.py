"""Reading a mailbox over IMAP: the mails whose Message-ID the caller has not seen yet.

The mailbox is opened read-only and every fetch is a ``BODY.PEEK``: polling changes nothing
people see in their mail client (no flag set, nothing moved). Each poll reads the
Message-IDs of the whole folder, then fetches only the mails not seen before.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from urllib.parse import parse_qs, unquote, urlsplit

from notifications.mail_tls import context_for

TIMEOUT = 30.0
_UID = re.compile(rb"UID (\d+)")


class MailboxError(ConnectionError):
    """The mailbox cannot be read (unreachable, login refused, certificate not trusted)."""


@dataclass(frozen=True)
class MailboxAddress:
    """``imaps://user:password@host:port/INBOX`` (``imap://`` unencrypted, for a server on
    the same machine; ``?verify=no`` accepts any certificate)."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    verify: bool = True

    def __str__(self) -> str:  # never the password
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_address(url: str, name: str = "KEFU_MAILBOX_URL") -> MailboxAddress:
    """Read a mailbox URL; a bad one raises ValueError naming ``name`` and what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(f"{name}: {parts.scheme or url!r} is not imap:// or imaps://")
    if not parts.hostname:
        raise ValueError(f"{name}: no host (imaps://user:password@host:993/INBOX)")
    if not parts.username or parts.password is None:
        raise ValueError(f"{name}: no user and password (imaps://user:password@host:993/INBOX)")
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise ValueError(f"{name}: the port is not a number") from None
    verify = parse_qs(parts.query).get("verify", ["yes"])[-1].lower() not in ("no", "false", "0")
    return MailboxAddress(secure=parts.scheme == "imaps", host=parts.hostname, port=port,
                          user=unquote(parts.username), password=unquote(parts.password),
                          folder=unquote(parts.path.strip("/")) or "INBOX", verify=verify)


def new_mails(address: MailboxAddress,
              seen: Callable[[list[str]], set[str]]) -> Iterator[tuple[str | None, bytes]]:
    """(Message-ID, the whole mail) of every mail in the folder whose Message-ID ``seen`` does
    not return; a mail without a Message-ID comes with None (the reader keys it by digest)."""
    client = _connect(address)
    try:
        ids = _message_ids(client)
        known = seen([i for i in ids.values() if i])
        for uid, message_id in ids.items():
            if message_id in known:
                continue
            yield message_id, _fetch(client, uid)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _connect(address: MailboxAddress) -> imaplib.IMAP4:
    try:
        if address.secure:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                address.host, address.port, ssl_context=context_for(address.verify), timeout=TIMEOUT)
        else:
            client = imaplib.IMAP4(address.host, address.port, timeout=TIMEOUT)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"{address}: certificate not trusted ({exc.verify_message}); "
                           f"add ?verify=no only for a server you know") from None
    except OSError as exc:
        raise MailboxError(f"{address}: cannot connect ({exc.strerror or exc})") from None
    try:
        client.login(address.user, address.password)
        status, _ = client.select(_quoted(address.folder), readonly=True)
    except imaplib.IMAP4.error as exc:
        client.shutdown()
        raise MailboxError(f"{address}: {_text(exc)}") from None
    if status != "OK":
        client.logout()
        raise MailboxError(f"{address}: no folder {address.folder!r}")
    return client


def _message_ids(client: imaplib.IMAP4) -> dict[bytes, str | None]:
    """UID → Message-ID of every mail in the folder, oldest first."""
    status, data = client.uid("SEARCH", None, "ALL")
    if status != "OK" or not data or not data[0]:
        return {}
    status, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    found: dict[bytes, str | None] = {}
    for item in data or []:
        if not isinstance(item, tuple) or not (uid := _UID.search(item[0])):
            continue
        header = BytesHeaderParser().parsebytes(item[1])["Message-ID"]
        found[uid.group(1)] = str(header).strip() if header else None
    return dict(sorted(found.items(), key=lambda pair: int(pair[0])))


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes:
    status, data = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    for item in data or []:
        if isinstance(item, tuple):
            return item[1]
    raise MailboxError(f"mail UID {uid.decode()} vanished while it was read")


def _quoted(folder: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7 (RFC 3501 §5.1.3; ``投诉`` is
    ``&YpWLyQ-``), quoted."""
    encoded, run = [], []

    def flush() -> None:
        if run:
            data = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            encoded.append("&" + data.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in folder:
        if " " <= char <= "~":
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return '"' + "".join(encoded).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
