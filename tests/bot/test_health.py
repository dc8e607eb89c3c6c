"""GET /healthz: what a load balancer or uptime check asks before sending traffic."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from bot import create_app
from bot.outbound.jobs import send_message
from bot.services import BROADCASTS_QUEUE, services
from worker.lean import LeanWorker


def closed_port() -> int:
    """A local port that nothing listens on: the OS hands it out, and we give it back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def app_with(settings: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(settings)
    app.testing = True  # no sweeping thread on the embedded default: nothing here serves
    try:
        yield app
    finally:
        with app.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()


def healthz(app: Flask) -> tuple[int, Any, float]:
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json(), time.monotonic() - started


def test_it_is_ok_when_the_database_and_redis_answer(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok"},
        "worker": {"seen": False, "in_process": False, "last_heartbeat": None},
        "queues": {"replies": 0, "broadcasts": 0, "integrations": 0},
    }


def test_it_names_redis_when_redis_does_not_answer(settings) -> None:
    with app_with({**settings, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}) as app:
        status, body, seconds = healthz(app)
    assert status == 503
    assert body["status"] == "failing"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("failed")
    assert seconds < 5


def test_it_names_the_database_when_postgresql_does_not_answer(settings) -> None:
    database = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x?connect_timeout=2"
    with app_with({**settings, "DATABASE_URL": database}) as app:
        status, body, seconds = healthz(app)
    assert status == 503
    assert body["status"] == "failing"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["database"].startswith("failed")
    assert seconds < 5


def test_it_names_both_when_neither_answers(settings) -> None:
    broken = {
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x"
        "?connect_timeout=2",
        "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
    }
    with app_with({**settings, **broken}) as app:
        status, body, _ = healthz(app)
    assert status == 503
    assert all(check.startswith("failed") for check in body["checks"].values())


@contextmanager
def worker_alive(svc) -> Iterator[LeanWorker]:
    """A worker registered in Redis as ``python -m worker`` registers, beating now."""
    worker = LeanWorker(list(svc.queues.values()), connection=svc.redis)
    worker.register_birth()
    try:
        yield worker
    finally:
        worker.register_death()


def test_it_says_a_worker_was_seen_by_its_heartbeat_in_the_last_minute(client, svc) -> None:
    with worker_alive(svc):
        body = client.get("/healthz").get_json()
    assert body["worker"]["seen"] is True
    assert body["worker"]["last_heartbeat"].endswith("Z")


def test_it_says_no_worker_was_seen_when_the_last_heartbeat_is_older(client, svc) -> None:
    with worker_alive(svc) as worker:
        svc.redis.hset(worker.key, "last_heartbeat", "2020-01-01T00:00:00.000000Z")
        response = client.get("/healthz")
    assert response.status_code == 200  # the web still serves; the worker is reported
    assert response.get_json()["worker"] == {
        "seen": False,
        "in_process": False,
        "last_heartbeat": "2020-01-01T00:00:00Z",
    }


def test_it_counts_the_jobs_waiting_in_each_queue(client, svc) -> None:
    svc.enqueue(send_message, 1)
    svc.enqueue(send_message, 2)
    svc.enqueue(send_message, 3, BROADCASTS_QUEUE)
    assert client.get("/healthz").get_json()["queues"] == {
        "replies": 2,
        "broadcasts": 1,
        "integrations": 0,
    }


def test_it_reports_no_worker_or_queues_when_redis_does_not_answer(settings) -> None:
    with app_with({**settings, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}) as app:
        status, body, _ = healthz(app)
    assert status == 503
    assert body["worker"] is None and body["queues"] is None


def test_it_says_jobs_run_in_process_on_the_embedded_defaults(tmp_path) -> None:
    with app_with({"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3"}) as app:
        status, body, _ = healthz(app)
    assert status == 200
    assert body["worker"] == {"seen": False, "in_process": True, "last_heartbeat": None}
    assert body["queues"] == {"replies": 0, "broadcasts": 0, "integrations": 0}
