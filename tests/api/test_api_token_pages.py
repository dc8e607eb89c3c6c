"""The admins' API token page: make a token (shown once), see its use, revoke it."""

from __future__ import annotations

import re

from helpers import csrf_token, log_in

from bot.api import tokens

PAGE = "/admin/api-tokens/"


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(client, svc) -> None:
    log_in(client, svc, role="admin")
    made = client.post(
        PAGE, data={"name": "crm", "read_only": "yes", "csrf_token": csrf_token(client, PAGE)}
    )
    assert made.status_code == 200
    token = re.search(r'<code class="secret">(pb_[^<]+)</code>', made.get_data(as_text=True))
    assert token is not None
    assert tokens.authenticate(svc, token.group(1)) is not None
    listing = client.get(PAGE).get_data(as_text=True)
    assert "crm" in listing and "read-only" in listing and token.group(1) not in listing
    client.post(PAGE + "revoke", data={"name": "crm", "csrf_token": csrf_token(client, PAGE)})
    assert tokens.authenticate(svc, token.group(1)) is None
    assert "revoked" in client.get(PAGE).get_data(as_text=True)


def test_an_organizer_cannot_see_or_make_tokens(client, svc) -> None:
    log_in(client, svc, role="organizer")
    assert client.get(PAGE).status_code == 403
    assert client.get("/admin/integrations/").status_code == 403
