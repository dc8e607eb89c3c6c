"""Logging in and out: where a login may lead, guessing, copied cookies, and timing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import csrf_token

from bot.accounts import auth
from bot.accounts.auth import hash_password
from bot.accounts.login_throttle import FREE_ATTEMPTS
from store.models import User

PASSWORD = "a long passphrase"
OFFICE, HOME = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def accounts(svc) -> list[str]:
    """Two organizers who share an office network."""
    emails = ["ana@example.org", "ben@example.org"]
    with svc.db.begin() as session:
        for email in emails:
            session.add(User(email=email, password_hash=hash_password(PASSWORD), role="organizer"))
    return emails


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes the login checked a password against, one entry a check."""
    checked: list[str] = []
    real = auth.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        checked.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    return checked


def from_address(app: Flask, address: str, **headers: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base |= {"REMOTE_ADDR": address} | {
        "HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()
    }
    return client


def log_in(client: FlaskClient, email: str, password: str = PASSWORD, query: str = "") -> Any:
    token = csrf_token(client)
    return client.post(
        "/login" + query, data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "\\/evil.example", "https:evil"],
)
def test_a_login_never_leads_off_the_site(site, accounts, target: str) -> None:
    from urllib.parse import quote

    response = log_in(site.test_client(), accounts[0], query="?next=" + quote(target))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_login_leads_to_a_page_of_the_site(site, accounts) -> None:
    response = log_in(site.test_client(), accounts[0], query="?next=/broadcasts%3Fpage%3D2")
    assert response.headers["Location"] == "/broadcasts?page=2"


def test_guesses_at_one_account_hold_back_no_one_else(site, accounts) -> None:
    guesser = from_address(site, OFFICE)
    for _ in range(FREE_ATTEMPTS + 3):
        log_in(guesser, accounts[0], "wrong password")
    assert log_in(guesser, accounts[0]).status_code == 429  # slowed, for this pair only
    assert log_in(from_address(site, OFFICE), accounts[1]).status_code == 302  # a colleague
    assert log_in(from_address(site, HOME), accounts[0]).status_code == 302  # the owner, at home


def test_concurrent_guesses_get_no_more_password_checks_than_allowed(
    site, accounts, password_checks
) -> None:
    start = threading.Barrier(30)
    answers: list[int] = []

    def guess() -> None:
        client = from_address(site, OFFICE)
        token = csrf_token(client)
        start.wait()
        form = {"email": accounts[0], "password": "wrong", "csrf_token": token}
        answers.append(client.post("/login", data=form).status_code)

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(password_checks) == FREE_ATTEMPTS
    assert sorted(set(answers)) == [401, 429]


def test_an_unknown_email_costs_a_password_check_too(site, accounts, password_checks) -> None:
    assert log_in(site.test_client(), "nobody@example.org").status_code == 401
    assert len(password_checks) == 1


def test_the_client_address_comes_from_the_trusted_proxy_only(settings, accounts, app_with) -> None:
    behind_router = app_with(settings | {"TRUSTED_PROXIES": "1"})
    guesser = from_address(behind_router, "10.0.0.2", x_forwarded_for=OFFICE)
    for _ in range(FREE_ATTEMPTS + 1):
        log_in(guesser, accounts[0], "wrong password")
    assert log_in(guesser, accounts[0]).status_code == 429
    # Through the same router, from home: another address, not held back.
    owner = from_address(behind_router, "10.0.0.2", x_forwarded_for=HOME)
    assert log_in(owner, accounts[0]).status_code == 302


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str, address: str = "127.0.0.1", **headers: str) -> FlaskClient:
    client = from_address(app, address, **headers)
    client.set_cookie("session", value)
    return client


def test_a_cookie_copied_before_logout_is_logged_out(site, accounts) -> None:
    client = site.test_client()
    log_in(client, accounts[0])
    copied = cookie_of(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert with_cookie(site, copied).get("/").status_code == 302


def test_log_out_everywhere_ends_the_accounts_other_logins(site, accounts) -> None:
    phone, laptop = site.test_client(), site.test_client()
    log_in(phone, accounts[0])
    log_in(laptop, accounts[0])
    laptop.post("/logout/everywhere", data={"csrf_token": csrf_token(laptop, "/")})
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_a_new_password_or_a_disabled_account_ends_its_logins(site, accounts) -> None:
    runner = site.test_cli_runner()
    first, second = site.test_client(), site.test_client()
    log_in(first, accounts[0])
    log_in(second, accounts[1])
    changed = runner.invoke(args=["users", "password", accounts[0]], input="new long pass\n" * 2)
    assert changed.exit_code == 0, changed.output
    assert first.get("/").status_code == 302
    assert runner.invoke(args=["users", "disable", accounts[1]]).exit_code == 0
    assert second.get("/").status_code == 302
    assert log_in(site.test_client(), accounts[1]).status_code == 403


def test_a_forwarded_for_header_does_not_carry_a_session_to_another_address(site, accounts) -> None:
    victim = from_address(site, OFFICE)
    log_in(victim, accounts[0])
    stolen = with_cookie(site, cookie_of(victim), HOME, x_forwarded_for=OFFICE)
    assert stolen.get("/").status_code == 302
