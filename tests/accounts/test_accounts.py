"""The account rules under load: two admins stepping down at the same moment."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from bot.accounts import accounts
from bot.accounts.accounts import AccountError
from store.models import User

PASSWORD = "a long passphrase"


def waiting_on_locks(svc) -> int:
    with svc.db() as session:
        return session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )


def test_two_admins_demoting_each_other_at_once_leave_one_admin(svc) -> None:
    alex = accounts.create_account(svc, "alex@example.org", "admin", PASSWORD)
    bea = accounts.create_account(svc, "bea@example.org", "admin", PASSWORD)
    refused: list[str] = []

    def demote(account_id: int) -> None:
        try:
            accounts.set_role(svc, account_id, "organizer")
        except AccountError as error:
            refused.append(str(error))

    # Hold both rows so that the two requests queue up behind the same moment.
    with svc.db.begin() as session:
        session.scalars(select(User).with_for_update()).all()
        threads = [threading.Thread(target=demote, args=(a.id,)) for a in (alex, bea)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while waiting_on_locks(svc) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=10)
    roles = sorted(a.role for a in accounts.listing(svc))
    assert roles == ["admin", "organizer"]
    assert len(refused) == 1 and "is the last active admin" in refused[0]
