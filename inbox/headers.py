"""Security headers on every answer of the inbox (issue 19, item 9).

No page may be framed (a same-site page could otherwise lay the logged-in decision form
under its own buttons), nothing but the inbox's own files may load, no address leaks in a
Referer, and no page is kept in a cache a second person of the same computer could read.
An ASGI middleware rather than a route decorator, so redirects, 404s and static files get
the headers too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
STATIC_PREFIX = "/static/"


def security_headers(https: bool) -> dict[str, str]:
    headers = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
               "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Opener-Policy": "same-origin"}
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP answer, and ``Cache-Control: no-store`` to
    all but the stylesheet."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.headers = security_headers(https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
