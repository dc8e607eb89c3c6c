#!/usr/bin/env python3
"""A TV-moment surge against the real stack, with a bare-Flask baseline measured in the same run.

Starts a fake Twilio, gunicorn serving ``bot:create_app()`` and ``python -m worker`` processes on
this machine's PostgreSQL and Redis (a dedicated database and Redis database, emptied first), then:

1. surge: N supporters text FACES, a name, a ZIP and YES, as fast as C connections allow;
   waits until every signer's confirmation reached the fake Twilio;
2. paced: more supporters at a fixed --rate (open loop), for the p99 latency at that rate;
   with --capacity, more paced runs to find the highest rate whose p99 stays under 100 ms;
3. bare: the same client and request count against bench/bare_app.py under the same gunicorn;
   with --floor, then against bench/floor_app.py, the least webhook that still stores each text.

gunicorn runs with the Procfile's web settings unless --sync asks for its plain sync workers.
It reports, it does not assert: the exit status is 1 only when the signatures in the database
differ from the supporters who said YES. See docs/performance.md.
Run it with the project's virtualenv: ``.venv/bin/python bench/surge.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from fake_twilio import FakeTwilio  # noqa: E402
from harness import campaigns_folder, free_port, wait_for  # noqa: E402
from hotspots import table as hotspot_table  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

BOT_NUMBER = "+14045550100"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/petition_bot_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
LATENCY_LIMIT_MS = 100.0
CAPACITY_STEPS = 5  # halvings of the search: the answer is within ceiling / 32


def procfile_web() -> tuple[int, list[str]]:
    """Return the Procfile's default web process count and its other gunicorn options."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    words = shlex.split(line.removeprefix("web:"))
    # gunicorn --bind ADDRESS --workers ${WEB_CONCURRENCY:-N} [options…] APP
    workers, options, rest = 1, [], iter(words[1:-1])
    for word in rest:
        if word == "--bind":
            next(rest)
        elif word == "--workers":
            found = re.fullmatch(r"(?:\$\{WEB_CONCURRENCY:-)?(\d+)\}?", next(rest))
            if found is None:
                raise SystemExit("the Procfile's --workers is not a number or WEB_CONCURRENCY")
            workers = int(found.group(1))
        else:
            options.append(word)
    return workers, options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    procfile_workers, procfile_options = procfile_web()
    parser = argparse.ArgumentParser(
        prog="bench/surge.py",
        description="Drive a surge of simulated supporters through the real stack and a bare "
        "Flask baseline, and report throughput, latency and correctness.",
    )
    parser.add_argument("--supporters", type=int, default=10_000, help="N (default 10000)")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=procfile_workers,
        help=f"gunicorn processes (default {procfile_workers}, the Procfile's)",
    )
    parser.add_argument("--workers", type=int, default=2, help="python -m worker processes")
    parser.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        help="texts/s of the paced latency run on the real webhook (default 1000; 0 skips it)",
    )
    parser.add_argument(
        "--paced-seconds", type=float, default=5.0, help="length of the paced run (default 5)"
    )
    parser.add_argument(
        "--capacity",
        action="store_true",
        help="after the paced run, search for the highest paced rate with p99 under 100 ms",
    )
    parser.add_argument("--connections", type=int, default=64, help="client connections C")
    parser.add_argument(
        "--twilio-latency", type=float, default=0.0, help="seconds the fake Twilio takes per call"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=300.0,
        help="seconds to wait for every signature and confirmation after a drive (default 300)",
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="run gunicorn's sync workers instead of the Procfile's options"
        f" ({' '.join(procfile_options)})",
    )
    parser.add_argument(
        "--gunicorn-args",
        default="",
        help='more gunicorn options, for the bot and the baseline alike (e.g. "--threads 8")',
    )
    parser.add_argument("--skip-bare", action="store_true", help="skip the bare baseline")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure bench/floor_app.py, the least webhook that still stores each text",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the web and job workers with py-spy during the surge and print where"
        " their time went (pip install py-spy; slows the run a little)",
    )
    args = parser.parse_args(argv)
    if args.supporters < 1 or args.connections < 1:
        parser.error("--supporters and --connections must be at least 1")
    # gunicorn reads options in order, so --gunicorn-args can change the Procfile's.
    args.web_options = ([] if args.sync else procfile_options) + shlex.split(args.gunicorn_args)
    return args


def answers(url: str, expect_ok: bool) -> bool:
    """Whether the server at ``url`` answers (200 when ``expect_ok``, any HTTP status otherwise)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return not expect_ok
    except OSError:
        return False


class Processes:
    """Child processes, each in its own session so a Ctrl-C reaches only this script."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *command: str, **options: Any) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as log:  # the child keeps its own copy
            options.setdefault("stdout", log)
            options.setdefault("stderr", log)
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, start_new_session=True, **options
            )
        self.running.append(process)
        return process

    def gunicorn(
        self, name: str, app: str, port: int, workers: int, options: list[str]
    ) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), *options, app]
        return self.start(name, *command)

    def stop(self, *processes: subprocess.Popen[bytes]) -> None:
        """Stop the given processes (all when none is given): TERM, then KILL after 10 s."""
        chosen = list(processes) or list(self.running)
        for process in chosen:
            if process.poll() is None:
                process.terminate()
        for process in chosen:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.running.remove(process)


class ConfirmationWatch:
    """Poll the fake Twilio's message count; note when it first reaches a target."""

    def __init__(self, twilio: FakeTwilio) -> None:
        self.twilio = twilio
        self.target = 0
        self.reached_at: float | None = None
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def expect(self, target: int) -> None:
        self.target, self.reached_at = target, None

    def _poll(self) -> None:
        while not self._stop.wait(0.05):
            self.count = len(self.twilio.messages)
            if self.reached_at is None and self.target and self.count >= self.target:
                self.reached_at = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def prepare_database(url: str, env: dict[str, str], logs: Path) -> None:
    """Make the bench's own database anew, migrate it and register the campaigns.

    Anew each run: a database another checkout migrated may sit at a revision this one has
    on another branch of its history, or lacks, and `db upgrade` would go wrong from there.
    """
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    with open(logs / "db-upgrade.log", "ab") as log:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "bot", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=log,
            stderr=log,
        )


def database_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    queries = {
        "signatures": "SELECT count(*) FROM signatures",
        "yes": "SELECT count(*) FROM consent_events WHERE kind = 'opt_in'",
        "inbound": "SELECT count(*) FROM messages WHERE direction = 'in'",
        "confirmations_sent": "SELECT count(*) FROM messages"
        " WHERE kind = 'confirmation' AND sid IS NOT NULL",
    }
    with engine.connect() as connection:
        counts = {name: int(connection.scalar(text(sql)) or 0) for name, sql in queries.items()}
    engine.dispose()
    return counts


def run_loadgen(processes: Processes, spec: dict[str, Any]) -> dict[str, Any]:
    """Run bench/loadgen.py in its own process and return its result."""
    process = processes.start(
        spec["label"].replace(" ", "-"),
        sys.executable,
        str(BENCH / "loadgen.py"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,  # progress lines go straight to this terminal
    )
    out, _ = process.communicate(json.dumps(spec).encode())
    processes.running.remove(process)
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


def drive_paced(
    processes: Processes,
    spec: dict[str, Any],
    watch: ConfirmationWatch,
    rate: float,
    seconds: float,
    first: int,
) -> tuple[dict[str, Any], int]:
    """Run new supporters, from number ``first``, at ``rate`` texts/s for ``seconds``.

    Return the load generator's result and how many supporters it ran.
    """
    m = max(1, round(rate * seconds / 4))
    note(f"paced: {m:,} supporters, {4 * m:,} texts at {rate:,.0f} texts/s")
    watch.expect(first + m)
    result = run_loadgen(
        processes,
        {
            **spec,
            "label": "paced",
            "mode": "paced",
            "rate": rate,
            "first": first,
            "supporters": m,
            "tag": 2,
        },
    )
    return result, m


def _kept_up(result: dict[str, Any], rate: float) -> bool:
    return bool(result["texts_per_s"] >= 0.95 * rate)


def settle(
    watch: ConfirmationWatch, database_url: str, signers: int, timeout: float
) -> dict[str, int]:
    """Wait until every signer is signed and confirmed (or the timeout), showing progress."""
    deadline = time.monotonic() + timeout
    last_note = 0.0
    while True:
        counts = database_counts(database_url)
        done = counts["signatures"] >= signers and watch.count >= signers
        now = time.monotonic()
        if done or now >= deadline:
            return counts
        if now - last_note >= 5:
            note(
                f"  settling: {counts['signatures']:,}/{signers:,} signatures,"
                f" {watch.count:,}/{signers:,} confirmations at the fake Twilio"
            )
            last_note = now
        time.sleep(0.5)


def note(line: str, stream: TextIO = sys.stderr) -> None:
    print(line, file=stream, flush=True)


class CpuMeter:
    """CPU time by role, read from /proc, so a busy neighbour on the machine shows in the report.

    Roles: the web processes, the job workers (and their descendants), PostgreSQL backends on
    the bench database, Redis, this script (the fake Twilio), and everything else. The load
    generator counts its own CPU and reports it.
    """

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self, database: str | None) -> None:
        self.database = database  # None: count no PostgreSQL or Redis (the bare baseline)
        self.roles: dict[str, list[int]] = {}

    def watch(self, role: str, pid: int) -> None:
        self.roles.setdefault(role, []).append(pid)

    def snapshot(self) -> dict[str, float]:
        """Return CPU seconds used so far per role, and the machine's busy and total seconds."""
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        seconds: dict[str, float] = defaultdict(float)
        for role, pids in self.roles.items():
            stack = list(pids)
            while stack:
                pid = stack.pop()
                if pid in table:
                    seconds[role] += table[pid][2]
                    stack.extend(children.get(pid, []))
        for _, command, cpu in table.values() if self.database else ():
            if command.startswith("postgres: ") and f" {self.database} " in command:
                seconds["postgres"] += cpu
            elif command.startswith("redis-server"):
                seconds["redis"] += cpu
        own = os.times()
        seconds["fake Twilio (this script)"] = own.user + own.system
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        seconds["machine busy"] = (sum(ticks) - ticks[3] - ticks[4]) / self.HZ
        seconds["machine total"] = sum(ticks) / self.HZ
        return dict(seconds)


def _process_table() -> dict[int, tuple[int, str, float]]:
    """Return every process's parent, command line and CPU seconds (user + system)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / CpuMeter.HZ
        table[int(entry)] = (int(fields[1]), command, cpu)
    return table


def cpu_lines(
    before: dict[str, float], after: dict[str, float], loadgen_cpu: float, texts: int
) -> list[tuple[str, str]]:
    """Return (name, value) lines: each role's share of the machine and CPU ms per text."""
    wall_cpu = after["machine total"] - before["machine total"]  # cores x seconds
    used = {
        role: after.get(role, 0.0) - before.get(role, 0.0)
        for role in after
        if not role.startswith("machine")
    }
    used["load generator"] = loadgen_cpu
    busy = after["machine busy"] - before["machine busy"]
    used["other processes on this machine"] = max(0.0, busy - sum(used.values()))
    lines = []
    for role, cpu in sorted(used.items(), key=lambda item: -item[1]):
        lines.append(
            (
                f"  {role}",
                f"{100 * cpu / wall_cpu:4.1f}% of the machine,"
                f" {1000 * cpu / texts:5.2f} ms CPU per text",
            )
        )
    lines.append(("  idle", f"{max(0.0, 100 * (1 - busy / wall_cpu)):4.1f}% of the machine"))
    return lines


class RunLock:
    """Keep two runs off one bench database and Redis: advisory locks held for the whole run."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        url = make_url(database_url)
        self.engine = create_engine(url.set(database="postgres"))
        self.keys = [f"bench/surge db {url.database}", f"bench/surge redis {redis_url}"]
        self.connection: Any = None

    def __enter__(self) -> RunLock:
        self.connection = self.engine.connect()
        for key in self.keys:
            taken = self.connection.scalar(
                text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": key}
            )
            if not taken:
                self.__exit__()
                raise SystemExit(f"another bench/surge.py run holds {key!r}; wait for it to finish")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.connection is not None:
            self.connection.close()  # ends the session, and its advisory locks with it
            self.connection = None
        self.engine.dispose()


class Profiler:
    """py-spy recording each web and job worker process, stopped with SIGINT to write its file."""

    def __init__(self, processes: Processes) -> None:
        found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.executable = found if Path(found).exists() else None
        self.processes = processes
        self.recording: list[tuple[str, Path, subprocess.Popen[bytes]]] = []

    def start(self, kind: str, pid: int) -> None:
        if self.executable is None:
            return
        out = self.processes.logs / f"py-spy-{kind}-{pid}.raw"
        command = [self.executable, "record", "-p", str(pid), "-r", "100", "--nonblocking"]
        process = self.processes.start(
            f"py-spy-{kind}-{pid}", *command, "-f", "raw", "-o", str(out)
        )
        self.recording.append((kind, out, process))

    def stop(self) -> dict[str, list[Path]]:
        """Stop recording; return the sample files by kind."""
        for _, _, process in self.recording:
            process.send_signal(signal.SIGINT)
        files: dict[str, list[Path]] = {}
        for kind, out, process in self.recording:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.processes.running.remove(process)
            if out.exists():
                files.setdefault(kind, []).append(out)
        self.recording.clear()
        return files


class Report:
    """The figures, printed at the end in one block (progress goes to stderr meanwhile)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, title: str) -> None:
        self.lines.append(f"\n== {title} ==")

    def figure(self, name: str, value: str) -> None:
        self.lines.append(f"{name + ':':<44}{value}")

    def latencies(self, result: dict[str, Any], what: str = "webhook latency") -> None:
        for share in ("p50", "p95", "p99"):
            self.figure(f"{what} {share}", f"{result[share + '_ms']:,.1f} ms")
        steps = result["by_step"]
        self.figure(
            "  p50 / p99 by text",
            ", ".join(f"{name} {v['p50_ms']:,.0f}/{v['p99_ms']:,.0f}" for name, v in steps.items())
            + " ms",
        )

    def errors(self, result: dict[str, Any]) -> None:
        errors = result["errors"]
        detail = ", ".join(f"{count} x {status}" for status, count in sorted(errors.items()))
        self.figure(
            "errors (non-200 answers)",
            f"{sum(errors.values())}" + (f" ({detail})" if detail else ""),
        )
        for sample in result["error_samples"]:
            self.lines.append(f"    e.g. {sample}")

    def print(self) -> None:
        print("\n".join(self.lines), flush=True)


def duplicates(twilio: FakeTwilio) -> tuple[int, int]:
    """Return the phones with more than one message at the fake Twilio, and the extra messages."""
    per_phone = Counter(message.to for message in twilio.messages)
    doubled = [count for count in per_phone.values() if count > 1]
    return len(doubled), sum(doubled) - len(doubled)


def run(args: argparse.Namespace, processes: Processes, twilio: FakeTwilio, report: Report) -> int:
    """Run the phases and fill the report; return the exit status."""
    exit_status = 0
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    processes.env.update(
        {
            "BOT_ENV": "production",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": BOT_NUMBER,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "PUBLIC_BASE_URL": base_url,
            "SECRET_KEY": "a bench key, long enough for production rules",
            "CAMPAIGNS_DIR": campaigns_folder(),
        }
    )
    note(f"preparing {make_url(args.database_url).database} and {args.redis_url}")
    redis = Redis.from_url(args.redis_url)
    redis.flushdb()
    redis.close()
    prepare_database(args.database_url, processes.env, processes.logs)

    note(f"starting gunicorn ({args.web_workers} workers) and {args.workers} job worker(s)")
    web = processes.gunicorn("web", "bot:create_app()", port, args.web_workers, args.web_options)
    workers = [
        processes.start(f"worker-{n}", sys.executable, "-m", "worker") for n in range(args.workers)
    ]
    wait_for(lambda: answers(base_url + "/healthz", expect_ok=True), 60, "/healthz")
    meter = CpuMeter(make_url(args.database_url).database or "")
    meter.watch("web (gunicorn)", web.pid)
    for worker in workers:
        meter.watch("job workers", worker.pid)

    spec = {
        "host": "127.0.0.1",
        "port": port,
        "public_base_url": base_url,
        "auth_token": twilio.auth_token,
        "account_sid": twilio.account_sid,
        "bot_number": BOT_NUMBER,
        "concurrency": args.connections,
    }
    n = args.supporters
    watch = ConfirmationWatch(twilio)
    try:
        # 1. The surge.
        note(f"surge: {n:,} supporters x 4 texts over {args.connections} connections")
        watch.expect(n)
        profiler = Profiler(processes)
        if args.profile:
            if profiler.executable is None:
                note("--profile: py-spy not found; pip install py-spy into this virtualenv")
            table = _process_table()
            for pid, (ppid, _, _) in table.items():
                if ppid == web.pid:
                    profiler.start("web", pid)
            for worker in workers:
                profiler.start("jobs", worker.pid)
        before = meter.snapshot()
        surge = run_loadgen(
            processes,
            {**spec, "label": "surge", "mode": "closed", "first": 0, "supporters": n, "tag": 1},
        )
        surge_cpu = cpu_lines(before, meter.snapshot(), surge["cpu_s"], surge["texts"])
        profiles = profiler.stop()
        counts = settle(watch, args.database_url, n, args.settle_timeout)
        dup_phones, dup_extra = duplicates(twilio)
        report.heading(
            f"real webhook: {n:,} supporters x 4 texts, {args.connections} connections,"
            f" {args.web_workers} web + {args.workers} job workers"
        )
        report.figure("texts sent", f"{surge['texts']:,}")
        report.figure("wall time of the drive", f"{surge['wall_s']:,.1f} s")
        report.figure("texts/s handled", f"{surge['texts_per_s']:,.0f} texts/s")
        report.latencies(surge)
        report.figure("webhook latency max", f"{surge['max_ms']:,.1f} ms")
        if watch.reached_at is not None:
            report.figure(
                "first text to last confirmation sent",
                f"{watch.reached_at - surge['started']:,.1f} s"
                f" ({watch.reached_at - surge['finished']:,.1f} s after the last text)",
            )
        else:
            report.figure(
                "first text to last confirmation sent",
                f"not reached: {watch.count:,} of {n:,} confirmations"
                f" {args.settle_timeout:.0f} s after the drive",
            )
        report.figure(
            "signatures in database", f"{counts['signatures']:,} (supporters who said YES: {n:,})"
        )
        report.figure("YES consent events stored", f"{counts['yes']:,}")
        report.figure("inbound texts stored", f"{counts['inbound']:,} of {4 * n:,}")
        report.figure(
            "duplicate confirmations", f"{dup_phones} phones ({dup_extra} extra messages)"
        )
        report.errors(surge)
        report.figure("CPU during the drive", "")
        for name, value in surge_cpu:
            report.figure(name, value)
        for kind, files in profiles.items():
            report.lines.append(
                f"where the {kind} processes' time went (py-spy, share of samples):"
            )
            report.lines.extend(hotspot_table(kind, files))
        if counts["signatures"] != n:
            report.lines.append(
                f"!! LOST SIGNATURES: {counts['signatures']:,} stored for {n:,} YES"
            )
            exit_status = 1

        # 2. The paced run: open loop at --rate, for the p99 latency at that rate.
        signers = n
        if args.rate > 0:
            paced, m = drive_paced(processes, spec, watch, args.rate, args.paced_seconds, signers)
            signers += m
            counts = settle(watch, args.database_url, signers, args.settle_timeout)
            dup_phones, dup_extra = duplicates(twilio)
            report.heading(
                f"paced: real webhook at {args.rate:,.0f} texts/s (open loop),"
                f" {4 * m:,} texts over {args.connections} connections"
            )
            pace = (
                "kept up"
                if _kept_up(paced, args.rate)
                else "fell behind: latencies include the backlog"
            )
            report.figure(
                "texts/s achieved",
                f"{paced['texts_per_s']:,.0f} texts/s of {args.rate:,.0f} scheduled ({pace})",
            )
            report.latencies(paced, "latency from scheduled send")
            within = "within" if paced["p99_ms"] < LATENCY_LIMIT_MS else "over"
            report.figure(f"p99 < {LATENCY_LIMIT_MS:.0f} ms at {args.rate:,.0f} texts/s", within)
            report.figure(
                "signatures in database (both runs)",
                f"{counts['signatures']:,} (supporters who said YES: {signers:,})",
            )
            report.figure(
                "duplicate confirmations (both runs)", f"{dup_phones} phones ({dup_extra} extra)"
            )
            report.errors(paced)

        # 3. The capacity search: the rate this machine carries with p99 within the limit.
        if args.capacity:
            report.heading(
                f"capacity: the highest paced rate with p99 < {LATENCY_LIMIT_MS:.0f} ms"
                f" ({CAPACITY_STEPS} paced runs of {args.paced_seconds:g} s, bisecting up to"
                " the surge's texts/s)"
            )
            low, high = 0.0, surge["texts_per_s"]
            best: tuple[float, dict[str, Any]] | None = None
            for _ in range(CAPACITY_STEPS):
                rate = max(1.0, float(round((low + high) / 2)))
                tried, m = drive_paced(processes, spec, watch, rate, args.paced_seconds, signers)
                signers += m
                counts = settle(watch, args.database_url, signers, args.settle_timeout)
                # Latency counts from each text's slot, so a server that fell behind is over.
                within = tried["p99_ms"] < LATENCY_LIMIT_MS
                report.figure(
                    f"  at {rate:,.0f} texts/s",
                    f"{tried['texts_per_s']:,.0f} achieved, p99 {tried['p99_ms']:,.1f} ms:"
                    f" {'within' if within else 'over'}, {sum(tried['errors'].values())} errors",
                )
                if within:
                    low, best = rate, (rate, tried)
                else:
                    high = rate
            report.figure(
                f"highest rate with p99 < {LATENCY_LIMIT_MS:.0f} ms",
                "none of those tried"
                if best is None
                else f"{best[0]:,.0f} texts/s (p99 {best[1]['p99_ms']:,.1f} ms)",
            )
            dup_phones, dup_extra = duplicates(twilio)
            report.figure(
                "signatures in database (all runs)",
                f"{counts['signatures']:,} (supporters who said YES: {signers:,})",
            )
            report.figure(
                "duplicate confirmations (all runs)", f"{dup_phones} phones ({dup_extra} extra)"
            )
        if signers > n and counts["signatures"] != signers:
            report.lines.append(
                f"!! LOST SIGNATURES: {counts['signatures']:,} stored for {signers:,} YES"
            )
            exit_status = 1
    finally:
        watch.stop()
        processes.stop(web, *workers)

    # 4. The baselines: same gunicorn settings, same client, same number of requests.
    if not args.skip_bare:
        bare = baseline(args, processes, spec, report, "bare", surge["texts"])
        floor = None
        if args.floor:
            floor = baseline(args, processes, spec, report, "floor", surge["texts"])
        report.heading("summary")
        report.figure("real / bare throughput", f"{surge['texts_per_s'] / bare['texts_per_s']:.2f}")
        if floor is not None:
            report.figure(
                "floor / bare throughput",
                f"{floor['texts_per_s'] / bare['texts_per_s']:.2f}"
                " (the most real / bare can reach in this stack)",
            )
    else:
        report.heading("summary")
    if args.rate > 0:
        report.figure(f"p99 at {args.rate:,.0f} texts/s paced", f"{paced['p99_ms']:,.1f} ms")
    return exit_status


BASELINES = {
    # name: (the app gunicorn serves, what the report calls it, counts PostgreSQL and Redis,
    # the MessageSids' tag: the floor app stores its texts beside the surge's)
    "bare": ("bench.bare_app:create_app()", "bare baseline", False, 3),
    "floor": ("bench.floor_app:create_app()", "floor baseline (bench/floor_app.py)", True, 4),
}


def baseline(
    args: argparse.Namespace,
    processes: Processes,
    spec: dict[str, Any],
    report: Report,
    name: str,
    texts: int,
) -> dict[str, Any]:
    """Drive the surge's supporters through a baseline app under the same gunicorn and client."""
    app, title, uses_services, tag = BASELINES[name]
    note(f"{title}: {app} under the same gunicorn settings")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    web = processes.gunicorn(name, app, port, args.web_workers, args.web_options)
    try:
        wait_for(lambda: answers(url + "/", expect_ok=False), 60, f"the {name} app")
        meter = CpuMeter(make_url(args.database_url).database if uses_services else None)
        meter.watch("web (gunicorn)", web.pid)
        before = meter.snapshot()
        result = run_loadgen(
            processes,
            {
                **spec,
                "port": port,
                "public_base_url": url,
                "label": name,
                "mode": "closed",
                "first": 0,
                "supporters": args.supporters,
                "tag": tag,
            },
        )
        cpu = cpu_lines(before, meter.snapshot(), result["cpu_s"], result["texts"])
    finally:
        processes.stop(web)
    report.heading(f"{title}: {texts:,} texts, same gunicorn and client")
    report.figure("texts/s handled", f"{result['texts_per_s']:,.0f} texts/s")
    report.latencies(result, "latency")
    report.errors(result)
    report.figure("CPU during the drive", "")
    for line, value in cpu:
        report.figure(line, value)
    return result


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: stop like a Ctrl-C."""


def revision() -> str:
    """Return the checkout's commit, marked when the working tree has uncommitted changes."""
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, check=True
            )
            .stdout.decode()
            .strip()
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with uncommitted changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="surge-"))
    report = Report()
    started = datetime.now(UTC)
    report.lines.append(
        f"bench/surge.py {started:%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} cores,"
        f" Python {platform.python_version()}; logs in {logs}"
    )
    report.lines.append(
        f"code: {revision()}; load average before the run: {os.getloadavg()[0]:.2f}"
    )
    report.lines.append(
        f"options: --supporters {args.supporters} --web-workers {args.web_workers}"
        f" --workers {args.workers} --connections {args.connections} --rate {args.rate:g}"
        f" --twilio-latency {args.twilio_latency:g}"
        + (" --sync" if args.sync else "")
        + (f" --gunicorn-args {args.gunicorn_args!r}" if args.gunicorn_args else "")
    )
    report.lines.append(f"gunicorn: --workers {args.web_workers} {shlex.join(args.web_options)}")

    def terminate(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    # Also when started in the background, where a shell leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    processes = Processes(dict(os.environ), logs)
    exit_status = 1
    with (
        RunLock(args.database_url, args.redis_url),
        FakeTwilio(latency=args.twilio_latency) as twilio,
    ):
        try:
            exit_status = run(args, processes, twilio, report)
        except (KeyboardInterrupt, Interrupted) as stop:
            signum = stop.args[0] if isinstance(stop, Interrupted) else signal.SIGINT
            note(f"interrupted ({signal.Signals(signum).name}); stopping every process it started")
            report.lines.append(
                f"\n!! interrupted by {signal.Signals(signum).name}: figures incomplete"
            )
            exit_status = 128 + signum
        finally:
            processes.stop()
    report.figure("run time", f"{(datetime.now(UTC) - started).total_seconds():,.0f} s")
    report.print()
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
