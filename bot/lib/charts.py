"""Charts drawn on the server as inline SVG: no chart library, no script, prints as it shows."""

from __future__ import annotations

import math
from datetime import date
from typing import NamedTuple

from markupsafe import Markup, escape


class Frame(NamedTuple):
    """A chart's size in SVG units, its room for the count labels, and how many dates it names."""

    width: int
    height: int
    left: int
    x_labels: int


# Text in an SVG scales with it, so a phone gets its own narrower drawing rather than a
# shrunken wide one with unreadable labels; the page shows the one that fits.
WIDE = Frame(720, 260, 56, 6)
NARROW = Frame(360, 230, 44, 3)
RIGHT, TOP, BOTTOM = 12, 14, 30


def nice_ceiling(value: int, ticks: int = 4) -> tuple[int, int]:
    """A round top for an axis that reaches ``value``, and the step between its ticks."""
    if value <= ticks:
        return ticks, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (m * magnitude for m in (1, 2, 2.5, 5, 10))
    step = next(int(s) for s in steps if s >= raw and s == int(s))  # whole numbers only
    return step * math.ceil(value / step), step


def bars_over_time(
    points: list[tuple[date, int]], unit: str = "day", frame: Frame = WIDE
) -> Markup:
    """Bars of signatures per day (or week), with a labelled count axis and date axis."""
    top, step = nice_ceiling(max((n for _, n in points), default=0))
    width, height, left = frame.width, frame.height, frame.left
    plot_w, plot_h, base = width - left - RIGHT, height - TOP - BOTTOM, height - BOTTOM
    slot = plot_w / max(len(points), 1)
    gap = min(slot * 0.2, 3)
    first, last = (points[0][0], points[-1][0]) if points else (None, None)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Signatures per {unit}, {_day(first)} to {_day(last)}">'
    ]
    for tick in range(0, top + 1, step):
        y = base - tick / top * plot_h
        parts.append(
            f'<line class="gridline" x1="{left}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    for i, (day, n) in enumerate(points):
        h = n / top * plot_h
        parts.append(
            f'<rect class="bar" x="{left + i * slot + gap / 2:.1f}" y="{base - h:.1f}" '
            f'width="{max(slot - gap, 1):.1f}" height="{h:.1f}">'
            f"<title>{escape(_day(day))}: {n:,} signature{'' if n == 1 else 's'}</title></rect>"
        )
    labels = _label_positions(len(points), frame.x_labels)
    for i in labels:
        # The first and last dates line up with the plot's edges, the others with their bar.
        x, anchor = left + (i + 0.5) * slot, "middle"
        if len(labels) > 1 and i == labels[0]:
            x, anchor = left + i * slot, "start"
        elif len(labels) > 1 and i == labels[-1]:
            x, anchor = left + (i + 1) * slot, "end"
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}">'
            f"{escape(_day(points[i][0]))}</text>"
        )
    parts.append(
        f'<line class="baseline" x1="{left}" x2="{width - RIGHT}" y1="{base}" y2="{base}"/></svg>'
    )
    return Markup("".join(parts))


def _label_positions(count: int, labels: int) -> list[int]:
    if count <= labels:
        return list(range(count))
    return sorted({round(k * (count - 1) / (labels - 1)) for k in range(labels)})


def _day(day: date | None) -> str:
    return "" if day is None else f"{day:%b} {day.day}"
