#!/usr/bin/env python3
"""Broadcasts at scale, each figure beside a baseline measured in the same run.

Against this machine's PostgreSQL and Redis (a database and a Redis database of the bench's own,
emptied first), a fake Twilio in this process, and ``python -m worker`` processes:

1. plan: a broadcast to every signer of a campaign, at two sizes (100,000 and 1,000,000; --quick:
   10,000 and 100,000). The plan runs in a process of its own; its peak memory is that process's
   peak RSS plus the peak private memory (RssAnon) of the PostgreSQL backend serving it, sampled
   every 20 ms. Recipients planned per second beside it. Goal: under 300 MB, the larger within
   1.1x of the smaller, at least 20,000 recipients/s.
2. sends/s against a fake Twilio answering in 100 ms: one worker process sending a broadcast,
   beside the naive design (one RQ job per message on RQ's default forking Worker) and a plain
   loop of the twilio client. Goal: at least 300/s.
3. sends/s against a fake answering at once, beside the plain loop. Goal: at least 0.8 of it.
4. the pace: TWILIO_MPS held by two worker processes sending two broadcasts together for a
   minute (--quick: 20 s): sends/s against the cap (goal within 2%), and the busiest one-second
   window against the cap plus the burst allowance.

It reports, it does not assert: the exit status is 0 even when a goal is missed, and 1 only when
a text went to someone twice or to nobody it should have. See docs/performance.md.
Run it with the project's virtualenv: ``.venv/bin/python bench/broadcast.py [--quick]``.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_twilio import FakeTwilio  # noqa: E402
from harness import campaigns_folder, empty_tables, free_port, wait_for  # noqa: E402
from redis import Redis  # noqa: E402
from redis.exceptions import RedisError  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

BOT_NUMBER = "+14045550100"
CAMPAIGN = "doj-face-recognition"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/petition_bot_bench_broadcast"
MEMORY_GOAL_MB, FLAT_GOAL, PLAN_RATE_GOAL = 300.0, 1.1, 20_000.0
SENDS_GOAL, PLAIN_RATIO_GOAL, PACE_TOLERANCE = 300.0, 0.8, 0.02
BODY = "Hi {first_name}! The DOJ hearing is Tuesday. Call your rep today: 202-555-0100"


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/broadcast.py",
        description="Plan and send broadcasts against the real worker and a fake Twilio, "
        "each figure beside a baseline from the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 2 minutes")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--redis-url",
        help="a Redis database to use and flush (default: a redis-server of the bench's own, on "
        "a free port, so nothing else on this machine can take its jobs)",
    )
    parser.add_argument("--sizes", help="the two plan sizes, e.g. 100000,1000000")
    parser.add_argument("--sends", type=int, help="recipients of the send-speed broadcasts")
    parser.add_argument("--mps", type=int, default=100, help="the cap of the pace run")
    parser.add_argument("--pace-seconds", type=float, help="length of the pace run")
    parser.add_argument("--concurrency", type=int, default=64, help="BROADCAST_CONCURRENCY")
    parser.add_argument("--skip", default="", help="parts to skip: plan,sends,pace")
    # Modes the bench runs itself in, in a process of their own.
    parser.add_argument("--plan-one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--naive-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plain-loop", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [
        int(n) for n in (args.sizes or ("10000,100000" if quick else "100000,1000000")).split(",")
    ]
    args.sends = args.sends or (1500 if quick else 6000)
    args.pace_seconds = args.pace_seconds or (20.0 if quick else 60.0)
    return args


# The fake Twilio, with the moment of each send


class TimedTwilio(FakeTwilio):
    """The tests' fake Twilio, noting when (monotonic) each message it accepted arrived.

    The moment is the request's arrival, before the fake's own latency and work: the moment the
    sender sent it, not when this busy process got round to it.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: list[tuple[float, str, str]] = []  # (time, to, body)
        self._stamp_lock = threading.Lock()
        self._arrival = threading.local()  # each request is served by a thread of its own

    def _dispatch(self, request: Any) -> Any:
        self._arrival.at = time.monotonic()
        return super()._dispatch(request)

    def _accept(self, form: Any) -> Any:
        message = super()._accept(form)
        with self._stamp_lock:
            self.accepted.append((self._arrival.at, message.to, message.body))
        return message

    def forget(self) -> None:
        self.reset()
        with self._stamp_lock:
            self.accepted.clear()


def rate(stamps: list[float]) -> float:
    """Sends per second from the first send to the last."""
    if len(stamps) < 2:
        return 0.0
    return (len(stamps) - 1) / (max(stamps) - min(stamps))


def busiest_second(stamps: list[float]) -> int:
    ordered = sorted(stamps)
    return max((bisect.bisect_left(ordered, s + 1.0) - i for i, s in enumerate(ordered)), default=0)


# Processes


class Processes:
    """Child processes, each in its own session, stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, *command: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env=env or self.env, stdout=log, stderr=log, start_new_session=True
        )
        self.running.append(process)
        return process

    def stop(self, *processes: subprocess.Popen[bytes]) -> None:
        for process in processes or tuple(self.running):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process in self.running:
                self.running.remove(process)


# The database


def prepare_database(url: str) -> None:
    """Create the bench database if missing, migrate it, and empty its tables."""
    from bot.database import upgrade

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not found:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    try:
        upgrade(url)
    except Exception:  # made by a newer checkout: it is the bench's own, start it afresh
        note(f"{parsed.database} cannot be migrated from here; recreating it")
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
        upgrade(url)
    empty_tables(url)


SEED = """
INSERT INTO supporters (phone, name, zip_code, city, state, time_zone, language, opted_out_at,
                        undeliverable_at, undeliverable_reason, created_at, updated_at)
SELECT '+1404' || lpad(g::text, 7, '0'),
       'Signer' || g || ' Doe',
       (ARRAY['30303', '30030', '31401', '30601'])[g % 4 + 1],
       (ARRAY['Atlanta', 'Decatur', 'Savannah', 'Athens'])[g % 4 + 1],
       'GA', 'America/New_York',
       CASE WHEN g % 5 = 0 THEN 'es' ELSE 'en' END,
       CASE WHEN g % 50 = 0 THEN now() END,
       CASE WHEN g % 97 = 0 THEN now() END,
       CASE WHEN g % 97 = 0 THEN 'landline' END,
       now(), now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g;

INSERT INTO consent_events (supporter_id, phone, campaign_id, kind, channel, disclosure, created_at)
SELECT id, phone, :campaign, 'opt_in', 'sms', 'Civil Rights Text Team will add you…', now()
FROM supporters WHERE id BETWEEN :first AND :last;

INSERT INTO signatures (campaign_id, supporter_id, consent_event_id, number, signed_at, source,
                        consent_text)
SELECT :campaign, supporter_id, id, supporter_id, now(), 'sms', disclosure
FROM consent_events WHERE supporter_id BETWEEN :first AND :last;
"""


def seed(url: str, campaign_id: int, have: int, want: int) -> None:
    """Add signers numbered have+1 … want (ids and numbers line up: the tables start empty)."""
    engine = create_engine(url)
    step = 200_000
    for first in range(have + 1, want + 1, step):
        last = min(first + step - 1, want)
        with engine.begin() as connection:
            for statement in SEED.split(";"):
                if statement.strip():
                    connection.execute(
                        text(statement), {"first": first, "last": last, "campaign": campaign_id}
                    )
    engine.dispose()
    # Fresh statistics, as a long-lived database has: the plan is chosen from them.
    vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as connection:
        for table in ("supporters", "consent_events", "signatures"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    vacuum.dispose()


def scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    with engine.begin() as connection:
        value = connection.scalar(text(sql), params)
    engine.dispose()
    return value


def execute(url: str, sql: str, **params: Any) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(sql), params)
    engine.dispose()


# 1. Planning


def plan_one(broadcast_id: int) -> None:
    """In a process of its own: plan one broadcast and print what it took, as JSON."""
    from bot import create_app
    from bot.broadcasts.jobs import plan_broadcast
    from bot.services import services

    app = create_app()
    with app.app_context():
        svc = services()
        with svc.db() as session:
            backend = int(session.scalar(text("SELECT pg_backend_pid()")))
        # One connection in the pool: the plan's transaction runs on this same backend.
        peak = {"pg": 0}
        done = threading.Event()

        def sample() -> None:
            path = Path(f"/proc/{backend}/status")
            while not done.wait(0.02):
                try:
                    for line in path.read_text().splitlines():
                        if line.startswith("RssAnon:"):
                            peak["pg"] = max(peak["pg"], int(line.split()[1]) * 1024)
                except OSError:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        plan_broadcast(broadcast_id)
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
    python = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "python": python, "pg": peak["pg"], "backend": backend}))


def plan_part(
    args: argparse.Namespace, env: dict[str, str], campaign_id: int
) -> list[dict[str, Any]]:
    results = []
    have = 0
    # The smaller broadcast's rows stay: deleting a million messages is slow (signatures
    # refer to messages), and a table already holding texts is the usual case anyway.
    for size in sorted(args.sizes):
        if size > have:
            note(f"seeding {size - have:,} signers")
            seed(args.database_url, campaign_id, have, size)
            have = size
        broadcast_id = int(
            scalar(
                args.database_url,
                "INSERT INTO broadcasts (campaign_id, body, audience, status, created_at)"
                " VALUES (:campaign, :body, '{}', 'planning', now()) RETURNING id",
                campaign=campaign_id,
                body=BODY,
            )
        )
        note(f"planning a broadcast to {size:,} signers")
        out = subprocess.run(
            [sys.executable, __file__, "--plan-one", str(broadcast_id)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        measured = json.loads(out.strip().splitlines()[-1])
        rows = int(
            scalar(
                args.database_url,
                "SELECT count(*) FROM messages WHERE broadcast_id = :id",
                id=broadcast_id,
            )
        )
        pending = int(
            scalar(
                args.database_url,
                "SELECT count(*) FROM messages WHERE broadcast_id = :id AND status = 'pending'",
                id=broadcast_id,
            )
        )
        results.append(
            {
                "size": size,
                "rows": rows,
                "pending": pending,
                "seconds": measured["seconds"],
                "per_second": rows / measured["seconds"],
                "python_mb": measured["python"] / 2**20,
                "pg_mb": measured["pg"] / 2**20,
                "total_mb": (measured["python"] + measured["pg"]) / 2**20,
            }
        )
        note(
            f"  {rows:,} rows in {measured['seconds']:.1f} s; peak {results[-1]['total_mb']:.0f} MB"
        )
    return results


# 2 and 3. Sending


def naive_worker() -> None:
    """In a process of its own: RQ's default forking Worker, one job per message, until empty."""
    from rq import Queue, Worker

    from bot import create_app
    from bot.services import services

    class OneJobPerFork(Worker):  # type: ignore[misc]
        def perform_job(self, *args: Any, **kwargs: Any) -> bool:
            # In the forked child: its own database connections, not the parent's.
            services().db.kw["bind"].dispose(close=False)
            return bool(super().perform_job(*args, **kwargs))

    app = create_app()
    with app.app_context():
        svc = services()
        OneJobPerFork([Queue("naive", connection=svc.redis)], connection=svc.redis).work(burst=True)


def plain_loop(base_url: str, count: int) -> None:
    """In a process of its own: the twilio client sending ``count`` texts, one after another."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        os.environ["TWILIO_ACCOUNT_SID"],
        os.environ["TWILIO_AUTH_TOKEN"],
        http_client=TwilioHttpClient(timeout=10),
    )
    client.api.base_url = base_url
    body = BODY.format(first_name="Signer1")
    for n in range(count):
        client.messages.create(to=f"+1404{n + 1:07d}", from_=BOT_NUMBER, body=body)


class Bench:
    """The bench's own app (to create broadcasts as the terminal does), the fake and workers."""

    def __init__(self, args: argparse.Namespace, logs: Path) -> None:
        from bot import create_app
        from bot.services import services

        self.args, self.logs = args, logs
        self.twilio = TimedTwilio().start()
        self.env = bench_env(args, self.twilio)
        self.processes = Processes(self.env, logs)
        self.app = create_app(
            {k: v for k, v in self.env.items() if k.isupper() and k in SETTINGS_NAMES}
        )
        self.context = self.app.app_context()
        self.context.push()
        self.svc = services()

    def close(self) -> None:
        self.processes.stop()
        self.svc.db.kw["bind"].dispose()
        self.context.pop()
        self.twilio.stop()

    def workers(self, count: int, mps: int) -> list[subprocess.Popen[bytes]]:
        env = self.env | {"TWILIO_MPS": str(mps)}
        started = [
            self.processes.start(f"worker-{mps}-{n}", sys.executable, "-m", "worker", env=env)
            for n in range(1, count + 1)
        ]
        Redis.from_url(self.args.redis_url).close()
        return started

    def broadcast(self, **filters: Any) -> tuple[int, int]:
        """Create and start a broadcast to the seeded signers; return its id and recipients."""
        from bot.broadcasts import service as broadcasts
        from bot.broadcasts.audience import Audience

        audience = Audience.of(**filters)
        preview = broadcasts.preview(self.svc, CAMPAIGN, audience, BODY)
        broadcast_id = broadcasts.create(self.svc, CAMPAIGN, audience, BODY)
        broadcasts.start(self.svc, broadcast_id)
        return broadcast_id, preview.receiving

    def sent(
        self,
        count: int,
        seconds: float,
        what: str,
        process: subprocess.Popen[bytes] | None = None,
    ) -> list[tuple[float, str, str]]:
        """Wait for ``count`` texts at the fake (or for ``process`` to end); return them."""

        def arrived() -> bool:
            if process is not None and process.poll() is not None:
                time.sleep(0.5)
                if len(self.twilio.accepted) < count:
                    raise RuntimeError(f"{what}: the process ended (see its log in {self.logs})")
            return len(self.twilio.accepted) >= count

        wait_for(arrived, seconds, what)
        time.sleep(0.5)  # anything more would be a text sent twice
        accepted = list(self.twilio.accepted)
        self.twilio.forget()
        return accepted


BENCH_SECRET_KEY = "a bench key, long enough for production rules"
SETTINGS_NAMES = {
    "BOT_ENV",
    "SECRET_KEY",
    "CAMPAIGNS_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "SEND_WINDOW",
    "BROADCAST_CONCURRENCY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "TWILIO_API_BASE_URL",
}


def twice(accepted: list[tuple[float, str, str]]) -> int:
    """How many texts went to a phone that had already got the same one."""
    return sum(n - 1 for n in Counter((to, body) for _, to, body in accepted).values())


def sends_part(bench: Bench, campaign_id: int) -> dict[str, Any]:
    args = bench.args
    empty_tables(args.database_url)
    campaign_id = register_campaign(args.database_url)
    seed(args.database_url, campaign_id, 0, args.sends)
    results: dict[str, Any] = {"duplicates": 0}
    few = 30 if args.quick else 60

    for latency in (0.1, 0.0):
        bench.twilio.latency = latency
        worker = bench.workers(1, mps=1_000_000)
        note(f"one worker sending a broadcast, fake Twilio answering in {latency * 1000:.0f} ms")
        _, receiving = bench.broadcast()
        accepted = bench.sent(receiving, 600, "the broadcast's texts")
        bench.processes.stop(*worker)
        results[f"ours_{latency}"] = rate([t for t, _, _ in accepted])
        results["duplicates"] += twice(accepted)
        bench.twilio.latency = latency  # forget() reset it

        plain = few if latency else min(args.sends, 3000)
        note(f"the plain loop: {plain} texts")
        process = bench.processes.start(
            f"plain-{latency}",
            sys.executable,
            __file__,
            "--plain-loop",
            bench.twilio.base_url,
            str(plain),
        )
        accepted = bench.sent(plain, 600, "the plain loop's texts", process)
        bench.processes.stop(process)
        results[f"plain_{latency}"] = rate([t for t, _, _ in accepted])
        bench.twilio.latency = latency

        if latency:
            note(f"the naive design: {few} RQ jobs on a forking Worker")
            naive_jobs(bench, few)
            process = bench.processes.start("naive", sys.executable, __file__, "--naive-worker")
            accepted = bench.sent(few, 600, "the naive design's texts", process)
            bench.processes.stop(process)
            results["naive_0.1"] = rate([t for t, _, _ in accepted])
            results["duplicates"] += twice(accepted)
    return results


def naive_jobs(bench: Bench, count: int) -> None:
    """Store ``count`` texts, each queued as its own send_message job."""
    from rq import Queue

    from bot.outbound.jobs import send_message
    from store.models import Message

    with bench.svc.db.begin() as session:
        rows = [
            Message(
                direction="out",
                phone=f"+1678555{n:04d}",  # no signer's: nobody opted out or unreachable
                channel="sms",
                body=BODY.format(first_name=f"Signer{n + 1}"),
                status="pending",
                kind="naive",
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    queue = Queue("naive", connection=bench.svc.redis)
    for message_id in ids:
        queue.enqueue(send_message, message_id)


# 4. The pace


def pace_part(bench: Bench) -> dict[str, Any]:
    args = bench.args
    cap, seconds = args.mps, args.pace_seconds
    empty_tables(args.database_url)
    campaign_id = register_campaign(args.database_url)
    # Two audiences (ZIP prefixes 303 and 300 hold a quarter of the signers each), each big
    # enough to keep sending the whole run by itself.
    signers = int(4 * 0.8 * cap * seconds) + 100
    seed(args.database_url, campaign_id, 0, signers)
    bench.twilio.latency = 0.1
    workers = bench.workers(2, mps=cap)
    note(f"two workers, two broadcasts, a cap of {cap} segments/s, for {seconds:.0f} s")
    # This process stamps each arrival: a garbage collection pause here would stall the fake's
    # threads and bunch the stamps, a burst of the bench's own making.
    gc.collect()
    gc.freeze()
    gc.disable()
    bench.broadcast(zip_prefix="303")
    bench.broadcast(zip_prefix="300")
    wait_for(lambda: bool(bench.twilio.accepted), 60, "the first send")
    first = bench.twilio.accepted[0][0]
    time.sleep(max(0.0, first + seconds + 1 - time.monotonic()))
    accepted = list(bench.twilio.accepted)
    gc.enable()
    gc.unfreeze()
    bench.processes.stop(*workers)
    bench.twilio.forget()
    stamps = [t for t, _, _ in accepted if t < first + seconds]
    (bench.logs / "pace-stamps.json").write_text(json.dumps([t - first for t in stamps]))
    slices = [
        (bench.logs / f"worker-{cap}-{n}.log")
        .read_text(errors="replace")
        .count(": broadcasts: send_broadcast_slice-")  # as each starts
        for n in (1, 2)
    ]
    from bot.outbound.pacing import BURST_SECONDS

    return {
        "cap": cap,
        "seconds": seconds,
        "sent": len(stamps),
        "per_second": len(stamps) / seconds,
        "busiest_second": busiest_second(stamps),
        "burst": cap * BURST_SECONDS,
        "slices_by_worker": slices,
        "duplicates": twice(accepted),
    }


def bench_env(args: argparse.Namespace, twilio: FakeTwilio | None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "BOT_ENV": "development",
        # A real database and Redis mean production rules whatever BOT_ENV says: a long key.
        "SECRET_KEY": BENCH_SECRET_KEY,
        "CAMPAIGNS_DIR": campaigns_folder(),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "SEND_WINDOW": "00:00-24:00",  # the bench measures speed, not quiet hours
        "BROADCAST_CONCURRENCY": str(args.concurrency),
        "PYTHONPATH": str(ROOT),
        # The worker below the web's priority is for a machine it shares with the web: here it
        # would share with the fake Twilio, which a deployment does not run, and the plain loop
        # it is measured against runs at full priority. A setting in the environment wins.
        "WORKER_NICENESS": os.environ.get("WORKER_NICENESS", "0"),
    }
    if twilio is not None:
        env |= {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": BOT_NUMBER,
            "TWILIO_API_BASE_URL": twilio.base_url,
        }
    return env | extra


def register_campaign(url: str) -> int:
    from bot import create_app
    from bot.services import services
    from store.records import campaign_row

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": BENCH_SECRET_KEY, "CAMPAIGNS_DIR": campaigns_folder()}
    )
    with app.app_context():
        svc = services()
        campaign = svc.catalog.by_slug(CAMPAIGN)
        assert campaign is not None
        with svc.db.begin() as session:
            campaign_id = campaign_row(session, campaign).id
        svc.db.kw["bind"].dispose()
    return campaign_id


def main(argv: list[str] | None = None) -> int:
    # A TERM (from `timeout`, say) unwinds like Ctrl-C: every process started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    if args.plan_one is not None:
        plan_one(args.plan_one)
        return 0
    if args.naive_worker:
        naive_worker()
        return 0
    if args.plain_loop:
        plain_loop(args.plain_loop[0], int(args.plain_loop[1]))
        return 0
    skip = set(args.skip.split(","))
    logs = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    note(f"logs in {logs}")
    redis_server = None
    if args.redis_url is None:
        port = free_port()
        redis_server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        args.redis_url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: _pings(args.redis_url), 10, "redis-server to start")
    try:
        return run(args, skip, logs)
    finally:
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait()


def _pings(url: str) -> bool:
    try:
        return bool(Redis.from_url(url).ping())
    except RedisError:
        return False


def run(args: argparse.Namespace, skip: set[str], logs: Path) -> int:
    prepare_database(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    campaign_id = register_campaign(args.database_url)
    figures: dict[str, Any] = {}
    if "plan" not in skip:
        figures["plan"] = plan_part(args, bench_env(args, None), campaign_id)
    if not {"sends", "pace"} <= skip:
        bench = Bench(args, logs)
        try:
            if "sends" not in skip:
                figures["sends"] = sends_part(bench, campaign_id)
            if "pace" not in skip:
                figures["pace"] = pace_part(bench)
        finally:
            bench.close()
    (logs / "figures.json").write_text(json.dumps(figures, indent=2))
    print(report(args, figures))
    duplicates = figures.get("sends", {}).get("duplicates", 0)
    duplicates += figures.get("pace", {}).get("duplicates", 0)
    return 1 if duplicates else 0


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(args: argparse.Namespace, figures: dict[str, Any]) -> str:
    """The figures as a table, each beside its baseline and its goal."""
    lines = [
        f"bench/broadcast.py{' --quick' if args.quick else ''}: {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        "",
    ]
    plan = figures.get("plan")
    if plan:
        small, large = plan[0], plan[-1]
        growth = large["total_mb"] / small["total_mb"]
        slowest = min(p["per_second"] for p in plan)
        peak = max(p["total_mb"] for p in plan)
        lines += [
            "1. Planning a broadcast to every signer (INSERT … SELECT, in the database)",
            f"   {'signers':<46}{small['size']:>12,}{large['size']:>12,}",
            f"   {'recipients planned/s':<46}{small['per_second']:>12,.0f}"
            f"{large['per_second']:>12,.0f}   goal >= {PLAN_RATE_GOAL:,.0f}: "
            f"{verdict(slowest >= PLAN_RATE_GOAL)}",
            f"   {'peak MB: planning process':<46}{small['python_mb']:>12.0f}"
            f"{large['python_mb']:>12.0f}",
            f"   {'peak MB: its PostgreSQL backend (private)':<46}{small['pg_mb']:>12.0f}"
            f"{large['pg_mb']:>12.0f}",
            f"   {'peak MB: together':<46}{small['total_mb']:>12.0f}{large['total_mb']:>12.0f}"
            f"   goal < {MEMORY_GOAL_MB:.0f}: {verdict(peak < MEMORY_GOAL_MB)}",
            f"   {'larger / smaller':<58}{growth:>12.2f}x  goal <= {FLAT_GOAL}x: "
            f"{verdict(growth <= FLAT_GOAL)}",
            "",
        ]
    sends = figures.get("sends")
    if sends:
        ratio = sends["ours_0.0"] / sends["plain_0.0"]
        lines += [
            "2. Sends/s, fake Twilio answering in 100 ms",
            f"   {'one worker process (BROADCAST_CONCURRENCY=' + str(args.concurrency) + ')':<58}"
            f"{sends['ours_0.1']:>12.1f}   goal >= {SENDS_GOAL:.0f}: "
            f"{verdict(sends['ours_0.1'] >= SENDS_GOAL)}",
            f"   {'naive: one RQ job per text, forking Worker':<58}{sends['naive_0.1']:>12.1f}"
            f"   (the worker: {sends['ours_0.1'] / sends['naive_0.1']:.0f}x as fast)",
            f"   {'plain loop of the twilio client':<58}{sends['plain_0.1']:>12.1f}",
            "",
            "3. Sends/s, fake Twilio answering at once",
            f"   {'one worker process':<58}{sends['ours_0.0']:>12.1f}",
            f"   {'plain loop of the twilio client':<58}{sends['plain_0.0']:>12.1f}",
            f"   {'worker / plain loop':<58}{ratio:>12.2f}   goal >= {PLAIN_RATIO_GOAL}: "
            f"{verdict(ratio >= PLAIN_RATIO_GOAL)}",
            "",
        ]
    pace = figures.get("pace")
    if pace:
        off = pace["per_second"] / pace["cap"] - 1
        ceiling = pace["cap"] + pace["burst"]
        lines += [
            f"4. The pace: TWILIO_MPS={pace['cap']}, two worker processes sending two broadcasts "
            f"for {pace['seconds']:.0f} s",
            f"   {'sends/s':<58}{pace['per_second']:>12.2f}   cap {pace['cap']}: {off:+.2%}, "
            f"goal within ±{PACE_TOLERANCE:.0%}: {verdict(abs(off) <= PACE_TOLERANCE)}",
            f"   {'busiest one-second window':<58}{pace['busiest_second']:>12}   cap + burst "
            f"{ceiling:.0f}: {verdict(pace['busiest_second'] <= ceiling)}",
            f"   {'slices run by each worker':<58}"
            f"{', '.join(str(n) for n in pace['slices_by_worker']):>12}",
            "",
        ]
    twice_sent = figures.get("sends", {}).get("duplicates", 0) + figures.get("pace", {}).get(
        "duplicates", 0
    )
    lines.append(f"Texts sent twice to one phone: {twice_sent}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
