"""SVG building blocks for the report charts: elements, number and label formatting, text fitting.

Attribute values are escaped here and numbers rounded to two decimals, so chart code never writes
raw markup from data and the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Sequence

from huiliu.reports.html import escape
from huiliu.reports.labels import Language, both_languages, label

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
"""Okabe-Ito colours, in the order series use them."""
ALERT = "#D55E00"
"""Bars below ``highlight_below``."""
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 3")
FONT_FAMILY = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"

WIDTH = 640
PAD = 12
FONT = 12
TITLE_H = 32
ROW_H = 26
BAR_H = 16
LABEL_MAX = 12 * FONT
VALUE_W = 72
PLOT_H = 180
AXIS = "#555555"
GRID = "#dddddd"

Point = tuple[float, float]


def num(x: float) -> str:
    """A coordinate with at most two decimals and no ``-0``."""
    shown = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def element(tag: str, content: str | None = None, /, **attrs: object) -> str:
    """An SVG element. Numbers are rounded, other attribute values escaped; ``content`` is markup.

    ``class_`` becomes ``class`` and underscores become hyphens (``text_anchor`` → ``text-anchor``);
    attributes whose value is ``None`` or ``""`` are left out.
    """
    rendered = []
    for key, value in attrs.items():
        if value is None or value == "":
            continue
        shown = num(value) if isinstance(value, int | float) else escape(value)
        rendered.append(f' {key.rstrip("_").replace("_", "-")}="{shown}"')
    opening = f"<{tag}{''.join(rendered)}"
    return f"{opening}/>" if content is None else f"{opening}>{content}</{tag}>"


def box(x: float, y: float, width: float, height: float) -> dict[str, float]:
    """The position attributes of a ``<rect>``."""
    return {"x": x, "y": y, "width": width, "height": height}


def line(start: Point, end: Point, stroke: str, **attrs: object) -> str:
    """A ``<line>`` from ``start`` to ``end``."""
    return element("line", x1=start[0], y1=start[1], x2=end[0], y2=end[1], stroke=stroke, **attrs)


def tooltip(content: str) -> str:
    """A ``<title>`` child: the tooltip and accessible name of its parent."""
    return f"<title>{escape(content)}</title>"


def text(x: float, y: float, content: str, **attrs: object) -> str:
    """A ``<text>`` element at (x, y); ``content`` is plain text and is escaped."""
    return element("text", escape(content), x=x, y=y, **attrs)


def finite(value: float | None) -> float | None:
    """The value as a float, or ``None`` when it is missing, NaN or infinite."""
    return float(value) if value is not None and math.isfinite(value) else None


def value_label(value: float | None, unit: str = "") -> str:
    """A value label: ``12,345``, ``98.25%``, ``3.5 rows``; ``—`` when missing."""
    if value is None or not math.isfinite(value):
        return "—"
    digits = f"{value:,.2f}".rstrip("0").rstrip(".")
    space = " " if unit[:1].isascii() and unit[:1].isalpha() else ""
    return f"{digits}{space}{unit}"


def text_width(content: str, size: float = FONT) -> float:
    """Estimated drawn width: CJK and other wide characters one em, others 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in content)


def truncate(content: str, max_width: float) -> str:
    """The text cut to fit ``max_width`` with a trailing "…"."""
    if text_width(content) <= max_width:
        return content
    room, kept = max_width - text_width("…"), []
    for ch in content:
        room -= text_width(ch)
        if room < 0:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def no_data(lang: Language | None) -> str:
    """The words for "no data" in one language, or in both when ``lang`` is ``None``."""
    return both_languages("no_data") if lang is None else label("no_data", lang)


def frame(kind: str, title: str, desc: str, height: float, body: Sequence[str]) -> str:
    """The chart's outer element, with accessible title and description and a visible heading."""
    inner = "".join(body)
    ident = "chart-" + hashlib.sha256("\x1f".join((kind, title, desc, inner)).encode()).hexdigest()[:12]
    heading = text(PAD, 21, truncate(title, WIDTH - 2 * PAD), font_size=14, font_weight="bold")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" width="{WIDTH}" '
        f'height="{num(height)}" viewBox="0 0 {WIDTH} {num(height)}" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT_FAMILY}" font-size="{FONT}">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{heading}{inner}</svg>'
    )


def empty_chart(kind: str, title: str, lang: Language | None) -> str:
    """A chart frame saying there is nothing to show."""
    message = no_data(lang)
    outline = element("rect", **box(PAD, TITLE_H, WIDTH - 2 * PAD, 48), fill="none", stroke=GRID)
    note = text(WIDTH / 2, TITLE_H + 29, message, text_anchor="middle", fill=AXIS)
    return frame(f"{kind} empty", title, message, TITLE_H + 48 + PAD, [outline, note])


def legend(names: Sequence[str], top: float, *, lines: bool) -> tuple[list[str], float]:
    """Legend entries wrapped over as many rows as needed; returns the parts and the height used."""
    parts, x, y = [], float(PAD), top
    for index, name in enumerate(names):
        shown = truncate(name, 10 * FONT)
        width = 36 + text_width(shown)
        if x + width > WIDTH - PAD and x > PAD:
            x, y = float(PAD), y + 18
        colour = PALETTE[index % len(PALETTE)]
        if lines:
            dash = DASHES[index % len(DASHES)]
            mark = line((x, y + 7), (x + 16, y + 7), colour, stroke_width=2.5, stroke_dasharray=dash)
        else:
            mark = element("rect", **box(x + 2, y + 1, 12, 12), fill=colour)
        parts.append(element("g", tooltip(name) + mark + text(x + 22, y + 12, shown), class_="legend-item"))
        x += width
    return parts, (y - top + 18 if names else 0.0)


def path(points: Sequence[Point | None]) -> str:
    """Path data joining consecutive points; a ``None`` lifts the pen, leaving a gap."""
    commands, pen_down = [], False
    for point in points:
        if point is not None:
            commands.append(f"{'L' if pen_down else 'M'}{num(point[0])} {num(point[1])}")
        pen_down = point is not None
    return " ".join(commands)
