"""Send one message as a mail: ``multipart/alternative``, the plain text with its lines kept
and the HTML part made from the same template (notifications/formats.py).

Configuration keeps Apprise's ``mailto://`` / ``mailtos://`` URL syntax (server, port, mode,
user and password, from, name, to, cc, bcc, reply, +headers, verify): Apprise parses the URL.
Apprise 1.13's mailer cannot be given the plain part: in HTML mode it derives text/plain from
the HTML, collapsing the lines into one block, and in text mode it sends no HTML; so the
message is built with :mod:`email` and sent with :mod:`smtplib`, with TLS as
notifications/mail_tls.py gives it.
"""

from __future__ import annotations

import logging
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import localtime, make_msgid

import apprise
from apprise.plugins.email import NotifyEmail, SecureMailMode

from notifications import mail_tls
from notifications.formats import html

log = logging.getLogger(__name__)
SCHEMES = ("mailto", "mailtos")
X_APPLICATION = "kefu-flow"


def is_mail(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SCHEMES


def send_mail(url: str, title: str, body: str, document: dict) -> str | None:
    """Deliver to every ``to`` of the URL (one message each, as Apprise does); None on
    success, else what went wrong."""
    mailer = apprise.Apprise.instantiate(url)
    if not isinstance(mailer, NotifyEmail):
        return f"not a mail URL kefu can use: {redact(url)}"
    part = html(document)
    try:
        with _connect(mailer) as server:
            for name, address in mailer.targets:
                message = _message(mailer, (name, address), title, body, part)
                server.send_message(message, from_addr=mailer.from_addr[1],
                                    to_addrs=[address, *mailer.cc, *mailer.bcc])
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        log.warning("mail via %s failed: %s", redact(url), exc)
        return f"mail via {redact(url)}: {type(exc).__name__}: {exc}"[:500]
    return None


def redact(url: str) -> str:
    """A URL without its credentials, for errors and logs."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@')[-1][:60]}"


def _connect(mailer: NotifyEmail) -> smtplib.SMTP:
    secure = mailer.secure_mode
    if secure == SecureMailMode.SSL:
        server = smtplib.SMTP_SSL(mailer.smtp_host, mailer.port,
                                  timeout=mailer.socket_connect_timeout,
                                  context=mail_tls.context_for(mailer.verify_certificate))
    else:
        server = smtplib.SMTP(mailer.smtp_host, mailer.port, timeout=mailer.socket_connect_timeout)
    try:
        if secure == SecureMailMode.STARTTLS:
            server.starttls(context=mail_tls.context_for(mailer.verify_certificate))
        if mailer.user and mailer.password:
            server.login(mailer.user, mailer.password)
    except BaseException:
        server.close()
        raise
    return server


def _message(mailer: NotifyEmail, to: tuple, title: str, body: str, part: str) -> EmailMessage:
    message = EmailMessage()
    for key, value in mailer.headers.items():
        message[key] = value
    message["X-Application"] = X_APPLICATION
    message["Subject"] = title
    message["From"] = _address(*mailer.from_addr)
    message["To"] = _address(*to)
    if mailer.cc:
        message["Cc"] = [_address(mailer.names.get(a) or "", a) for a in sorted(mailer.cc)]
    if mailer.reply_to:
        message["Reply-To"] = [_address(mailer.names.get(a) or "", a)
                               for a in sorted(mailer.reply_to)]
    message["Date"] = localtime()
    message["Message-ID"] = make_msgid(domain=mailer.from_addr[1].rpartition("@")[2])
    message.set_content(body, cte="base64")
    message.add_alternative(part, subtype="html", cte="base64")
    return message


def _address(name: str | bool, address: str) -> Address:
    return Address(display_name=name or "", addr_spec=address)
