"""When a message the organization starts may reach a supporter. Pure: no services needed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lib.quiet_hours import (
    CONTINENTAL_US_ZONES,
    DEFAULT_WINDOW,
    SendWindow,
    is_open,
    next_send_time,
    parse_window,
    zones_for,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
ATLANTA = ("America/New_York",)  # what the ZIP 30303 stores


def at(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def test_it_sends_from_nine_in_the_morning_to_eight_at_night_by_default():
    assert parse_window("09:00-20:00") == DEFAULT_WINDOW == SendWindow(9 * 60, 20 * 60)
    assert str(DEFAULT_WINDOW) == "09:00-20:00"
    assert not DEFAULT_WINDOW.always_open


@pytest.mark.parametrize("text", ["9:00-20:00", "09:00 - 20:00", " 9:00 -20:00 ", "09:00-\t20:00"])
def test_it_reads_a_window_written_loosely(text):
    assert parse_window(text) == DEFAULT_WINDOW


def test_it_is_open_at_nine_exactly_and_closed_at_eight_exactly():
    assert not is_open(at(NEW_YORK, 2024, 6, 3, 8, 59, 59), ATLANTA, DEFAULT_WINDOW)
    assert is_open(at(NEW_YORK, 2024, 6, 3, 9, 0), ATLANTA, DEFAULT_WINDOW)
    assert is_open(at(NEW_YORK, 2024, 6, 3, 19, 59, 59, 999999), ATLANTA, DEFAULT_WINDOW)
    assert not is_open(at(NEW_YORK, 2024, 6, 3, 20, 0), ATLANTA, DEFAULT_WINDOW)


def test_it_sends_at_once_inside_the_window():
    assert next_send_time(at(NEW_YORK, 2024, 6, 3, 12, 0), ATLANTA, DEFAULT_WINDOW) is None


def test_it_holds_a_supporter_in_atlanta_at_half_past_nine_until_nine_the_next_morning():
    held = next_send_time(at(NEW_YORK, 2024, 6, 3, 21, 30), ATLANTA, DEFAULT_WINDOW)
    assert held == utc(2024, 6, 4, 13, 0)  # 09:00 EDT
    assert held is not None and held.utcoffset() == timedelta(0)


def test_it_holds_a_supporter_up_before_dawn_until_nine_the_same_morning():
    held = next_send_time(at(NEW_YORK, 2024, 12, 3, 5, 15), ATLANTA, DEFAULT_WINDOW)
    assert held == utc(2024, 12, 3, 14, 0)  # 09:00 EST


def test_it_answers_los_angeles_and_new_york_differently_at_the_same_instant():
    instant = utc(2024, 6, 3, 14, 0)  # 10:00 in New York, 07:00 in Los Angeles
    assert next_send_time(instant, ["America/New_York"], DEFAULT_WINDOW) is None
    assert next_send_time(instant, ["America/Los_Angeles"], DEFAULT_WINDOW) == utc(2024, 6, 3, 16)


@pytest.mark.parametrize(
    ("time_zone", "phone", "zones"),
    [
        (None, "+14045550123", ("America/New_York",)),
        (None, "+12135550123", ("America/Los_Angeles",)),
        ("", "whatsapp:+12135550123", ("America/Los_Angeles",)),
        ("Not/AZone", "+14045550123", ("America/New_York",)),
        ("America", "+14045550123", ("America/New_York",)),
        ("America/New_York", "+14045550123", ("America/New_York",)),
        ("America/Chicago", "+14045550123", ("America/Chicago", "America/New_York")),
        ("Pacific/Honolulu", "whatsapp:+12135550123", ("Pacific/Honolulu", "America/Los_Angeles")),
        ("America/Chicago", "+18005550123", ("America/Chicago",)),  # toll-free: no place
    ],
)
def test_it_names_the_zip_zone_first_and_the_area_codes_too(time_zone, phone, zones):
    assert zones_for(time_zone, phone) == zones


def test_a_seattle_number_on_an_atlanta_zip_waits_for_nine_in_seattle():
    zones = zones_for("America/New_York", "+12065550123")
    seven_in_seattle = utc(2024, 6, 3, 14, 0)  # 10:00 in Atlanta
    assert next_send_time(seven_in_seattle, zones, DEFAULT_WINDOW) == utc(2024, 6, 3, 16, 0)


@pytest.mark.parametrize(
    "phone",
    ["+15555550123", "whatsapp:+19995550123", "+18005550123", "+1404", "not a number", ""],
)
def test_it_falls_back_to_every_continental_us_zone_when_the_number_says_nothing(phone):
    assert zones_for(None, phone) == CONTINENTAL_US_ZONES
    assert CONTINENTAL_US_ZONES[0] == "America/New_York"


def test_it_waits_until_the_window_is_open_in_every_continental_zone():
    zones = CONTINENTAL_US_ZONES
    early = at(NEW_YORK, 2024, 6, 3, 10, 0)  # 07:00 in Los Angeles
    assert next_send_time(early, zones, DEFAULT_WINDOW) == utc(2024, 6, 3, 16)  # noon New York
    assert next_send_time(at(NEW_YORK, 2024, 6, 3, 19, 59), zones, DEFAULT_WINDOW) is None
    late = at(NEW_YORK, 2024, 6, 3, 20, 0)  # 17:00 in Los Angeles
    assert next_send_time(late, zones, DEFAULT_WINDOW) == utc(2024, 6, 4, 16)


def test_it_sends_at_the_primary_zones_hours_when_the_windows_never_line_up():
    window = parse_window("09:00-10:00")
    now = at(NEW_YORK, 2024, 6, 3, 11, 0)
    assert next_send_time(now, ["America/New_York", "America/Los_Angeles"], window) == utc(
        2024, 6, 4, 13
    )
    assert next_send_time(now, ["America/Los_Angeles", "America/New_York"], window) == utc(
        2024, 6, 3, 16
    )
    during = at(NEW_YORK, 2024, 6, 3, 9, 30)
    assert next_send_time(during, ["America/New_York", "America/Los_Angeles"], window) is None


def test_it_never_holds_a_message_when_the_window_is_the_whole_day():
    window = parse_window("00:00-24:00")
    assert window.always_open
    for hour in range(24):
        now = at(NEW_YORK, 2024, 3, 10, hour, 30)
        assert next_send_time(now, CONTINENTAL_US_ZONES + ("Pacific/Guam",), window) is None


def test_it_sends_at_nine_local_on_the_spring_forward_day():
    evening = at(NEW_YORK, 2024, 3, 9, 21, 0)  # EST, the night before clocks go forward
    assert next_send_time(evening, ATLANTA, DEFAULT_WINDOW) == utc(2024, 3, 10, 13)  # 09:00 EDT


def test_it_sends_at_nine_local_on_the_fall_back_day():
    evening = at(NEW_YORK, 2024, 11, 2, 21, 0)  # EDT, the night before clocks go back
    assert next_send_time(evening, ATLANTA, DEFAULT_WINDOW) == utc(2024, 11, 3, 14)  # 09:00 EST


def test_it_opens_when_the_clock_jumps_past_a_start_that_does_not_exist():
    # 02:30 never happens on 10 March 2024 in New York: 01:59:59 EST is followed by 03:00 EDT.
    window = parse_window("02:30-20:00")
    now = at(NEW_YORK, 2024, 3, 10, 1, 0)
    assert next_send_time(now, ATLANTA, window) == utc(2024, 3, 10, 7)  # 03:00 EDT


def test_it_opens_again_when_the_clock_falls_back_behind_the_end():
    # 01:00-02:00 happens twice on 3 November 2024 in New York, first in EDT and then in EST.
    window = parse_window("00:00-01:30")
    first_time_past = at(NEW_YORK, 2024, 11, 3, 1, 45)
    assert next_send_time(first_time_past, ATLANTA, window) == utc(2024, 11, 3, 6)  # 01:00 EST
    second_time_past = first_time_past.replace(fold=1)
    assert next_send_time(second_time_past, ATLANTA, window) == utc(2024, 11, 4, 5)  # midnight


def test_it_refuses_a_time_without_a_zone():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_send_time(datetime(2024, 6, 3, 12, 0), ATLANTA, DEFAULT_WINDOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(datetime(2024, 6, 3, 12, 0), ATLANTA, DEFAULT_WINDOW)


def test_it_refuses_a_recipient_without_zones():
    with pytest.raises(ValueError, match="at least one time zone"):
        next_send_time(utc(2024, 6, 3, 12), [], DEFAULT_WINDOW)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "should look like '09:00-20:00'"),
        ("9-20", "should look like"),
        ("09:00", "should look like"),
        ("9am-8pm", "should look like"),
        ("09:00-20:00-21:00", "should look like"),
        ("٠٩:٠٠-٢٠:٠٠", "should look like"),
        ("25:00-26:00", "hour 25; hours go up to 24"),
        ("09:00-99:00", "hour 99"),
        ("09:60-20:00", "minute 60; minutes go up to 59"),
        ("24:30-24:45", "past 24:00"),
        ("09:00-24:01", "past 24:00"),
        ("20:00-09:00", "may not span midnight"),
        ("22:00-02:00", "may not span midnight"),
        ("09:00-09:00", "must start before it ends"),
        ("24:00-24:00", "must start before it ends"),
    ],
)
def test_it_refuses_a_window_it_cannot_honor(text, error):
    with pytest.raises(ValueError, match=error):
        parse_window(text)


@pytest.mark.parametrize(("start", "end"), [(-1, 60), (600, 600), (600, 540), (0, 1441)])
def test_it_refuses_to_build_a_window_out_of_order(start, end):
    with pytest.raises(ValueError, match="start < end"):
        SendWindow(start, end)


# Hours behind New York for most of the year; a window longer than the spread overlaps daily.
HOURS_BEHIND = {
    "America/New_York": 0,
    "America/Chicago": 1,
    "America/Denver": 2,
    "America/Los_Angeles": 3,
}
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, *(ZoneInfo(zone) for zone in HOURS_BEHIND)]),
)
some_zones = st.lists(st.sampled_from(list(HOURS_BEHIND)), min_size=1, max_size=4, unique=True)


@st.composite
def windows_that_overlap(draw: st.DrawFn) -> tuple[list[str], SendWindow]:
    zones = draw(some_zones)
    spread = max(HOURS_BEHIND[z] for z in zones) - min(HOURS_BEHIND[z] for z in zones)
    shortest = spread * 60 + 1
    start = draw(st.integers(0, 24 * 60 - shortest))
    end = draw(st.integers(start + shortest, 24 * 60))
    return zones, SendWindow(start, end)


@settings(deadline=None)
@given(now=moments, case=windows_that_overlap(), data=st.data())
def test_it_answers_with_the_first_moment_open_in_every_zone(now, case, data):
    zones, window = case
    held = next_send_time(now, zones, window)
    if held is None:
        assert is_open(now, zones, window)
        return
    assert held > now
    assert held.utcoffset() == timedelta(0)
    assert is_open(held, zones, window)
    just_before = held - timedelta(seconds=1)
    if just_before >= now:
        assert not is_open(just_before, zones, window)
    # Every minute from now up to the answer is closed somewhere; check a few of them.
    start = now.astimezone(UTC)
    minutes = -(-(held - start) // timedelta(minutes=1))
    steps = data.draw(st.lists(st.integers(0, minutes - 1), min_size=1, max_size=8))
    for step in [0, minutes - 1, *steps]:
        earlier = start + timedelta(minutes=step)
        assert earlier < held
        assert not is_open(earlier, zones, window), earlier


@settings(deadline=None)
@given(now=moments, zones=some_zones, start=st.integers(0, 24 * 60 - 1), data=st.data())
def test_it_always_answers_within_the_primary_zones_window(now, zones, start, data):
    window = SendWindow(start, data.draw(st.integers(start + 1, 24 * 60)))
    held = next_send_time(now, zones, window)
    if is_open(now, zones, window):
        assert held is None
    if held is None:
        assert is_open(now, zones[:1], window)
    else:
        assert now < held < now.astimezone(UTC) + timedelta(days=5)
        assert is_open(held, zones[:1], window)
