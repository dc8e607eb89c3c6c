"""The organizers' dashboard: who may see it, and figures that match what supporters texted."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import Phone, log_in
from sqlalchemy import event, text, update

from bot.dashboard.figures import campaign_figures, funnel, periods, recent_signers
from bot.lib.charts import bars_over_time, nice_ceiling
from bot.lib.phones import masked
from store.models import Campaign, FunnelStep, Signature

SLUG = "doj-face-recognition"
JANE = "+14045550123"  # Atlanta, GA
LUIS = "+12125550188"  # New York, NY
ANA = "+14045550177"  # Atlanta, GA
PAT = "+13125550199"  # stops after giving a name

ORGANIZER_PAGES = [
    "/",
    "/counts.json",
    f"/campaigns/{SLUG}",
    f"/campaigns/{SLUG}/signers.csv",
    f"/campaigns/{SLUG}/packet",
    f"/campaigns/{SLUG}/packet.pdf",
    "/supporters?phone=4045550123",
    "/supporters/1",
]


def sign(phone: Phone, name: str, zip_code: str) -> None:
    phone.text("FACES")
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def row(html: str, marker: str) -> list[str]:
    """The texts of the cells of the table row carrying ``marker`` (e.g. data-step="zip")."""
    found = re.search(rf"<tr {marker}>(.*?)</tr>", html, re.S)
    assert found, marker
    cells = re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


@pytest.fixture
def signers(client, twilio, run_jobs) -> None:
    """Jane and Ana in Atlanta and Luis in New York signed; Luis then texted STOP; Pat left."""
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    luis = Phone(client, twilio, LUIS)
    sign(luis, "Luis Ortiz", "10001")
    sign(Phone(client, twilio, ANA), "Ana López", "30303")
    pat = Phone(client, twilio, PAT)
    pat.text("FACES")
    pat.text("Pat Kim")
    run_jobs()
    luis.text("STOP")


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_a_stranger_is_sent_to_log_in(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_a_field_volunteer_is_turned_away(client, svc, path: str) -> None:
    log_in(client, svc, role="field")
    assert client.get(path).status_code == 403


def test_an_admin_may_see_what_an_organizer_sees(client, svc) -> None:
    log_in(client, svc, role="admin")
    assert client.get(f"/campaigns/{SLUG}").status_code == 200


def test_home_lists_each_campaign_with_its_count_linking_to_its_page(client, svc, signers) -> None:
    log_in(client, svc)
    html = page(client, "/")
    assert f'href="/campaigns/{SLUG}"' in html
    assert f'data-count-for="{SLUG}">3<' in html
    assert 'data-poll="/counts.json"' in html
    assert 'href="/campaigns/new"' in html
    assert "dashboard.js" in html


def test_home_polls_a_json_count_that_follows_new_signatures(client, twilio, svc, run_jobs) -> None:
    log_in(client, svc)
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    run_jobs()
    assert client.get("/counts.json").get_json() == {SLUG: 1}
    sign(Phone(client, twilio, LUIS), "Luis Ortiz", "10001")
    run_jobs()
    assert client.get("/counts.json").get_json() == {SLUG: 2}


def test_the_nav_links_to_the_campaigns(client, svc) -> None:
    log_in(client, svc)
    assert re.search(
        r'<nav[^>]*>\s*<a href="/"\s+aria-current="page">Campaigns</a>', page(client, "/")
    )


def test_the_campaign_page_counts_signers_states_and_opt_outs(client, svc, signers) -> None:
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    assert re.search(r'id="signers">3<', html)
    assert row(html, 'data-state="GA"')[:2] == ["GA", "2"]
    assert row(html, 'data-state="NY"')[:2] == ["NY", "1"]
    assert re.search(r'id="opt-out-rate">33.3%<', html)
    assert "1 of 3 signers have since opted out" in html


def test_the_funnel_counts_each_step_and_its_drop_off(client, svc, signers) -> None:
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    assert row(html, 'data-step="keyword"') == ["Texted the keyword", "4", "–"]
    assert row(html, 'data-step="name"') == ["Gave a name", "4", "0%"]
    assert row(html, 'data-step="zip"') == ["Gave a ZIP code", "3", "25%"]
    assert row(html, 'data-step="signed"') == ["Said YES and signed", "3", "0%"]


def test_recent_signers_show_names_places_and_masked_phones(client, svc, signers) -> None:
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    assert "+1 404 •••-••23" in html
    assert "+1 212 •••-••88" in html
    for number in (JANE, LUIS, ANA, "4045550123", "555-0123"):
        assert number not in html
    # Newest first, each linking to the supporter's page.
    assert html.index("Ana López") < html.index("Luis Ortiz") < html.index("Jane Doe")
    assert "Atlanta, GA" in html and "New York, NY" in html
    assert re.search(r'<a href="/supporters/\d+">Jane Doe</a>', html)


def test_the_campaign_page_links_to_the_export_the_packet_and_the_editor(client, svc) -> None:
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    for link in ("signers.csv", "packet", "packet.pdf", "edit"):
        assert f'href="/campaigns/{SLUG}/{link}"' in html


def test_a_campaign_nobody_has_texted_shows_zeros(client, svc) -> None:
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    assert re.search(r'id="signers">0<', html)
    assert "No signatures yet." in html


def test_an_unknown_campaign_is_not_found(client, svc) -> None:
    log_in(client, svc)
    assert client.get("/campaigns/no-such-campaign").status_code == 404


def test_the_chart_has_a_bar_for_each_day_since_the_first_signature(client, svc, signers) -> None:
    with svc.db.begin() as session:
        session.execute(update(Signature).values(signed_at=Signature.signed_at - timedelta(days=2)))
    log_in(client, svc)
    html = page(client, f"/campaigns/{SLUG}")
    chart = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S)
    assert chart
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', chart[0])]
    assert len(heights) == 3  # two days ago, yesterday (none), today (none)
    assert heights[0] > 0 and heights[1:] == [0, 0]
    assert ": 3 signatures</title>" in chart[0]


def kept(svc) -> dict:
    (key,) = svc.redis.keys("dashboard:tally:*")
    return json.loads(svc.redis.get(key))


def test_what_was_counted_is_kept_and_only_what_came_since_is_counted(
    client, twilio, svc, signers, run_jobs
) -> None:
    with svc.db.begin() as session:
        session.execute(
            update(FunnelStep).values(reached_at=FunnelStep.reached_at - timedelta(hours=1))
        )
    log_in(client, svc)
    page(client, f"/campaigns/{SLUG}")
    assert kept(svc)["number"] == 3
    assert sum(kept(svc)["days"].values()) == 3
    assert kept(svc)["steps"] == {"keyword": 4, "name": 4, "zip": 3, "signed": 3}
    sign(Phone(client, twilio, "+14045550166"), "Kai Moss", "30303")
    run_jobs()
    html = page(client, f"/campaigns/{SLUG}")
    assert row(html, 'data-state="GA"')[:2] == ["GA", "3"]
    assert row(html, 'data-step="signed"')[:2] == ["Said YES and signed", "4"]
    assert kept(svc)["number"] == 4
    # Kai's steps are minutes old: counted on each view until they settle, then kept.
    assert kept(svc)["steps"]["signed"] == 3


def test_a_signature_stored_late_is_counted_on_the_day_of_its_yes(
    client, twilio, svc, run_jobs
) -> None:
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    run_jobs()
    log_in(client, svc)
    page(client, f"/campaigns/{SLUG}")  # keeps Jane
    sign(Phone(client, twilio, LUIS), "Luis Ortiz", "10001")
    # The worker was down for two days: the signature keeps the time of Luis's YES. Moving
    # the consent back in time takes lifting the append-only trigger, for this transaction.
    with svc.db.begin() as session:
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(
            text("UPDATE consent_events SET created_at = created_at - interval '2 days'")
        )
    run_jobs()
    html = page(client, f"/campaigns/{SLUG}")
    assert row(html, 'data-state="NY"')[:2] == ["NY", "1"]
    chart = re.search(r'<svg class="chart".*?</svg>', html, re.S)[0]
    titles = re.findall(r"<title>([^<]+)</title>", chart)
    assert [t.split(": ")[1] for t in titles] == ["1 signature", "0 signatures", "1 signature"]


def test_kept_figures_from_a_replaced_database_are_counted_again(client, svc, signers) -> None:
    log_in(client, svc)
    first = page(client, f"/campaigns/{SLUG}")
    (key,) = svc.redis.keys("dashboard:tally:*")
    stale = kept(svc) | {"last_signature_id": 999, "days": {"2000-01-01": 99}}
    svc.redis.set(key, json.dumps(stale))
    again = page(client, f"/campaigns/{SLUG}")
    assert row(again, 'data-state="GA"') == row(first, 'data-state="GA"')
    assert "2000" not in kept(svc)["days"]


def test_the_figures_stay_right_without_redis(client, svc, signers, monkeypatch) -> None:
    log_in(client, svc)
    from redis.exceptions import ConnectionError as RedisDown

    def down(*_args, **_kwargs):
        raise RedisDown("Redis is away")

    monkeypatch.setattr(svc.redis, "get", down)
    monkeypatch.setattr(svc.redis, "set", down)
    html = page(client, f"/campaigns/{SLUG}")
    assert row(html, 'data-state="GA"')[:2] == ["GA", "2"]


def test_a_supporter_is_found_by_phone_typed_any_way(client, svc, signers) -> None:
    log_in(client, svc)
    response = client.get("/supporters", query_string={"phone": "(404) 555-0123"})
    assert response.status_code == 302
    assert re.fullmatch(r"/supporters/\d+", response.headers["Location"])


def test_a_phone_nobody_texted_from_is_not_found(client, svc) -> None:
    log_in(client, svc)
    response = client.get("/supporters", query_string={"phone": "404 555 0100"})
    assert response.status_code == 404
    assert "No supporter has texted from +14045550100" in response.get_data(as_text=True)
    response = client.get("/supporters", query_string={"phone": "not a phone"})
    assert "is not a phone number" in response.get_data(as_text=True)


def test_the_supporter_page_shows_profile_signatures_consent_and_conversation(
    client, svc, signers
) -> None:
    log_in(client, svc)
    location = client.get("/supporters", query_string={"phone": LUIS}).headers["Location"]
    html = page(client, location)
    assert "<h1>Luis Ortiz</h1>" in html
    assert LUIS in html and "New York, NY 10001" in html
    assert "opted out" in html
    assert re.search(
        r"Tell the DOJ.*?</a></td>\s*<td data-label=\"Signer\" class=\"number\">#2</td>", html, re.S
    )
    consent = html[html.index("Consent history") : html.index("Conversation")]
    assert consent.index("opt in") < consent.index("opt out")
    assert "Disclosure shown" in consent and "Luis Ortiz (New York, NY)" in consent
    assert "“STOP”" in consent
    thread = html[html.index('<ol class="thread">') :]
    texts = ["FACES", "What&#39;s your full name?", "Luis Ortiz", "10001", "YES", "signer #2"]
    positions = [thread.index(t) for t in texts]
    assert positions == sorted(positions)  # oldest first, both directions
    assert thread.index("signer #2") < thread.index(">STOP<")


def test_an_unknown_supporter_is_not_found(client, svc) -> None:
    log_in(client, svc)
    assert client.get("/supporters/999").status_code == 404


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+14045550123", "+1 404 •••-••23"),
        ("+442079460958", "+44 ••••••••58"),
        ("whatsapp:+14045550123", "+1 404 •••-••23"),
    ],
)
def test_a_masked_phone_keeps_the_area_code_and_last_two_digits(phone: str, shown: str) -> None:
    assert masked(phone) == shown


def test_the_funnel_has_no_drop_off_before_anyone_started() -> None:
    assert [(s.people, s.drop_off) for s in funnel({})] == [(0, None)] * 4


def test_periods_fill_quiet_days_with_zeros() -> None:
    days = {date(2026, 11, 2): 5, date(2026, 11, 4): 1}
    assert periods(days, date(2026, 11, 5), weekly=False) == [
        (date(2026, 11, 2), 5),
        (date(2026, 11, 3), 0),
        (date(2026, 11, 4), 1),
        (date(2026, 11, 5), 0),
    ]


def test_periods_by_week_start_on_monday() -> None:
    days = {date(2026, 11, 2): 5, date(2026, 11, 8): 1, date(2026, 11, 10): 2}  # Mon, Sun, Tue
    assert periods(days, date(2026, 11, 17), weekly=True) == [
        (date(2026, 11, 2), 6),
        (date(2026, 11, 9), 2),
        (date(2026, 11, 16), 0),
    ]


def test_a_long_campaign_is_charted_by_week(client, svc, signers) -> None:
    with svc.db.begin() as session:
        session.execute(update(Signature).values(signed_at=datetime.now(UTC) - timedelta(days=200)))
    log_in(client, svc)
    assert "Signatures per week" in page(client, f"/campaigns/{SLUG}")


@pytest.mark.parametrize(
    ("value", "top", "step"), [(0, 4, 1), (3, 4, 1), (7, 8, 2), (95, 100, 25), (1234, 1500, 500)]
)
def test_the_count_axis_ends_on_a_round_number(value: int, top: int, step: int) -> None:
    assert nice_ceiling(value) == (top, step)


def test_the_chart_labels_both_axes() -> None:
    points = [(date(2026, 11, 1) + timedelta(days=i), i * 10) for i in range(30)]
    svg = str(bars_over_time(points))
    assert svg.count('<rect class="bar"') == 30
    labels = re.findall(r'<text class="axis"[^>]*>([^<]+)</text>', svg)
    assert {"0", "100", "200", "300"} <= set(labels)  # counts
    assert "Nov 1" in labels and "Nov 30" in labels  # dates
    assert 'aria-label="Signatures per day, Nov 1 to Nov 30"' in svg


@pytest.fixture
def busy_campaign(svc) -> int:
    """3,000 signers over 100 days, one in a hundred since opted out; return the campaign's id."""
    statements = [
        "INSERT INTO campaigns (id, slug, title, keyword, active, signature_count, created_at)"
        " VALUES (1, 'doj-face-recognition', 'T', 'FACES', true, 3000, now())",
        "INSERT INTO supporters (id, phone, name, state, language, opted_out_at, created_at,"
        " updated_at) SELECT i, '+1404' || lpad(i::text, 7, '0'), 'Signer ' || i, 'GA', 'en',"
        " CASE WHEN i % 100 = 0 THEN now() END, now(), now() FROM generate_series(1, 3000) i",
        "INSERT INTO consent_events (id, supporter_id, phone, campaign_id, kind, channel,"
        " created_at) SELECT i, i, '+1404' || lpad(i::text, 7, '0'), 1, 'opt_in', 'sms', now()"
        " FROM generate_series(1, 3000) i",
        "INSERT INTO signatures (id, campaign_id, supporter_id, consent_event_id, number,"
        " signed_at, source, consent_text) SELECT i, 1, i, i, i,"
        " now() - (3000 - i) * interval '48 minutes', 'sms', 'yes' FROM generate_series(1, 3000) i",
        "INSERT INTO funnel_steps (campaign_id, phone, step, reached_at)"
        " SELECT 1, '+1404' || lpad(i::text, 7, '0'), s, now() - (3000 - i) * interval '48 minutes'"
        " FROM generate_series(1, 3000) i, unnest(ARRAY['keyword', 'name', 'zip', 'signed']) s",
    ]
    with svc.db.begin() as session:
        for statement in statements:
            session.execute(text(statement))
    with svc.db() as session:
        session.connection().exec_driver_sql("ANALYZE supporters, signatures, funnel_steps")
        session.commit()
    return 1


MORE_SIGNERS = [
    "INSERT INTO supporters (id, phone, name, state, language, created_at, updated_at)"
    " SELECT i, '+1404' || lpad(i::text, 7, '0'), 'Signer ' || i, 'NY', 'en', now(), now()"
    " FROM generate_series(3001, 3010) i",
    "INSERT INTO consent_events (id, supporter_id, phone, campaign_id, kind, channel,"
    " created_at) SELECT i, i, '+1404' || lpad(i::text, 7, '0'), 1, 'opt_in', 'sms', now()"
    " FROM generate_series(3001, 3010) i",
    "INSERT INTO signatures (id, campaign_id, supporter_id, consent_event_id, number,"
    " signed_at, source, consent_text) SELECT i, 1, i, i, i, now(), 'sms', 'yes'"
    " FROM generate_series(3001, 3010) i",
    "UPDATE campaigns SET signature_count = 3010",
]


def test_a_page_view_reads_only_through_indexes_once_the_counts_are_kept(
    svc, busy_campaign
) -> None:
    engine = svc.db.kw["bind"]
    with svc.db() as session:
        campaign = session.get(Campaign, busy_campaign)
        first = campaign_figures(session, svc.redis, campaign, svc.clock())  # keeps it all
    with svc.db.begin() as session:
        for statement in MORE_SIGNERS:
            session.execute(text(statement))
    with svc.db() as session:
        campaign = session.get(Campaign, busy_campaign)
        seen: list[tuple[str, object]] = []

        def note(_conn, _cursor, statement, parameters, _context, _many) -> None:
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", note)
        try:
            again = campaign_figures(session, svc.redis, campaign, svc.clock())
            recent_signers(session, busy_campaign)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        # With sequential scans priced out, each plan shows whether an index can serve it:
        # at a million signers the planner would choose these without being told.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plans = "\n".join(
            row[0]
            for statement, params in seen
            for row in session.connection().exec_driver_sql("EXPLAIN " + statement, params)
        )
    assert first.signers == 3000 and first.opted_out == 30
    assert sum(n for _, n in first.periods) == 3000
    assert again.signers == 3010 and sum(n for _, n in again.periods) == 3010
    assert "Seq Scan" not in plans, plans
    for index in (
        "ix_signatures_campaign_id_number",
        "ix_funnel_steps_campaign_id_reached_at",
        "ix_supporters_id_opted_out",
    ):
        assert index in plans, plans


def test_times_are_shown_in_the_organizations_zone(client, svc, phone, run_jobs) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    run_jobs()
    with svc.db.begin() as session:
        session.execute(
            update(Signature).values(signed_at=datetime(2026, 1, 15, 17, 30, tzinfo=UTC))
        )
    log_in(client, svc)
    html = client.get("/campaigns/doj-face-recognition").get_data(as_text=True)
    assert ">2026-01-15 12:30 EST<" in html and "17:30 UTC" not in html


def test_a_phone_that_only_texted_the_keyword_is_found(client, svc, twilio) -> None:
    Phone(client, twilio, "+14045550140").text("FACES")
    log_in(client, svc)
    response = client.get("/supporters", query_string={"q": "(404) 555-0140"})
    assert response.status_code == 302
    html = page(client, response.headers["Location"])
    assert "never signed" in html and ">FACES<" in html


def test_someone_who_gave_a_name_and_said_no_is_found_by_name(client, svc, twilio) -> None:
    kim = Phone(client, twilio, "+14045550141")
    for body in ("FACES", "Kim Nguyen", "30303", "NO"):
        kim.text(body)
    log_in(client, svc)
    html = page(client, "/supporters?q=nguyen")
    assert "never signed" in html
    found = re.search(r'<a href="(/supporters/phone/[^"]+)">“Kim Nguyen”</a>', html)
    assert found, html
    assert ">NO<" in page(client, found.group(1))


def test_a_name_nobody_gave_is_not_found(client, svc, signers) -> None:
    log_in(client, svc)
    response = client.get("/supporters", query_string={"q": "Zed Zebra"})
    assert response.status_code == 404
    assert "Nobody named “Zed Zebra” has texted." in response.get_data(as_text=True)


def test_signers_are_listed_and_searched_with_the_opted_out_marked(client, svc, signers) -> None:
    log_in(client, svc)

    def names(query: str) -> list[str]:
        html = page(client, f"/campaigns/{SLUG}/signers?q={query}")
        return re.findall(r'<td data-label="Name"><a href="/supporters/\d+">([^<]+)</a>', html)

    assert names("") == ["Jane Doe", "Luis Ortiz", "Ana López"]
    assert names("lópez") == ["Ana López"]
    assert names("212555") == ["Luis Ortiz"]
    assert names("303") == ["Jane Doe", "Ana López"]
    assert names("ny") == ["Luis Ortiz"]
    html = page(client, f"/campaigns/{SLUG}/signers?q=ortiz")
    assert '<span class="badge closed">opted out</span>' in html


def test_the_signer_list_goes_page_by_page(client, svc, busy_campaign) -> None:
    log_in(client, svc)
    first = page(client, f"/campaigns/{SLUG}/signers")
    assert "3,000 signers · page 1 of 60" in first
    last = page(client, f"/campaigns/{SLUG}/signers?page=60")
    assert len(re.findall(r'<td data-label="#"', last)) == 50
    assert 'href="/campaigns/doj-face-recognition/signers?page=59">← Previous' in last
    assert "Next →" not in last
