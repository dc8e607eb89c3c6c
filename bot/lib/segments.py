"""How an SMS body is encoded and into how many segments a carrier splits (and bills) it.

GSM-7 packs 160 septets into one message, or 153 per segment once a concatenation header is
needed; a character from the extension table costs two septets (an escape, then the character).
One character outside GSM-7 makes the whole message UCS-2: 70 UTF-16 units, or 67 per segment,
where an emoji (a surrogate pair) takes two. Neither an escape pair nor a surrogate pair is split
between segments, so a segment may end one unit short, as Twilio's own calculator counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.gsm import GSM_BASIC, GSM_EXTENSION

GSM_7, UCS_2 = "GSM-7", "UCS-2"
# (units in a single message, units per segment of a longer one)
LIMITS = {GSM_7: (160, 153), UCS_2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    """A body's encoding, its length in that encoding's units, and its segment count."""

    encoding: str  # GSM-7 or UCS-2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int
    unicode_characters: tuple[str, ...] = ()  # the characters that force UCS-2, each once

    @property
    def per_segment(self) -> int:
        """Units one segment holds, for a message this long."""
        single, part = LIMITS[self.encoding]
        return single if self.count == 1 else part


def measure(body: str) -> Segments:
    """Say how ``body`` is encoded and how many segments it takes (an empty body takes one)."""
    forcing = tuple(dict.fromkeys(c for c in body if c not in GSM_BASIC and c not in GSM_EXTENSION))
    if forcing:
        sizes = [len(c.encode("utf-16-le")) // 2 for c in body]
        return Segments(UCS_2, sum(sizes), _count(sizes, UCS_2), forcing)
    sizes = [2 if c in GSM_EXTENSION else 1 for c in body]
    return Segments(GSM_7, sum(sizes), _count(sizes, GSM_7))


def _count(sizes: list[int], encoding: str) -> int:
    single, part = LIMITS[encoding]
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:  # the pair would straddle two segments: start the next
            segments, used = segments + 1, 0
        used += size
    return segments
