"""A local HTTP server that records every request it gets and can be told to fail."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_twilio import BackgroundServer
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class WebhookReceiver(BackgroundServer):
    """Answer 204 to every request, or the statuses queued with ``fail_next``."""

    def __init__(self) -> None:
        super().__init__(self)
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._answers: deque[int] = deque()

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._answers.extend([status] * count)

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self._answers.clear()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        request = Request(environ)
        with self._lock:
            self._received.append(
                Received(
                    request.path,
                    {k.lower(): v for k, v in request.headers.items()},
                    request.get_data(),
                )
            )
            status = self._answers.popleft() if self._answers else 204
        return Response(status=status)(environ, start_response)
