"""Charts as inline SVG, drawn on the server: no chart library, no script, nothing loaded.

A chart carries its own `<title>` and `<desc>`, and each point a `<title>` with its value;
pages put the same numbers in a table next to it, for screen readers and for print. Series are
told apart by colour and by marker shape (circle, square, triangle), so they survive greyscale
printing and colour blindness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 520, 260
LEFT, RIGHT, BOTTOM = 40, 14, 34
LEGEND_ROW = 18  # the legend is a column of rows above the plot
# Colour and marker per series, in order.
STYLES = (("#b3261e", "circle"), ("#1f5fa8", "square"), ("#2e7d32", "triangle"))
MIN_LABEL_GAP = 80  # pixels between date labels on the x axis


@dataclass(frozen=True)
class Series:
    key: str  # stable, for class names ("tfm")
    label: str
    points: Sequence[tuple[date, int]]


def nice_top(value: int) -> int:
    """A round upper bound for the y axis: 1, 2, 5, 10, 20, 50..."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for multiple in (1, 2, 5):
            if step * multiple >= value:
                return step * multiple
        step *= 10


def _ticks(top: int) -> list[int]:
    if top <= 5:
        return list(range(top + 1))
    return [top * i // 5 for i in range(6)]


def _marker(shape: str, x: float, y: float, colour: str) -> SafeString:
    if shape == "square":
        return format_html(
            '<rect x="{}" y="{}" width="7" height="7" fill="{}"/>',
            f"{x - 3.5:.1f}",
            f"{y - 3.5:.1f}",
            colour,
        )
    if shape == "triangle":
        points = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"
        return format_html('<polygon points="{}" fill="{}"/>', points, colour)
    return format_html('<circle cx="{}" cy="{}" r="4" fill="{}"/>', f"{x:.1f}", f"{y:.1f}", colour)


def line_chart(
    series: Sequence[Series], *, title: str, desc: str, ident: str = "chart"
) -> SafeString:
    """Counts over dates, one line per series (a step between two lists is a straight line:
    the lists say nothing about the days between them)."""
    days = sorted({d for s in series for d, _n in s.points})
    top = nice_top(max((n for s in series for _d, n in s.points), default=0))
    top_margin = LEGEND_ROW * len(series) + 14
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - top_margin - BOTTOM
    first = days[0].toordinal() if days else 0
    span = (days[-1].toordinal() - first) if len(days) > 1 else 0

    def x_of(day: date) -> float:
        if span == 0:
            return LEFT + plot_w / 2
        return LEFT + (day.toordinal() - first) / span * plot_w

    def y_of(value: int) -> float:
        return top_margin + plot_h - value / top * plot_h

    parts: list[SafeString] = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
            'aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            WIDTH, HEIGHT, WIDTH, HEIGHT, ident, ident, ident, title, ident, desc,
        )
    ]  # fmt: skip
    for tick in _ticks(top):
        y = y_of(tick)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="#444">{}</text>',
                LEFT, WIDTH - RIGHT, f"{y:.1f}", f"{y:.1f}", LEFT - 6, f"{y + 4:.1f}", tick,
            )
        )  # fmt: skip
    last_label = -1e9
    for i, day in enumerate(days):
        x = x_of(day)
        if x - last_label < MIN_LABEL_GAP and i != len(days) - 1:
            continue
        if i == len(days) - 1 and x - last_label < MIN_LABEL_GAP and len(parts) > 1:
            parts.pop()  # the last date wins over a crowded neighbour
        anchor = "middle"
        if len(days) > 1 and i == 0:
            anchor = "start"
        elif len(days) > 1 and i == len(days) - 1:
            anchor = "end"  # so the newest date is not cut off at the edge
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" font-size="13" fill="#444">{}</text>',
                f"{x:.1f}", HEIGHT - BOTTOM + 16, anchor, date_format(day, "M Y"),
            )
        )  # fmt: skip
        last_label = x
    for index, item in enumerate(series):
        colour, shape = STYLES[index % len(STYLES)]
        coords = [(x_of(d), y_of(n), d, n) for d, n in sorted(item.points)]
        if len(coords) > 1:
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _d, _n in coords)
            parts.append(
                format_html(
                    '<polyline class="line s-{}" points="{}" fill="none" stroke="{}" '
                    'stroke-width="2"/>',
                    item.key, line, colour,
                )
            )  # fmt: skip
        parts.append(
            format_html_join(
                "",
                '<g class="point s-{}">{}<title>{}</title></g>',
                (
                    (item.key, _marker(shape, x, y, colour), _point_label(item.label, d, n))
                    for x, y, d, n in coords
                ),
            )
        )
        ly = LEGEND_ROW * index + 12
        parts.append(
            format_html(
                '<g class="legend">{}<text x="{}" y="{}" font-size="14" fill="#222">{}</text></g>',
                _marker(shape, LEFT + 5, ly, colour), LEFT + 14, ly + 4, item.label,
            )
        )  # fmt: skip
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#444"/>',
            LEFT, WIDTH - RIGHT, f"{y_of(0):.1f}", f"{y_of(0):.1f}",
        )
    )  # fmt: skip
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part was escaped by format_html


def _point_label(label: str, day: date, count: int) -> str:
    return _("%(series)s, %(date)s: %(count)s") % {
        "series": label,
        "date": date_format(day, "DATE_FORMAT"),
        "count": count,
    }
