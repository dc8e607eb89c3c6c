"""Sort py-spy samples of the bot's processes into the steps of a text's path.

``bench/surge.py --profile`` records each gunicorn worker and job worker with
``py-spy record --format raw`` during the surge and prints these tables. By hand:

    py-spy record -p PID --nonblocking -r 100 -f raw -o web.raw   # Ctrl-C to stop
    python bench/hotspots.py web web.raw

A sample counts for the deepest step on its stack, so "store the inbound text" is what that step
costs beyond the steps named inside it. Only samples of threads py-spy saw running are recorded:
time spent waiting in a socket read shows when py-spy judged the thread active.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# (step, function, file it is defined in); the deepest match on a stack wins.
WEB_STEPS = [
    ("Flask and werkzeug around the view", "Flask.wsgi_app", "flask/app.py"),
    ("the view itself (inbound_text)", "inbound_text", "bot/inbound/webhooks.py"),
    (
        "signature check (twilio RequestValidator)",
        "require_twilio_signature",
        "bot/inbound/webhooks.py",
    ),
    ("form parsing and phonenumbers", "_parse_inbound", "bot/inbound/webhooks.py"),
    (
        "phone's turn begins (Redis: budget, lock, state)",
        "PhoneTurns.begin",
        "bot/inbound/phone_turns.py",
    ),
    (
        "phone's turn ends (Redis: state saved, lock freed)",
        "PhoneTurns.end",
        "bot/inbound/phone_turns.py",
    ),
    ("transaction begin and commit", "_converse", "bot/inbound/pipeline.py"),
    (
        "store the inbound text (INSERT … ON CONFLICT DO NOTHING)",
        "_store_inbound",
        "bot/inbound/pipeline.py",
    ),
    ("supporter_facts (one SELECT: profile, signed)", "supporter_facts", "store/records.py"),
    ("conversation engine step", "step", "conversations/engine.py"),
    ("apply effects (funnel row, other effects)", "_apply", "bot/inbound/pipeline.py"),
    ("replies (one INSERT … RETURNING ids)", "_store_replies", "bot/inbound/pipeline.py"),
    ("YES: supporter profile and consent event rows", "_consent", "bot/inbound/pipeline.py"),
    ("YES: queue record_signature (RQ)", "Services.enqueue", "bot/services.py"),
    ("TwiML answer", "_twiml", "bot/inbound/webhooks.py"),
]
JOB_STEPS = [
    ("RQ worker loop (dequeue, registries, results, heartbeats)", "BaseWorker.work", "rq/"),
    ("record_signature", "record_signature", "bot/campaigns/signing.py"),
    ("send_message", "send_message", "bot/outbound/jobs.py"),
    ("send_message: may it go? (suppression, quiet hours)", "_may_send", "bot/outbound/jobs.py"),
    ("send_message: the twilio client's HTTP call", "TwilioSender.send", "bot/outbound/senders.py"),
    ("logging", "Logger._log", "logging/"),
    ("recovery sweep thread", "sweep_forever", "worker/__main__.py"),
]
STEPS = {"web": WEB_STEPS, "jobs": JOB_STEPS}
FRAME = re.compile(r"^(.*) \((.*?):\d+\)$")


def read_samples(paths: Iterable[Path]) -> Counter[str]:
    """Return py-spy raw (collapsed) stacks with their sample counts, over all ``paths``."""
    stacks: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[stack] += int(count)
    return stacks


def by_step(stacks: Counter[str], steps: list[tuple[str, str, str]]) -> list[tuple[float, str]]:
    """Return each step's share of all samples, largest first."""
    found: Counter[str] = Counter()
    for stack, count in stacks.items():
        step = "outside the steps above (server loop, startup, idle threads)"
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            if match is None:
                continue
            function, path = match.groups()
            for name, wanted, where in steps:
                if function == wanted and where in path:
                    step = name
        found[step] += count
    total = sum(found.values()) or 1
    return [(count / total, step) for step, count in found.most_common()]


def table(kind: str, paths: Iterable[Path]) -> list[str]:
    """Return the lines of one table: share of samples and step."""
    stacks = read_samples(paths)
    lines = [f"  {share:6.1%}  {step}" for share, step in by_step(stacks, STEPS[kind])]
    return [f"  ({sum(stacks.values()):,} samples)", *lines]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in STEPS:
        raise SystemExit("usage: python bench/hotspots.py web|jobs FILE.raw [FILE.raw …]")
    print("\n".join(table(argv[0], [Path(p) for p in argv[1:]])))


if __name__ == "__main__":
    main(sys.argv[1:])
