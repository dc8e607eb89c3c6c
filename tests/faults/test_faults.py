"""Faults on the worst day: a flood from one phone, Redis restarted empty, a phone's turn stuck
behind a dead process, PostgreSQL away, PostgreSQL dropping the pool's connections, Twilio
failing for a while, Twilio delivering the same webhook twice.

Each fault is real: a redis-server of the test's own is killed and restarted empty; the
database is reached through a TCP proxy the test cuts, or ends the pool's sessions itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from helpers import BOT_NUMBER, Phone, post_signed
from redis import Redis
from rq.scheduler import RQScheduler
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from tcp_proxy import Proxy
from test_processes import free_port, wait_for

from bot import create_app, database
from bot.inbound import phone_turns
from bot.recovery import drain_spool, requeue_unfinished
from bot.services import Services, services
from store.models import ConsentEvent, Message, Signature, Supporter
from worker.lean import LeanWorker

ALICE, BOB, CAROL = "+14045550131", "+14045550132", "+14045550133"


def count(svc: Services, query: Any) -> int:
    with svc.db() as session:
        return int(session.scalar(query) or 0)


def inbound_count(svc: Services, phone: str, status: str | None = None) -> int:
    query = select(func.count(Message.id)).where(Message.direction == "in", Message.phone == phone)
    if status:
        query = query.where(Message.status == status)
    return count(svc, query)


def run_jobs(svc: Services) -> None:
    LeanWorker(list(svc.queues.values()), connection=svc.redis).work(
        burst=True, with_scheduler=False
    )


@pytest.fixture
def own_app(settings: dict[str, Any], app: Flask) -> Iterator[Any]:
    """Build an app with changed settings; the ``app`` fixture has emptied the database."""
    made: list[Flask] = []

    def make(**changes: str) -> Flask:
        new = create_app(settings | changes)
        made.append(new)
        return new

    yield make
    for each in made:
        with each.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()


def test_a_flood_from_one_phone_is_throttled_for_that_phone_alone(
    phone, client, twilio, svc
) -> None:
    moment = svc.clock()
    svc.clock = lambda: moment  # the whole flood falls in one throttle window
    replies = sum(len(phone.text(f"flood {n}")) for n in range(60))
    # Twilio's loop guard stops a conversation at 15 replies in 30 seconds.
    assert replies <= 12
    assert inbound_count(svc, phone.number) == 60  # every text is kept
    assert inbound_count(svc, phone.number, "throttled") == 48
    neighbour = Phone(client, twilio, ALICE)
    assert "What's your full name?" in neighbour.text("FACES")[0]


def test_stop_gets_through_a_flood(phone, svc) -> None:
    for n in range(30):
        phone.text(f"flood {n}")
    assert phone.text("STOP") != []
    with svc.db() as session:
        from store.models import Supporter

        supporter = session.scalars(select(Supporter)).one()
    assert supporter.opted_out_at is not None


def test_a_webhook_delivered_twice_with_an_idempotency_token_counts_once(
    client, twilio, svc
) -> None:
    params = {"MessageSid": "SM" + "7" * 32, "From": ALICE, "To": BOT_NUMBER, "Body": "FACES"}
    headers = {"I-Twilio-Idempotency-Token": "token-1"}
    from helpers import PUBLIC_BASE_URL
    from twilio_signing import signed_headers

    signed = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", params) | headers
    first = client.post("/sms", data=params, headers=signed)
    again = client.post("/sms", data=params, headers=signed)
    # The turn ran once; the retry carries the reply Twilio never took, under the same row.
    assert "<Message" in first.get_data(as_text=True)
    assert again.get_data(as_text=True) == first.get_data(as_text=True)
    assert inbound_count(svc, ALICE) == 1


def test_twilio_failing_for_a_while_loses_and_doubles_nothing(client, twilio, svc) -> None:
    twilio.fail_next(2, status=500)
    twilio.fail_next(1, status=429)
    for number in (ALICE, BOB, CAROL):
        sender = Phone(client, twilio, number)
        for body in ("FACES", "Jane Doe", "30303", "YES"):
            sender.text(body)
    run_jobs(svc)  # each send fails once and waits for RQ's retry
    assert twilio.requests >= 3
    scheduler = RQScheduler(list(svc.queues.values()), connection=svc.redis)
    # The registries to watch, named here: a scheduler that has not won the queues' locks
    # (another process may hold them) would otherwise watch none.
    scheduler.prepare_registries(list(svc.queues))
    deadline = time.monotonic() + 30
    while len(twilio.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)  # the first retry comes 2 seconds later, as RQ's scheduler sees it
        scheduler.enqueue_scheduled_jobs()
        run_jobs(svc)
    requeue_unfinished(svc)
    run_jobs(svc)
    assert sorted(m.to for m in twilio.messages) == [ALICE, BOB, CAROL]


@pytest.fixture
def private_redis() -> Iterator[Any]:
    """A redis-server of this test's own, which it may kill and restart empty."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        probe = Redis(port=port)
        wait_for(lambda: _pings(probe), 10, "redis-server to start")
        probe.close()

    def kill() -> None:
        os.kill(processes[-1].pid, signal.SIGKILL)
        processes[-1].wait()

    start()
    yield type(
        "PrivateRedis", (), {"url": f"redis://127.0.0.1:{port}/0", "start": start, "kill": kill}
    )
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _pings(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except OSError:
        return False
    except Exception:
        return False


def test_redis_restarted_empty_loses_no_yes_and_conversations_restart(
    own_app, private_redis, twilio
) -> None:
    app = own_app(REDIS_URL=private_redis.url)
    with app.app_context():
        svc = services()
        client = app.test_client()
        alice, bob, carol = (Phone(client, twilio, n) for n in (ALICE, BOB, CAROL))
        for body in ("FACES", "Alice Doe", "30303", "YES"):
            alice.text(body)  # her signature job waits in Redis
        bob.text("FACES")
        bob.text("Bob Doe")
        private_redis.kill()
        # Redis is away: the webhook still answers, and keeps the texts in the database.
        assert bob.text("30303") == []
        assert carol.text("FACES") == []
        private_redis.start()  # back, and empty: the queued jobs and the states are gone
        found = requeue_unfinished(svc)
        assert (found.signatures, found.texts) == (1, 2)
        run_jobs(svc)
        assert count(svc, select(func.count(Signature.id))) == 1
        texts = {m.to: m.body for m in twilio.messages}
        assert "you're signer #1" in texts[ALICE]
        # Bob's ZIP came after his state was lost: he is told how to start again.
        assert "Text FACES to" in texts[BOB]
        assert "What's your full name?" in texts[CAROL]


def test_a_start_stored_while_redis_was_away_never_undoes_a_newer_stop(
    own_app, private_redis, twilio
) -> None:
    app = own_app(REDIS_URL=private_redis.url)
    with app.app_context():
        svc = services()
        alice = Phone(app.test_client(), twilio, ALICE)
        alice.text("STOP")
        private_redis.kill()
        assert alice.text("START") == []  # stored, to answer later
        private_redis.start()
        alice.text("STOP")  # answered at once: nothing marked the START before it
        assert requeue_unfinished(svc).texts == 1
        run_jobs(svc)
        assert consent_kinds(svc, ALICE) == ["opt_out", "opt_out"]
        with svc.db() as session:
            supporter = session.scalars(select(Supporter)).one()
        assert supporter.opted_out_at is not None
        assert alice.texts_received() == []  # no "subscribed again"


def test_a_yes_behind_a_stuck_turn_is_stored_and_signed_later(
    client, twilio, svc, monkeypatch
) -> None:
    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.3)
    alice = Phone(client, twilio, ALICE)
    for body in ("FACES", "Alice Doe", "30303"):
        alice.text(body)
    stuck = svc.turns.begin(ALICE)  # as a web process that died holding the phone's lock
    # Answered at once (Twilio would drop it after 15 s), and kept in the database.
    assert alice.text("YES") == []
    assert inbound_count(svc, ALICE, status="unprocessed") == 1
    svc.turns.end(stuck)  # the lock expires
    assert requeue_unfinished(svc).texts == 1
    run_jobs(svc)
    assert count(svc, select(func.count(Signature.id))) == 1
    assert "you're signer #1" in alice.texts_received()[-1]


def test_the_text_after_a_stuck_turn_waits_for_the_one_stored_behind_it(
    client, twilio, svc, monkeypatch
) -> None:
    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.3)
    alice = Phone(client, twilio, ALICE)
    alice.text("FACES")
    alice.text("Alice Doe")
    stuck = svc.turns.begin(ALICE)
    assert alice.text("30303") == []  # stored behind the stuck turn
    svc.turns.end(stuck)
    # Her YES comes before any sweep: her ZIP is answered first, then the YES signs.
    alice.text("YES")
    run_jobs(svc)
    assert count(svc, select(func.count(Signature.id))) == 1
    consent, confirmation = alice.texts_received()
    assert "Reply YES to sign" in consent and "you're signer #1" in confirmation
    assert inbound_count(svc, ALICE, status="unprocessed") == 0
    assert not svc.turns.begin(BOB).deferred and not svc.turns.begin(ALICE).deferred


@pytest.fixture
def database_away(own_app, twilio, database_url) -> Iterator[Any]:
    """An app that reaches PostgreSQL through a proxy the test cuts (``.cut()``, ``.restore()``)."""
    url = make_url(database_url)
    with Proxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        app = own_app(DATABASE_URL=proxied.render_as_string(hide_password=False))
        with app.app_context():
            yield type("Away", (), {"proxy": proxy, "svc": services(), "client": app.test_client()})


def consent_kinds(svc: Services, phone: str) -> list[str]:
    with svc.db() as session:
        query = select(ConsentEvent.kind).where(ConsentEvent.phone == phone)
        return list(session.scalars(query.order_by(ConsentEvent.id)))


def test_postgresql_away_spools_texts_and_loses_none(database_away, twilio) -> None:
    svc, client, proxy = database_away.svc, database_away.client, database_away.proxy
    alice = Phone(client, twilio, ALICE)
    alice.text("FACES")
    alice.text("Alice Doe")
    proxy.cut()
    assert client.get("/healthz").status_code == 503
    assert alice.text("30303") == []  # answered at once, spooled in Redis
    assert alice.text("YES") == []
    assert len(svc.spool) == 2
    proxy.restore()
    assert client.get("/healthz").status_code == 200
    assert drain_spool(svc) == 2
    run_jobs(svc)
    assert count(svc, select(func.count(Signature.id))) == 1
    bodies = [m.body for m in twilio.messages]
    # The consent question came by the REST API, then the confirmation.
    assert "Reply YES to sign" in bodies[0] and "you're signer #1" in bodies[1]
    assert inbound_count(svc, ALICE) == 4


def test_a_stop_spooled_while_the_database_was_away_is_confirmed_once(
    database_away, twilio
) -> None:
    svc, alice = database_away.svc, Phone(database_away.client, twilio, ALICE)
    database_away.proxy.cut()
    assert alice.text("STOP") == []
    database_away.proxy.restore()
    assert drain_spool(svc) == 1
    run_jobs(svc)
    (confirmation,) = alice.texts_received()
    assert "You're unsubscribed" in confirmation
    requeue_unfinished(svc)  # nothing is owed any more: sent once
    run_jobs(svc)
    assert len(alice.texts_received()) == 1


def test_a_stop_stored_behind_a_stuck_turn_is_confirmed_once(
    client, twilio, svc, monkeypatch
) -> None:
    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.3)
    alice = Phone(client, twilio, ALICE)
    alice.text("FACES")
    stuck = svc.turns.begin(ALICE)
    assert alice.text("stop texting me") == []
    svc.turns.end(stuck)
    assert requeue_unfinished(svc).texts == 1
    run_jobs(svc)
    assert consent_kinds(svc, ALICE) == ["opt_out"]
    (confirmation,) = alice.texts_received()
    assert "You're unsubscribed" in confirmation
    requeue_unfinished(svc)
    run_jobs(svc)
    assert len(alice.texts_received()) == 1


def test_of_two_stops_handled_late_both_are_recorded_and_one_is_confirmed(
    database_away, twilio
) -> None:
    svc, alice = database_away.svc, Phone(database_away.client, twilio, ALICE)
    database_away.proxy.cut()
    alice.text("STOP")
    alice.text("please stop")
    database_away.proxy.restore()
    drain_spool(svc)
    run_jobs(svc)
    assert consent_kinds(svc, ALICE) == ["opt_out", "opt_out"]
    assert len(alice.texts_received()) == 1


PHONES = [f"+1404555{n:04d}" for n in range(200, 206)]


def test_a_stop_sent_after_the_database_returns_waits_behind_the_spooled_yes(
    database_away, twilio
) -> None:
    svc = database_away.svc
    phones = [Phone(database_away.client, twilio, number) for number in PHONES]
    for phone in phones:
        for body in ("FACES", "Jane Doe", "30303"):
            phone.text(body)
    database_away.proxy.cut()
    for phone in phones:
        assert phone.text("YES") == []  # spooled
    database_away.proxy.restore()
    for phone in phones:
        # Texted once the database is back, before the spool drains: it waits its turn.
        assert phone.text("STOP") == []
    assert drain_spool(svc) == 2 * len(phones)
    run_jobs(svc)
    with svc.db() as session:
        opted_out = session.scalar(
            select(func.count(Supporter.id)).where(Supporter.opted_out_at.is_not(None))
        )
    assert opted_out == len(phones)
    for phone in phones:
        # The YES signed, then the STOP withdrew: its confirmation goes, the signer's # not.
        assert consent_kinds(svc, phone.number) == ["opt_in", "opt_out"]
        (confirmation,) = phone.texts_received()
        assert "You're unsubscribed" in confirmation


def test_a_name_sent_after_the_database_returns_answers_the_spooled_keyword(
    database_away, twilio
) -> None:
    svc = database_away.svc
    phones = [Phone(database_away.client, twilio, number) for number in PHONES]
    database_away.proxy.cut()
    for phone in phones:
        phone.text("FACES")
    database_away.proxy.restore()
    for phone in phones:
        assert phone.text("Jane Doe") == []  # behind FACES, not the menu
        assert svc.turns.begin(phone.number).spooled
        svc.redis.delete(f"lock:phone:{{{phone.number}}}")
    drain_spool(svc)
    run_jobs(svc)
    for phone in phones:
        intro, ask_zip = phone.texts_received()
        assert "What's your full name?" in intro and "What's your 5-digit ZIP" in ask_zip
        assert not svc.turns.begin(phone.number).spooled  # drained: the next text goes at once
        svc.redis.delete(f"lock:phone:{{{phone.number}}}")
    assert "Reply YES to sign" in phones[0].text("30303")[0]


def drop_every_connection(database_url: str) -> None:
    """End every session on the test database, as a restart or a failover would."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()


def test_a_connection_dropped_since_its_last_text_is_replaced_and_the_text_answered(
    phone, svc, database_url, caplog
) -> None:
    phone.text("FACES")
    drop_every_connection(database_url)
    assert phone.text("Jane Doe") != []  # answered at once, not spooled
    assert len(svc.spool) == 0
    assert "trying once more" in caplog.text  # the pooled connection was not pinged


def test_a_connection_idle_for_a_while_is_pinged_before_use(
    phone, svc, database_url, caplog, monkeypatch
) -> None:
    phone.text("FACES")
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    drop_every_connection(database_url)
    assert phone.text("Jane Doe") != []
    assert len(svc.spool) == 0
    assert "trying once more" not in caplog.text  # the ping found it gone first


def test_a_delivery_report_on_a_dropped_connection_is_still_recorded(
    phone, client, twilio, svc, database_url
) -> None:
    phone.text("FACES")  # its reply is message 2
    drop_every_connection(database_url)
    params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered", "To": phone.number}
    response = post_signed(client, twilio.auth_token, "/sms/status?message_id=2", params)
    assert response.status_code == 200
    with svc.db() as session:
        assert session.get_one(Message, 2).status == "delivered"


def test_a_text_twilio_took_while_the_connection_dropped_is_stored_and_not_sent_again(
    phone, twilio, svc, database_url, monkeypatch
) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    send = svc.sender.send

    def send_then_lose_the_database(outgoing: Any) -> Any:
        sent = send(outgoing)
        drop_every_connection(database_url)  # a failover while Twilio had the text
        return sent

    monkeypatch.setattr(svc.sender, "send", send_then_lose_the_database)
    run_jobs(svc)
    with svc.db() as session:
        confirmation = session.scalars(select(Message).where(Message.kind == "confirmation")).one()
    assert confirmation.sid is not None and confirmation.status != "sending"
    requeue_unfinished(svc)
    run_jobs(svc)
    assert [m.to for m in twilio.messages] == [phone.number]
