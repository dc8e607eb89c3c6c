"""The broadcast pages: an organizer previews, tests, sends, follows and stops a broadcast."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import Phone, csrf_token, log_in
from sqlalchemy import select

from store.models import Broadcast, Supporter

SLUG = "doj-face-recognition"
JANE = "+14045550123"  # Atlanta, GA
ANA = "+14045550177"  # Atlanta, GA
LUIS = "+12125550188"  # New York, NY; texts STOP after signing

PAGES = ["/broadcasts/", "/broadcasts/new", "/broadcasts/1", "/broadcasts/1/figures.json"]


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    # Fast and at any hour, so a test's broadcast is neither throttled nor held for the night.
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


def sign(phone: Phone, name: str, zip_code: str) -> None:
    phone.text("FACES")
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


@pytest.fixture
def signers(client, twilio, run_jobs) -> dict[str, Phone]:
    """Jane and Ana in Atlanta and Luis in New York signed by text; then Luis texted STOP."""
    phones = {n: Phone(client, twilio, n) for n in (JANE, ANA, LUIS)}
    sign(phones[JANE], "Jane Doe", "30303")
    sign(phones[ANA], "Ana López", "30303")
    sign(phones[LUIS], "Luis Ortiz", "10001")
    run_jobs()
    phones[LUIS].text("STOP")
    run_jobs()
    twilio.reset()
    return phones


@pytest.fixture
def organizer(client, svc) -> None:
    log_in(client, svc, role="organizer")


def draft(**fields: str) -> dict[str, str]:
    """A compose form as the page posts it: the campaign, a message, no filters, now."""
    return {"campaign": SLUG, "body": "Hi {first_name}!", "when": "now"} | fields


def post(client, action: str, **fields: str) -> Any:
    """Post the compose form; a send carries the signature of its preview, as the page does."""
    data = draft(**fields) | {"action": action, "csrf_token": csrf_token(client, "/broadcasts/new")}
    if action == "send":
        shown = post(client, "preview", **fields).get_data(as_text=True)
        found = re.search(r'name="previewed" value="([0-9a-f]+)"', shown)
        data["previewed"] = found.group(1) if found else ""  # no preview for a refused draft
    return client.post("/broadcasts/new", data=data)


def previewed(html: str) -> str:
    found = re.search(r'name="previewed" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def preview_figure(html: str, name: str) -> str:
    found = re.search(rf'data-preview="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1).strip()


@pytest.mark.parametrize("path", PAGES)
def test_a_stranger_is_sent_to_log_in(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", PAGES)
def test_a_field_volunteer_is_turned_away(client, svc, path: str) -> None:
    log_in(client, svc, role="field")
    assert client.get(path).status_code == 403


def test_a_field_volunteer_cannot_send_a_broadcast(client, svc, twilio, signers) -> None:
    log_in(client, svc, role="field")
    token = csrf_token(client)
    data = draft() | {"action": "send", "csrf_token": token}
    assert client.post("/broadcasts/new", data=data).status_code == 403
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_the_nav_links_the_broadcasts_for_an_organizer(client, organizer) -> None:
    assert 'href="/broadcasts/"' in client.get("/").get_data(as_text=True)


def test_the_preview_counts_who_gets_it_and_who_is_left_out_and_why(
    client, organizer, signers, twilio
) -> None:
    response = post(client, "preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert preview_figure(html, "receiving") == "2"
    assert preview_figure(html, "excluded") == "1"
    assert re.search(
        r'data-reason="opted_out"><td>opted out \(texted STOP\)</td>\s*'
        r'<td class="number">1</td>',
        html,
    )
    assert preview_figure(html, "segments") == "1"
    assert preview_figure(html, "encoding").startswith("GSM-7")
    assert preview_figure(html, "cost") == "$0.02"
    assert "Send to 2 people" in html
    assert twilio.messages == []


def test_the_preview_narrows_to_the_filters(client, organizer, signers) -> None:
    html = post(client, "preview", state="ny").get_data(as_text=True)
    assert preview_figure(html, "receiving") == "0"
    assert preview_figure(html, "excluded") == "1"
    assert re.search(r"<button[^>]*disabled", html)


def test_the_preview_marks_the_characters_that_force_ucs_2(client, organizer, signers) -> None:
    html = post(client, "preview", body="Café at 6: acción 🎉 {city}").get_data(as_text=True)
    assert preview_figure(html, "encoding").startswith("UCS-2")
    message = re.search(r'<blockquote class="message">(.*?)</blockquote>', html, re.S)
    assert message
    assert message.group(1) == (
        'Café at 6: acci<mark class="ucs2">ó</mark>n <mark class="ucs2">🎉</mark> {city}'
    )


def test_the_preview_escapes_what_the_organizer_typed(client, organizer, signers) -> None:
    html = post(client, "preview", body="<b>Hi</b> ó").get_data(as_text=True)
    assert "&lt;b&gt;Hi&lt;/b&gt; <mark" in html
    assert "<b>Hi</b>" not in html


def test_a_message_the_bot_cannot_fill_is_refused_with_the_reason(
    client, organizer, signers
) -> None:
    response = post(client, "send", body="Hi {name}")
    assert response.status_code == 400
    assert "{name}" in response.get_data(as_text=True)


def test_a_draft_changed_after_its_preview_is_not_sent_but_previewed_again(
    client, svc, organizer, signers, twilio, run_jobs
) -> None:
    shown = previewed(post(client, "preview", body="Hi {first_name}!").get_data(as_text=True))
    token = csrf_token(client, "/broadcasts/new")
    edited = draft(body="Hi {first_name}, the vote moved to Friday!")
    data = edited | {"action": "send", "previewed": shown, "csrf_token": token}
    response = client.post("/broadcasts/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed after the preview" in html
    # The new text is what the page now previews, with a signature of its own.
    assert "Hi {first_name}, the vote moved to Friday!" in html
    assert previewed(html) != shown
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []
    resent = client.post("/broadcasts/new", data=data | {"previewed": previewed(html)})
    assert resent.status_code == 302
    run_jobs()
    assert {m.body for m in twilio.messages} == {
        "Hi Jane, the vote moved to Friday!",
        "Hi Ana, the vote moved to Friday!",
    }


def test_a_send_without_a_preview_is_refused(client, svc, organizer, signers) -> None:
    data = draft() | {"action": "send", "csrf_token": csrf_token(client, "/broadcasts/new")}
    assert client.post("/broadcasts/new", data=data).status_code == 409
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_a_test_text_reaches_only_the_organizers_phone(
    client, svc, organizer, signers, twilio
) -> None:
    html = post(client, "test", test_phone="(404) 555-0123").get_data(as_text=True)
    assert "Test sent to +14045550123" in html
    assert [(m.to, m.body) for m in twilio.messages] == [(JANE, "Hi Jane!")]
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_a_mistyped_test_number_keeps_the_preview(client, organizer, signers, twilio) -> None:
    html = post(client, "test", test_phone="12").get_data(as_text=True)
    assert "No test sent: &#39;12&#39; is not a phone number" in html
    assert preview_figure(html, "receiving") == "2"
    assert twilio.messages == []


def test_sending_through_the_page_delivers_through_twilio(
    client, svc, organizer, signers, twilio, run_jobs
) -> None:
    response = post(client, "send")
    assert response.status_code == 302
    assert response.headers["Location"] == "/broadcasts/1"
    run_jobs()
    assert sorted((m.to, m.body) for m in twilio.messages) == [(JANE, "Hi Jane!"), (ANA, "Hi Ana!")]
    figures = client.get("/broadcasts/1/figures.json").get_json()
    assert figures | {"finished": True} == figures
    # Luis is planned too, and skipped when his turn comes: he texted STOP.
    assert (figures["status"], figures["planned"], figures["sent"]) == ("done", 3, 2)
    assert figures["skipped"] == 1
    listing = client.get("/broadcasts/").get_data(as_text=True)
    assert 'data-broadcast="1"' in listing
    assert "Hi {first_name}!" in listing


def test_the_broadcast_page_shows_progress_and_the_replies(
    client, organizer, signers, twilio, run_jobs
) -> None:
    post(client, "send", body="Can you come Saturday, {first_name}? Reply GOING")
    run_jobs()
    signers[JANE].text("going")
    signers[ANA].text("Going!")
    html = client.get("/broadcasts/1").get_data(as_text=True)
    assert re.search(r'data-figure="sent">2<', html)
    assert "Replies: 2" in html
    assert re.search(r"<td>going</td><td class=\"number\">2</td>", html)
    assert "data-poll" not in html  # done: nothing more to follow


def test_a_paused_broadcast_sends_nothing_until_resumed(
    client, organizer, signers, twilio, run_jobs
) -> None:
    post(client, "send")
    token = csrf_token(client, "/broadcasts/1")
    assert client.post("/broadcasts/1/pause", data={"csrf_token": token}).status_code == 302
    run_jobs()
    assert twilio.messages == []
    assert "paused" in client.get("/broadcasts/1").get_data(as_text=True)
    client.post("/broadcasts/1/resume", data={"csrf_token": token})
    run_jobs()
    assert len(twilio.messages) == 2


def test_a_canceled_scheduled_broadcast_is_never_sent(
    client, svc, organizer, signers, twilio, run_jobs
) -> None:
    response = post(client, "send", when="later", send_at="2099-05-01T18:00")
    assert response.status_code == 302
    html = client.get("/broadcasts/1").get_data(as_text=True)
    assert "scheduled" in html
    assert "2099-05-01 18:00 EDT" in html  # the organization's zone, New York by default
    with svc.db() as session:
        stored = session.scalars(select(Broadcast.send_at)).one()
    assert stored == datetime(2099, 5, 1, 22, 0, tzinfo=UTC)
    token = csrf_token(client, "/broadcasts/1")
    client.post("/broadcasts/1/cancel", data={"csrf_token": token})
    run_jobs()
    assert twilio.messages == []
    with svc.db() as session:
        assert session.scalars(select(Broadcast.status)).all() == ["canceled"]
    again = client.post("/broadcasts/1/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "Could not pause it" in again.get_data(as_text=True)


def test_a_scheduled_time_is_read_and_shown_in_the_organizations_zone(
    client, svc, organizer, signers
) -> None:
    svc.settings = replace(svc.settings, organization_timezone="America/Los_Angeles")
    response = post(client, "send", when="later", send_at="2099-05-01T18:00")
    assert response.status_code == 302
    with svc.db() as session:
        stored = session.scalars(select(Broadcast.send_at)).one()
    assert stored == datetime(2099, 5, 2, 1, 0, tzinfo=UTC)
    assert "2099-05-01 18:00 PDT" in client.get("/broadcasts/1").get_data(as_text=True)
    listing = client.get("/broadcasts/").get_data(as_text=True)
    assert "2099-05-01 18:00 PDT" in listing and "(UTC)" not in listing


def test_a_time_already_past_is_not_scheduled(client, svc, organizer, signers) -> None:
    response = post(client, "send", when="later", send_at="2020-05-01T18:00")
    assert response.status_code == 400
    assert "2020-05-01 18:00 EDT has passed" in response.get_data(as_text=True)
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_one_receiver_is_one_person(client, organizer, signers) -> None:
    signers[JANE].text("STOP")
    html = post(client, "preview", state="ga").get_data(as_text=True)
    assert preview_figure(html, "receiving") == "1"
    assert "Send to 1 person<" in html and "1 people" not in html


def test_a_test_held_for_quiet_hours_says_when_it_goes_in_local_time(
    client, svc, organizer, signers, twilio
) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    svc.clock = lambda: datetime(2026, 5, 1, 7, 0, tzinfo=UTC)  # 3:00 in Atlanta
    html = post(client, "test", test_phone="(404) 555-0123").get_data(as_text=True)
    assert "is held for quiet hours at that phone: it goes at 2026-05-01 09:00 EDT." in html
    assert twilio.messages == []


def test_texts_held_for_quiet_hours_are_not_counted_as_handled(
    client, svc, organizer, signers, twilio, run_jobs
) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    svc.clock = lambda: datetime(2026, 5, 1, 7, 0, tzinfo=UTC)  # 3:00 in Atlanta and New York
    html = post(client, "preview").get_data(as_text=True)
    assert "everyone is in quiet hours now: waiting for 9:00 local" in html
    assert "under a minute" not in html
    post(client, "send")
    run_jobs()
    assert twilio.messages == []
    figures = client.get("/broadcasts/1/figures.json").get_json()
    # Luis is skipped (he texted STOP): the one text settled; Jane's and Ana's wait.
    assert (figures["planned"], figures["handled"], figures["held"]) == (3, 1, 2)
    page = " ".join(client.get("/broadcasts/1").get_data(as_text=True).split())
    assert re.search(r'>1</span> of <span data-figure="planned">3</span> sent or settled', page)
    assert '<span data-figure="held">2</span> waiting for 9:00 local' in page
    # The cards and the delivery report are one set of figures, updated together.
    assert page.count('data-figure="held"') == 3
    assert page.count('data-figure="sent"') == 2


def test_a_canceled_broadcast_text_shows_as_canceled_not_an_empty_bubble(
    client, svc, organizer, signers, run_jobs
) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    svc.clock = lambda: datetime(2026, 5, 1, 7, 0, tzinfo=UTC)  # held until the morning
    post(client, "send")
    run_jobs()
    client.post("/broadcasts/1/cancel", data={"csrf_token": csrf_token(client, "/broadcasts/1")})
    run_jobs()
    with svc.db() as session:
        jane = session.scalars(select(Supporter.id).where(Supporter.phone == JANE)).one()
    html = " ".join(client.get(f"/supporters/{jane}").get_data(as_text=True).split())
    assert "Broadcast 1</a>: canceled before it went" in html
    assert "<p></p>" not in html


def test_an_action_without_its_csrf_token_is_refused(client, organizer, signers) -> None:
    post(client, "send")
    assert client.post("/broadcasts/1/cancel").status_code == 400


def test_a_missing_broadcast_is_not_found(client, organizer) -> None:
    assert client.get("/broadcasts/99").status_code == 404
