"""``python -m worker``: run an RQ worker on REDIS_URL, and sweep for lost work meanwhile."""

from __future__ import annotations

import logging
import threading

from rq.worker import SimpleWorker

from bot import create_app
from bot.services import Services, services
from worker.recovery import requeue_unfinished

log = logging.getLogger("worker")


def sweep_forever(app_services: Services, stop: threading.Event) -> None:
    """Requeue unfinished work now and every RECOVERY_INTERVAL seconds until stopped."""
    while True:
        try:
            found = requeue_unfinished(app_services)
            if found.signatures or found.messages:
                log.warning("requeued %s signature(s), %s message(s)", *vars(found).values())
        except Exception:  # a sweep that fails (database away) must not stop the next one
            log.exception("recovery sweep failed")
        if stop.wait(app_services.settings.recovery_interval):
            return


def main() -> None:
    app = create_app()
    with app.app_context():
        svc = services()
        if svc.settings.embedded_redis:
            raise SystemExit(
                "the worker needs REDIS_URL; the embedded default runs jobs in-process"
            )
        stop = threading.Event()
        threading.Thread(target=sweep_forever, args=(svc, stop), daemon=True).start()
        # SimpleWorker runs jobs in this process: no fork per job, and the app context,
        # database pool and Twilio client are set up once instead of for every text.
        worker = SimpleWorker(list(svc.queues.values()), connection=svc.redis)
        try:
            worker.work(with_scheduler=True)
        finally:
            stop.set()


if __name__ == "__main__":
    main()
