"""Quiet hours: when a message the organization starts may reach a recipient.

Pure: no I/O and no clock. The caller passes ``now``; every answer is computed with zoneinfo in
the recipient's own local time, so daylight-saving days come out right.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers.timezone import time_zones_for_number

DAY_MINUTES = 24 * 60

# When we don't know where someone is, the window must be open wherever they could be.
CONTINENTAL_US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)

# How far ahead to look for a moment the window is open in every zone at once. Overlapping
# windows recur daily, so three days covers a daylight-saving change on the way.
HORIZON_DAYS = 3

_WINDOW = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")


@dataclass(frozen=True)
class SendWindow:
    """A daily window, in minutes after local midnight: open from start up to (not at) end."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= DAY_MINUTES:
            raise ValueError(
                f"a send window needs 0 <= start < end <= {DAY_MINUTES} minutes, "
                f"got {self.start_minute}-{self.end_minute}"
            )

    @property
    def always_open(self) -> bool:
        """Say whether the window covers the whole day, which turns quiet hours off."""
        return self.start_minute == 0 and self.end_minute == DAY_MINUTES

    def contains(self, local: datetime) -> bool:
        """Say whether a local wall-clock time falls inside the window."""
        # Edges fall on whole minutes, so seconds never decide: 19:59:59 is inside 09:00-20:00.
        return self.start_minute <= local.hour * 60 + local.minute < self.end_minute

    def __str__(self) -> str:
        return f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"


DEFAULT_WINDOW = SendWindow(9 * 60, 20 * 60)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_window(text: str) -> SendWindow:
    """Read a window like ``09:00-20:00``; ``00:00-24:00`` means quiet hours are off."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise ValueError(f"send window {text!r} should look like '09:00-20:00'")
    start = _minutes(text, match.group(1), match.group(2))
    end = _minutes(text, match.group(3), match.group(4))
    if start >= end:
        raise ValueError(
            f"send window {text!r} must start before it ends; windows may not span midnight "
            "(use 00:00-24:00 to send at any hour)"
        )
    return SendWindow(start, end)


def _minutes(text: str, hours: str, minutes: str) -> int:
    hour, minute = int(hours), int(minutes)
    if hour > 24:
        raise ValueError(f"send window {text!r} has hour {hour}; hours go up to 24")
    if minute > 59:
        raise ValueError(f"send window {text!r} has minute {minute}; minutes go up to 59")
    if hour == 24 and minute != 0:
        raise ValueError(f"send window {text!r} goes past 24:00, the end of the day")
    return hour * 60 + minute


def window_opens(text: str) -> str:
    """When texts held for quiet hours go, in words: 9:00 local."""
    start = parse_window(text).start_minute
    return f"{start // 60}:{start % 60:02d} local"


def zones_for(time_zone: str | None, phone: str) -> tuple[str, ...]:
    """Return the recipient's IANA time zones, the most likely (the ZIP's) first.

    The ZIP's zone and the area code's may differ (a Seattle number on an Atlanta ZIP): the
    person may be in either, so both are returned and a text waits for both windows.
    """
    by_number = _area_code_zones(phone)
    if time_zone and _is_zone(time_zone):
        return (time_zone, *(zone for zone in by_number if zone != time_zone))
    return by_number or CONTINENTAL_US_ZONES


def _area_code_zones(phone: str) -> tuple[str, ...]:
    """The zones the number's area code lies in; none when it says nothing."""
    try:
        number = phonenumbers.parse(phone.removeprefix("whatsapp:"), None)
    except phonenumbers.NumberParseException:
        return ()
    # A toll-free or other non-geographic North American number maps to every NANP zone from
    # Guam to Newfoundland, whose windows never overlap; it tells nothing about the person.
    if number.country_code == 1 and not phonenumbers.is_number_geographical(number):
        return ()
    return tuple(zone for zone in time_zones_for_number(number) if _is_zone(zone))


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a key naming a tzdata folder, such as "America", is a directory.
        return False
    return True


def is_open(now: datetime, zones: Sequence[str], window: SendWindow) -> bool:
    """Say whether the window is open in every one of the zones at ``now``."""
    _check(now, zones)
    places = [ZoneInfo(zone) for zone in zones]
    return window.always_open or _open_everywhere(now.astimezone(UTC), places, window)


def next_send_time(now: datetime, zones: Sequence[str], window: SendWindow) -> datetime | None:
    """Return when a held message may go out (in UTC), or None when it may go out now."""
    if is_open(now, zones, window):
        return None
    instant = now.astimezone(UTC)
    places = [ZoneInfo(zone) for zone in zones]
    for candidate in sorted(_openings(instant, places, window)):
        if _open_everywhere(candidate, places, window):
            return candidate
    # The windows never line up (a 09:00-10:00 window in New York and Los Angeles, say). Holding
    # forever would lose the message, so it goes at the first zone's (the primary zone's) hours.
    return next_send_time(instant, zones[:1], window)


def _check(now: datetime, zones: Sequence[str]) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    if not zones:
        raise ValueError("a recipient needs at least one time zone")


def _open_everywhere(instant: datetime, places: Sequence[tzinfo], window: SendWindow) -> bool:
    return all(window.contains(instant.astimezone(place)) for place in places)


def _openings(instant: datetime, places: Sequence[tzinfo], window: SendWindow) -> set[datetime]:
    """List every instant from ``instant`` on, within the horizon, at which a zone may open."""
    # Being open in every zone starts when one zone opens, and a zone opens only when its wall
    # clock reaches a window edge or jumps at a daylight-saving change (into a gap past the start,
    # or back behind the end). So those instants are the only candidates.
    found: set[datetime] = set()
    for place in places:
        today = instant.astimezone(place).date()
        for days in range(-1, HORIZON_DAYS + 1):
            for minute in (window.start_minute, window.end_minute):
                found.update(_instants(today + timedelta(days=days), minute, place))
        found.update(_offset_changes(instant, place))
    return {moment for moment in found if moment >= instant}


def _instants(day: date, minute: int, place: tzinfo) -> Iterator[datetime]:
    """Yield the UTC instants at which the wall clock in ``place`` reads ``minute`` on ``day``."""
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    # fold=0 and fold=1 are the two readings of a repeated fall-back hour; off such hours they
    # agree, and in a spring-forward gap neither is right, which _offset_changes covers.
    for fold in (0, 1):
        yield local.replace(tzinfo=place, fold=fold).astimezone(UTC)


def _offset_changes(instant: datetime, place: tzinfo) -> Iterator[datetime]:
    """Yield the daylight-saving changes in ``place`` within the horizon, to the second."""
    first = int(instant.timestamp())
    last = first + (HORIZON_DAYS + 2) * 86400
    # Offsets change a few times a year at most, never twice within an hour.
    for hour in range(first, last, 3600):
        low, high = hour, hour + 3600
        if _offset(low, place) == _offset(high, place):
            continue
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(middle, place) == _offset(low, place):
                low = middle
            else:
                high = middle
        yield datetime.fromtimestamp(high, UTC)


def _offset(timestamp: int, place: tzinfo) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, place).utcoffset()
