"""The embedded default's jobs: they run in this process, as they are queued, with no worker.

With no worker there is nobody to retry a failed job or to sweep for held and scheduled work,
so this module stands in for both. A job that fails is logged with its traceback and marked
failed, with its reason, on the message the person is looking at (the simulator, ``chat``).
While the app serves, a thread sweeps as a worker's sweep does on the real stack, so texts
held for quiet hours and scheduled broadcasts go out on time by themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select, update

from store.models import Message, Signature
from store.statuses import MessageStatus

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
_SWEEPER = "in_process.sweeper"


class InProcessQueue(Queue):
    """An RQ queue that runs each job as it is queued and tells of a failure, not swallows it."""

    def run_sync(self, job: Job) -> Job:
        job = super().run_sync(job)
        if job.get_status(refresh=False) == JobStatus.FAILED:
            result = job.latest_result()
            trace = result.exc_string if result is not None and result.exc_string else ""
            log.error("job %s failed:\n%s", job.id, trace)
            # bot.services.EXTENSION; not imported, as that module imports this one.
            show_failure(current_app.extensions["petition_bot"], job.id, reason(trace))
        return job


def reason(trace: str) -> str:
    """The last line of a traceback: the exception and its message."""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "the job failed"


def show_failure(svc: Services, job_id: str, why: str) -> None:
    """Mark the unsent message a failed job was about as failed, saying why."""
    name, _, row = job_id.rpartition("-")
    if not row.isdigit():
        return
    with svc.db.begin() as session:
        if name == "send_message":
            message_id: int | None = int(row)
        elif name == "record_signature":
            # Signing sends its confirmation itself; that is the text the person waits for.
            message_id = session.scalar(
                select(Signature.confirmation_id).where(Signature.consent_event_id == int(row))
            )
        else:  # a broadcast's or a stored text's job: the log says it, the pages show its state
            return
        if message_id is None:
            return
        session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status.in_((MessageStatus.PENDING, MessageStatus.SENDING)),
            )
            .values(status=MessageStatus.FAILED, failure=why)
        )


Sweep = Callable[["Services", threading.Event], None]


def init_app(app: Flask, sweep: Sweep) -> None:
    """Start ``sweep`` in a thread with the first request this app serves (not in tests)."""

    @app.before_request
    def sweep_while_serving() -> None:
        if not app.testing and _SWEEPER not in app.extensions:
            app.extensions[_SWEEPER] = start_sweeping(app, sweep)


def start_sweeping(app: Flask, sweep: Sweep) -> threading.Event:
    """Run ``sweep`` in a thread of this process; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            sweep(app.extensions["petition_bot"], stop)

    threading.Thread(target=run, name="sweeper", daemon=True).start()
    return stop
