"""``python -m worker``: run an RQ worker on REDIS_URL, and sweep for lost work meanwhile."""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from bot.config import INSTANCE_PATH, configure_logging, load_settings
from bot.recovery import sweep_forever
from bot.services import build_services, jobs_app
from worker import scheduler_locks
from worker.lean import LeanWorker

log = logging.getLogger("worker")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
AUTOGROUP = Path("/proc/self/autogroup")
WORKER_TTL = 60  # seconds


def die_with_the_worker(worker_pid: int) -> None:
    """In a process the worker forks (RQ's scheduler): be killed when the worker dies.

    A child outliving a SIGKILLed worker would keep the copies of its database connections
    open, and with them whatever the worker's transaction held (a campaign's row lock stalls
    every signature) until someone found and killed it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker_pid:  # it died before the line above
        os._exit(1)


def lower_priority(niceness: int) -> None:
    """Run below the web's CPU priority, and so does every child.

    During a surge the webhook's texts get the CPU first; confirmations and broadcasts take
    what is left and catch up when it has passed.
    """
    os.nice(niceness)
    # With autogroup scheduling (Linux's default on many machines) the CPU is shared between
    # sessions first, and a nice value counts only within its own session. A worker started
    # in a session of its own (setsid, as bench/surge and some supervisors do) lowers that
    # session's; one sharing its session with others leaves theirs alone.
    if os.getsid(0) == os.getpid() and AUTOGROUP.exists():
        try:
            AUTOGROUP.write_text(str(niceness))
        except OSError as error:  # a container's read-only /proc: the nice value must do
            log.warning("could not lower the session's CPU priority: %s", error)


def main() -> None:
    configure_logging()
    settings = load_settings(os.environ, {}, instance_path=str(INSTANCE_PATH))
    if settings.embedded_redis:
        raise SystemExit("the worker needs REDIS_URL; the embedded default runs jobs in-process")
    svc = build_services(settings)
    # Jobs are plain functions taking ids that find the services through an app context:
    # a bare one, without the web's pages, CSRF or login.
    with jobs_app(svc).app_context():
        # What start-up loaded (modules, campaigns) lives as long as the process: kept out
        # of the garbage collector's full passes, which would otherwise take ~100 ms each and
        # stall a broadcast's sending threads into a burst.
        gc.collect()
        gc.freeze()
        lower_priority(svc.settings.worker_niceness)
        if sys.platform == "linux":
            worker_pid = os.getpid()
            os.register_at_fork(after_in_child=lambda: die_with_the_worker(worker_pid))
        stop = threading.Event()
        threading.Thread(target=sweep_forever, args=(svc, stop), daemon=True).start()
        # A SimpleWorker runs jobs in this process: no fork per job, and the app context,
        # database pool and Twilio client are set up once instead of for every text. The job
        # id names the function and row; the description would log it again with its arguments.
        # An idle worker beats every WORKER_TTL - 15 seconds (RQ's default, 420, would be
        # every 405): /healthz tells within a minute whether one is alive.
        worker = LeanWorker(
            list(svc.queues.values()),
            connection=svc.redis,
            log_job_description=False,
            worker_ttl=WORKER_TTL,
        )
        freed = scheduler_locks.release_stale(svc.redis, list(svc.queues))
        if freed:
            log.warning("released the scheduler lock of a worker that is gone: %s", freed)
        try:
            worker.work(with_scheduler=True)
        finally:
            stop.set()


if __name__ == "__main__":
    main()
