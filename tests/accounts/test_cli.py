"""``flask --app bot users ...``: the same rules as the admins' page, from the terminal."""

from __future__ import annotations

import pytest
from helpers import log_in

from bot.accounts import accounts
from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience

PASSWORD = "a long passphrase"
ADMIN, ANA = "alex@example.org", "ana@example.org"


@pytest.fixture
def users(runner):
    """Run ``users ARGS``; Alex is the only admin and Ana an organizer."""

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=["users", *args], input=input)

    for email, role in ((ADMIN, "admin"), (ANA, "organizer")):
        made = run("create", email, "--role", role, "--password", PASSWORD)
        assert made.exit_code == 0, made.output
    return run


def test_list_shows_each_accounts_role_status_created_and_last_login(users, client, svc) -> None:
    log_in(client, svc, "field")
    users("disable", ANA)
    listed = users("list").output.splitlines()
    assert [line.split()[:3] for line in listed] == [
        [ADMIN, "admin", "active"],
        [ANA, "organizer", "disabled"],
        ["field@example.org", "field", "active"],
    ]
    assert listed[0].endswith("last login never")
    assert "created 20" in listed[0]
    assert "last login never" not in listed[2] and listed[2].endswith("Z")


def test_create_explains_what_it_refuses(users) -> None:
    again = users("create", ANA.upper(), "--password", PASSWORD)
    assert again.exit_code == 1
    assert f"there is already an account for {ANA}" in again.output
    short = users("create", "ben@example.org", "--password", "short")
    assert "a password needs at least 10 characters" in short.output


def test_role_gives_an_account_another_role(users, svc) -> None:
    changed = users("role", ANA, "admin")
    assert changed.exit_code == 0 and changed.output == f"{ANA} is now admin\n"
    assert accounts.by_email(svc, ANA).role == "admin"
    unknown = users("role", "nobody@example.org", "field")
    assert unknown.exit_code == 1 and "there is no account for nobody@example.org" in unknown.output


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("role", ADMIN, "organizer"), "cannot be given another role"),
        (("disable", ADMIN), "cannot be disabled"),
        (("remove", ADMIN, "--yes"), "cannot be removed"),
    ],
)
def test_the_last_active_admin_stays_an_admin(users, svc, args, refusal) -> None:
    refused = users(*args)
    assert refused.exit_code == 1
    assert f"{ADMIN} is the last active admin and {refusal}" in refused.output
    profile = accounts.by_email(svc, ADMIN)
    assert (profile.role, profile.status) == ("admin", "active")


def test_a_disabled_admin_does_not_count_as_one(users) -> None:
    users("role", ANA, "admin")
    assert users("disable", ANA).exit_code == 0
    assert "last active admin" in users("role", ADMIN, "field").output


def test_remove_asks_first_then_deletes_the_account(users, svc) -> None:
    kept = users("remove", ANA, input="n\n")
    assert kept.exit_code == 1 and ANA in [a.email for a in accounts.listing(svc)]
    removed = users("remove", ANA, input="y\n")
    assert removed.exit_code == 0 and removed.output.endswith(f"removed {ANA}\n")
    assert ANA not in [a.email for a in accounts.listing(svc)]


def test_remove_refuses_an_account_whose_name_is_on_broadcasts(users, svc) -> None:
    ana = accounts.by_email(svc, ANA).id
    for _ in range(2):
        broadcasts.create(svc, "doj-face-recognition", Audience(), "Call today!", created_by=ana)
    refused = users("remove", ANA, "--yes")
    assert refused.exit_code == 1
    assert f"{ANA} made 2 broadcasts: disable the account instead" in refused.output
    assert users("disable", ANA).output == f"disabled {ANA}\n"
