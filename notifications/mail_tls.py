"""TLS for Apprise's mailer without loading the CA bundle for every message.

Apprise 1.13's ``NotifyEmail.send`` calls ``ssl.create_default_context()`` for every message,
secured or not, and loading the system CA bundle is most of what delivering one costs: 51 of
58 ms a message to a local SMTP server on the CI machine (cProfile over 20 messages,
``set_default_verify_paths``). :func:`install` gives the mailer a context that is made only
when a connection is actually secured (SSL or STARTTLS); a verifying context is then built
once per process and shared, since nothing changes it; a context the mailer changes (its
``verify=no`` option) is its own, made fresh as before. Verification is unchanged: a
self-signed server is still refused unless the URL says ``verify=no`` (tests/test_mail_tls.py).
"""

from __future__ import annotations

import ssl
import types
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def verifying_context() -> ssl.SSLContext:
    """The default verifying client context, built once per process (the worker's fork
    server builds it before forking runs)."""
    return ssl.create_default_context()


class DeferredContext:
    """Stands for ``ssl.create_default_context(*args, **kwargs)`` until the mailer uses it.

    Settings made before use (``check_hostname``, ``verify_mode``) are remembered and applied
    to a context of its own; with none, and no arguments, the shared verifying context is
    used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_arguments", (args, kwargs))
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_context", None)

    def __setattr__(self, name: str, value: Any) -> None:
        self._changes[name] = value
        if self._context is None:
            return
        if self._context is verifying_context():  # never change the shared one
            object.__setattr__(self, "_context", self._own())
        else:
            setattr(self._context, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.context(), name)

    def context(self) -> ssl.SSLContext:
        if self._context is None:
            object.__setattr__(self, "_context", self._own() if self._private() else
                               verifying_context())
        return self._context

    def _private(self) -> bool:
        args, kwargs = self._arguments
        return bool(args or kwargs or self._changes)

    def _own(self) -> ssl.SSLContext:
        args, kwargs = self._arguments
        made = ssl.create_default_context(*args, **kwargs)
        for name, value in self._changes.items():
            setattr(made, name, value)
        return made


class _SslForMailer(types.ModuleType):
    """The ``ssl`` module as Apprise's mailer sees it: everything the same but
    ``create_default_context``."""

    create_default_context = DeferredContext

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)


def install() -> bool:
    """Give Apprise's mailer the deferred context; False (and nothing changed) when the
    installed Apprise does not build its context that way."""
    try:
        from apprise.plugins.email import base
    except ImportError:
        return False
    if isinstance(getattr(base, "ssl", None), _SslForMailer):
        return True
    if getattr(base, "ssl", None) is not ssl:
        return False
    base.ssl = _SslForMailer("ssl")
    return True
