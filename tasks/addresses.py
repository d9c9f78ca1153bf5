"""E-mail addresses as data: one strict check for every address a person or customer gives.

An address ends up in an SMTP envelope and, through Apprise's URL syntax, in a ``mailto://``
URL; a customer e-mail such as ``c@b.example&bcc=attacker%40evil.example`` must never add a
recipient, a header or another server. So only a plain RFC 5322 subset is accepted: a
dot-atom local part without ``& ? = % +``, quotes, commas, angle brackets or whitespace, ``@``,
and a domain of letter/digit/hyphen labels; the RFC 5321 length limits apply.
"""

from __future__ import annotations

import re

MAX_ADDRESS = 254  # RFC 5321 §4.5.3.1.3 path limit, less the angle brackets
MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_LABEL = 63
# atext (RFC 5322 §3.2.3) less what a URL, a header or a shell reads as syntax, and @ and dots.
_ALLOWED = re.compile(r"[A-Za-z0-9!#$*/^_`{|}~.@-]")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_TOP_LEVEL = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


def email_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address kefu sends to, or None when it is one.

    Surrounding whitespace is the caller's to strip (:func:`checked_email` does)."""
    if not address:
        return "the e-mail address is empty"
    if len(address) > MAX_ADDRESS:
        return f"longer than {MAX_ADDRESS} characters"
    bad = sorted({c for c in address if c.isascii() and not _ALLOWED.match(c)})
    if bad:
        return f"{address!r} contains {''.join(bad)!r}, not allowed in an e-mail address"
    if not address.isascii():
        return f"{address!r} has non-ASCII characters (write the domain in punycode, xn--…)"
    if address.count("@") != 1:
        return f"{address!r} is not an e-mail address (one @ between name and domain)"
    local, domain = address.split("@")
    return _local_problem(address, local) or _domain_problem(address, domain)


def checked_email(address: str, field: str = "email") -> str:
    """``address`` stripped of surrounding whitespace, or ValueError("<field>: why") naming
    the field, in the one-line style of every input error."""
    stripped = (address or "").strip()
    problem = email_problem(stripped)
    if problem:
        raise ValueError(f"{field}: {problem}")
    return stripped


def _local_problem(address: str, local: str) -> str | None:
    if not local:
        return f"{address!r} has no name before the @"
    if len(local) > MAX_LOCAL:
        return f"{address!r}: the part before the @ is longer than {MAX_LOCAL} characters"
    atoms = local.split(".")
    if any(not atom for atom in atoms):
        return f"{address!r}: a dot may not start, end or double in the part before the @"
    return None


def _domain_problem(address: str, domain: str) -> str | None:
    if not domain:
        return f"{address!r} has no domain after the @"
    if len(domain) > MAX_DOMAIN:
        return f"{address!r}: the domain is longer than {MAX_DOMAIN} characters"
    labels = domain.split(".")
    if len(labels) < 2:
        return f"{address!r}: the domain needs a dot (name.example)"
    for label in labels:
        if len(label) > MAX_LABEL:
            return f"{address!r}: a domain label is longer than {MAX_LABEL} characters"
        if not _LABEL.match(label):
            return (f"{address!r}: {label!r} is not a domain label (letters, digits, inner "
                    "hyphens)")
    if not _TOP_LEVEL.match(labels[-1]):
        return f"{address!r}: {labels[-1]!r} is not a top-level domain"
    return None
