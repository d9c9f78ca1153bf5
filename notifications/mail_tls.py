"""TLS for kefu's mailer without loading the CA bundle for every message.

Loading the system CA bundle is most of what securing one message costs (51 of 58 ms a
message on the CI machine, cProfile over 20 messages, ``set_default_verify_paths``), and
Apprise 1.13's mailer built a fresh default context for every message, secured or not. The
mailer (notifications/mail.py) takes its context from here only when a connection is actually
secured (SSL or STARTTLS): the verifying context is built once per process and shared, since
nothing changes it; ``verify=no`` in the URL gets a non-verifying context that loads no CA
bundle at all. Verification is unchanged: a self-signed server is still refused unless the
URL says ``verify=no`` (tests/test_mail_tls.py).
"""

from __future__ import annotations

import ssl
from functools import lru_cache


@lru_cache(maxsize=1)
def verifying_context() -> ssl.SSLContext:
    """The default verifying client context, built once per process (the worker's fork
    server builds it before forking runs)."""
    return ssl.create_default_context()


@lru_cache(maxsize=1)
def unverified_context() -> ssl.SSLContext:
    """For a URL that says ``verify=no``: encrypted, but any certificate is accepted."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def context_for(verify: bool) -> ssl.SSLContext:
    return verifying_context() if verify else unverified_context()
