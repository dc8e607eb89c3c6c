"""The admins' accounts page, with Alex the admin, Ana an organizer and Maria a field volunteer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import csrf_token, log_in

from bot.accounts import accounts
from bot.services import Services

PASSWORD = "a long passphrase"
ANA, MARIA = "ana@example.org", "maria@example.org"


@pytest.fixture
def alex(site: Flask, svc: Services) -> FlaskClient:
    """Alex, the bot's only admin, logged in; Ana and Maria have accounts too."""
    client = site.test_client()
    log_in(client, svc, "admin")
    accounts.create_account(svc, ANA, "organizer", PASSWORD)
    accounts.create_account(svc, MARIA, "field", PASSWORD)
    return client


def logged_in(site: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    client = site.test_client()
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def still_logged_in(client: FlaskClient) -> bool:
    # Ana is an organizer: the dashboard answers her, and sends a stranger to log in.
    return client.get("/").status_code == 200


def id_of(svc: Services, email: str) -> int:
    return accounts.by_email(svc, email).id


def post(client: FlaskClient, path: str, **form: str) -> Any:
    return client.post(path, data=form | {"csrf_token": csrf_token(client, "/admin/accounts/")})


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def shown_password(response: Any) -> str:
    found = re.search(r'<code class="secret">([^<]+)</code>', text(response))
    assert found, text(response)
    return found.group(1)


def test_an_admin_sees_every_account_with_its_role_status_and_last_login(alex, svc) -> None:
    accounts.disable(svc, id_of(svc, MARIA))
    html = text(alex.get("/admin/accounts/"))
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in rows[1:]]
    assert [cell[0] for cell in cells] == ["admin@example.org", ANA, MARIA]
    admin, ana, maria = cells
    assert admin[1:4] == ["(you)", "admin", "active"]
    assert ana[1:3] == ["organizer", "active"] and ana[-1] == "never"
    assert maria[1:3] == ["field", "disabled"]
    assert "never" not in admin  # Alex logged in to see the page


@pytest.mark.parametrize("role", ["organizer", "field"])
def test_organizers_and_field_accounts_may_not_manage_accounts(site, svc, role: str) -> None:
    client = site.test_client()
    me = accounts.by_email(svc, log_in(client, svc, role)).id
    ana = accounts.create_account(svc, ANA, "organizer", PASSWORD).id
    token = csrf_token(client, "/")
    assert client.get("/admin/accounts/").status_code == 403
    assert client.get(f"/admin/accounts/{ana}").status_code == 403
    forms = [
        ("/admin/accounts/", {"email": "eve@example.org", "role": "admin"}),
        (f"/admin/accounts/{me}/role", {"role": "admin"}),
        (f"/admin/accounts/{ana}/disable", {}),
        (f"/admin/accounts/{ana}/password", {}),
        (f"/admin/accounts/{ana}/remove", {}),
    ]
    for path, form in forms:
        assert client.post(path, data=form | {"csrf_token": token}).status_code == 403, path
    assert [(a.email, a.role, a.status) for a in accounts.listing(svc)] == [
        (ANA, "organizer", "active"),
        (f"{role}@example.org", role, "active"),
    ]


def test_the_menu_links_the_accounts_page_for_admins_only(alex, site) -> None:
    link = 'href="/admin/accounts/"'
    assert link in text(alex.get("/"))
    assert link not in text(logged_in(site, ANA).get("/"))


def test_a_stranger_is_sent_to_log_in(site) -> None:
    response = site.test_client().get("/admin/accounts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_adds_an_account_with_the_password_they_typed(alex, site, svc) -> None:
    response = post(
        alex,
        "/admin/accounts/",
        email=" Ben@Example.org ",
        role="field",
        password="ben's own passphrase",
        password_again="ben's own passphrase",
    )
    assert response.status_code == 302
    assert "Made ben@example.org, field" in text(alex.get(response.headers["Location"]))
    assert accounts.by_email(svc, "ben@example.org").role == "field"
    logged_in(site, "ben@example.org", "ben's own passphrase")


def test_a_password_the_bot_makes_up_is_shown_once_and_works(alex, site) -> None:
    response = post(alex, "/admin/accounts/", email="ben@example.org", role="organizer")
    assert response.status_code == 200
    password = shown_password(response)
    assert "shown only this once" in text(response)
    assert password not in text(alex.get(response.request.path))
    assert still_logged_in(logged_in(site, "ben@example.org", password))


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"password": "one long passphrase", "password_again": "another"}, "passwords differ"),
        ({"password": "short", "password_again": "short"}, "at least 10 characters"),
        ({"email": "ben"}, "is not an email address"),
        ({"email": ANA}, f"already an account for {ANA}"),
        ({"role": "owner"}, "the role is one of field, organizer, admin"),
    ],
)
def test_an_account_that_cannot_be_made_is_explained(alex, svc, form, reason) -> None:
    response = post(
        alex, "/admin/accounts/", **({"email": "ben@example.org", "role": "field"} | form)
    )
    assert response.status_code == 400
    assert reason in text(response)
    assert len(accounts.listing(svc)) == 3


def test_disabling_an_account_logs_it_out_everywhere_and_enabling_lets_it_back(
    alex, site, svc
) -> None:
    phone, laptop = logged_in(site, ANA), logged_in(site, ANA)
    ana = id_of(svc, ANA)
    response = post(alex, f"/admin/accounts/{ana}/disable")
    assert response.status_code == 302
    assert "is disabled and logged out everywhere" in text(alex.get(response.headers["Location"]))
    assert not still_logged_in(phone) and not still_logged_in(laptop)
    again = {"email": ANA, "password": PASSWORD, "csrf_token": csrf_token(phone)}
    assert phone.post("/login", data=again).status_code == 403
    post(alex, f"/admin/accounts/{ana}/enable")
    assert still_logged_in(logged_in(site, ANA))


def test_a_new_password_logs_the_account_out_everywhere(alex, site, svc) -> None:
    phone = logged_in(site, ANA)
    ana = id_of(svc, ANA)
    response = post(alex, f"/admin/accounts/{ana}/password")
    password = shown_password(response)
    assert not still_logged_in(phone)
    assert still_logged_in(logged_in(site, ANA, password))


def test_a_typed_new_password_must_be_typed_the_same_twice(alex, site, svc) -> None:
    phone = logged_in(site, ANA)
    ana = id_of(svc, ANA)
    response = post(
        alex, f"/admin/accounts/{ana}/password", password="new passphrase", password_again="x"
    )
    assert response.status_code == 400 and "the two passwords differ" in text(response)
    assert still_logged_in(phone)
    post(
        alex,
        f"/admin/accounts/{ana}/password",
        password="new passphrase",
        password_again="new passphrase",
    )
    assert not still_logged_in(phone)
    logged_in(site, ANA, "new passphrase")


def test_a_new_role_applies_from_the_accounts_next_page(alex, site, svc) -> None:
    phone = logged_in(site, ANA)
    response = post(alex, f"/admin/accounts/{id_of(svc, ANA)}/role", role="field")
    assert "ana@example.org is now field" in text(alex.get(response.headers["Location"]))
    assert phone.get("/").status_code == 403
    post(alex, f"/admin/accounts/{id_of(svc, ANA)}/role", role="admin")
    assert phone.get("/admin/accounts/").status_code == 200


@pytest.mark.parametrize(
    ("action", "form", "refusal"),
    [
        ("role", {"role": "organizer"}, "cannot be given another role"),
        ("disable", {}, "cannot be disabled"),
    ],
)
def test_the_last_active_admin_cannot_demote_or_disable_themselves(
    alex, svc, action, form, refusal
) -> None:
    me = id_of(svc, "admin@example.org")
    response = post(alex, f"/admin/accounts/{me}/{action}", **form)
    assert response.status_code == 400
    assert f"admin@example.org is the last active admin and {refusal}" in text(response)
    assert still_logged_in(alex)
    # With Ana an admin too, Alex may step down.
    post(alex, f"/admin/accounts/{id_of(svc, ANA)}/role", role="admin")
    assert post(alex, f"/admin/accounts/{me}/{action}", **form).status_code == 302
    assert alex.get("/admin/accounts/").status_code in (302, 403)


def test_an_admin_cannot_remove_their_own_account(alex, svc) -> None:
    accounts.set_role(svc, id_of(svc, ANA), "admin")
    response = post(alex, f"/admin/accounts/{id_of(svc, 'admin@example.org')}/remove")
    assert response.status_code == 400
    assert "you cannot remove your own account" in text(response)
    assert still_logged_in(alex)


def test_an_account_that_did_no_work_is_removed_and_logged_out(alex, site, svc) -> None:
    phone = logged_in(site, ANA)
    response = post(alex, f"/admin/accounts/{id_of(svc, ANA)}/remove")
    assert response.headers["Location"] == "/admin/accounts/"
    assert f"Removed {ANA}." in text(alex.get("/admin/accounts/"))
    assert ANA not in [account.email for account in accounts.listing(svc)]
    assert not still_logged_in(phone)


def test_an_account_whose_name_is_on_sign_ups_is_disabled_not_removed(
    alex, site, svc, atlanta_rally
) -> None:
    maria = logged_in(site, MARIA)
    entry = {"event": atlanta_rally, "name": "Jane Doe", "phone": "404-555-0123", "zip": "30303"}
    headers = {"X-CSRFToken": csrf_token(maria, "/field")}
    assert maria.post("/field/signups", json=entry, headers=headers).status_code == 201
    response = post(alex, f"/admin/accounts/{id_of(svc, MARIA)}/remove")
    assert response.status_code == 400
    assert (
        f"{MARIA} entered 1 sign-up: disable the account instead, so its name stays on them"
        in text(response)
    )
    assert accounts.by_email(svc, MARIA).status == "active"


def test_every_form_needs_its_csrf_token(alex, site, svc) -> None:
    phone = logged_in(site, ANA)
    ana = id_of(svc, ANA)
    forms: list[tuple[str, dict[str, str]]] = [
        ("/admin/accounts/", {"email": "ben@example.org", "role": "admin"}),
        (f"/admin/accounts/{ana}/role", {"role": "admin"}),
        (f"/admin/accounts/{ana}/disable", {}),
        (f"/admin/accounts/{ana}/password", {}),
        (f"/admin/accounts/{ana}/remove", {}),
    ]
    for path, form in forms:
        assert alex.post(path, data=form).status_code == 400, path
    assert [(a.email, a.role, a.status) for a in accounts.listing(svc)] == [
        ("admin@example.org", "admin", "active"),
        (ANA, "organizer", "active"),
        (MARIA, "field", "active"),
    ]
    assert still_logged_in(phone)
