"""The worker runs jobs on the bot's services alone, without building the web app."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.config import load_settings
from bot.services import build_services, jobs_app
from store.models import Signature
from worker.lean import LeanWorker


def test_the_worker_signs_a_yes_with_services_built_without_the_web_app(
    phone, settings, tmp_path
) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)  # the web app stores the YES and queues its job
    svc = build_services(load_settings({}, settings, instance_path=str(tmp_path)))
    bare = jobs_app(svc)
    assert bare.blueprints == {}
    assert "csrf" not in bare.extensions and "login_manager" not in dir(bare)
    try:
        with bare.app_context():
            LeanWorker(list(svc.queues.values()), connection=svc.redis).work(
                burst=True, with_scheduler=False
            )
        with svc.db() as session:
            assert session.scalar(select(func.count(Signature.id))) == 1
        assert len(phone.texts_received()) == 1  # the confirmation
    finally:
        svc.db.kw["bind"].dispose()
        svc.redis.close()
