"""The client's address behind a platform's router: TRUSTED_PROXIES, through werkzeug's ProxyFix.

Each proxy in front appends the address it saw to X-Forwarded-For; only the last
TRUSTED_PROXIES entries were written by proxies we run, the rest by whoever sent the
request. ProxyFix takes the client's address (and scheme) from those entries. The headers
are then removed, so nothing later (Flask-Login's session protection reads
X-Forwarded-For as it stands) can read a value a client wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


class _DropForwarded:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        for name in FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def init_app(app: Flask, trusted_proxies: int) -> None:
    wsgi: Any = _DropForwarded(app.wsgi_app)
    if trusted_proxies:
        wsgi = ProxyFix(wsgi, x_for=trusted_proxies, x_proto=trusted_proxies)
    app.wsgi_app = wsgi  # type: ignore[method-assign]
