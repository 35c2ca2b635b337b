"""Charts as inline SVG, drawn on the server for report pages opened offline.

Every function is pure: the same input gives the same bytes (element ids derive from a hash of the
content). Colours come from the Okabe-Ito palette, which stays distinguishable with the common
colour-vision deficiencies; lines also differ by dash pattern, and highlighted bars by a threshold
line and bold value, so nothing depends on colour alone. Each chart has an SVG ``<title>`` and a
``<desc>`` listing its numbers for screen readers; pair it with a table via
:func:`huiliu.reports.html.figure`. Text from data is escaped; labels too long for their space are
cut with "…" and keep their full text in a ``<title>`` tooltip. Empty input draws a "no data" chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from huiliu.errors import ReportError
from huiliu.reports.html import escape
from huiliu.reports.labels import Language, both_languages, label
from huiliu.reports.svg import (
    ALERT,
    AXIS,
    BAR_H,
    DASHES,
    FONT,
    GRID,
    LABEL_MAX,
    PAD,
    PALETTE,
    PLOT_H,
    ROW_H,
    TITLE_H,
    VALUE_W,
    WIDTH,
    Point,
    box,
    element,
    empty_chart,
    finite,
    frame,
    legend,
    line,
    no_data,
    path,
    text,
    text_width,
    tooltip,
    truncate,
    value_label,
)


def _bar_layout(names: Sequence[str]) -> tuple[float, float, float]:
    """Width of the label column, left edge and width of the bars."""
    label_w = min(max((text_width(name) for name in names), default=0.0), LABEL_MAX)
    plot_x = PAD + label_w + 8
    return label_w, plot_x, WIDTH - plot_x - VALUE_W - PAD


def _bar_scale(values: Sequence[float | None], max_value: float | None) -> float:
    if max_value is not None and math.isfinite(max_value) and max_value > 0:
        return max_value
    return max((v for v in values if v is not None and v > 0), default=1.0)


def _row_label(name: str, plot_x: float, y: float, width: float) -> str:
    return text(plot_x - 6, y + BAR_H - 4, truncate(name, width), text_anchor="end")


def _axis(x: float, top: float, bottom: float) -> str:
    return line((x, top), (x, bottom), AXIS)


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    max_value: float | None = None,
    highlight_below: float | None = None,
    lang: Language | None = None,
) -> str:
    """Horizontal bars, one per item, each with its value written at its end.

    Args:
        items: (label, value) pairs, drawn top to bottom. A missing or non-finite value draws no bar
            and the value "—"; a negative value draws no bar.
        title: Heading of the chart (also its accessible name).
        unit: Appended to value labels, e.g. ``"%"`` or ``"行"``.
        max_value: The value of a full-width bar (e.g. 100 for percentages); the largest value
            when ``None``. Larger values are drawn full width.
        highlight_below: Bars below this value get the alert colour and a bold value, and a dashed
            line marks the threshold.
        lang: Language of the "no data" text; both languages when ``None``.

    Returns:
        An ``<svg>`` element; rectangles of class ``bar`` carry the value label in ``data-value``.
    """
    if not items:
        return empty_chart("bar-chart", title, lang)
    names = [str(name) for name, _ in items]
    values = [finite(value) for _, value in items]
    scale = _bar_scale(values, max_value)
    label_w, plot_x, plot_w = _bar_layout(names)
    bottom = TITLE_H + len(items) * ROW_H
    body = []
    for index, (name, value) in enumerate(zip(names, values, strict=True)):
        y = TITLE_H + index * ROW_H + (ROW_H - BAR_H) / 2
        width = 0.0 if value is None else min(max(value, 0.0), scale) / scale * plot_w
        low = value is not None and highlight_below is not None and value < highlight_below
        shown = value_label(value, unit)
        look = {"class_": "bar below" if low else "bar", "fill": ALERT if low else PALETTE[0]}
        bar = element("rect", **look, **box(plot_x, y, width, BAR_H), data_value=shown)
        written = text(plot_x + width + 4, y + BAR_H - 4, shown, font_weight="bold" if low else None)
        content = tooltip(f"{name}: {shown}") + _row_label(name, plot_x, y, label_w) + bar + written
        body.append(element("g", content, class_="bar-row"))
    body.append(_axis(plot_x, TITLE_H - 2, bottom + 2))
    if highlight_below is not None and 0 <= highlight_below <= scale:
        x = plot_x + highlight_below / scale * plot_w
        rule = line((x, TITLE_H - 4), (x, bottom + 4), AXIS, stroke_dasharray="4 3")
        note = text(x, bottom + 16, value_label(highlight_below, unit), text_anchor="middle", fill=AXIS)
        body.append(element("g", rule + note, class_="threshold"))
    desc = "; ".join(f"{name}: {value_label(value, unit)}" for name, value in zip(names, values, strict=True))
    return frame("bar-chart", title, desc, bottom + 22 + PAD, body)


def stacked_bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    unit: str = "",
    lang: Language | None = None,
) -> str:
    """Horizontal bars split into coloured parts, e.g. rows curated and quarantined per dataset.

    Args:
        categories: One bar per category, top to bottom.
        series: Part name → one value per category (same order); parts stack in mapping order.
            Missing, non-finite and negative values count as 0.
        title: Heading of the chart.
        unit: Appended to value labels.
        lang: Language of the "no data" text; both languages when ``None``.

    Returns:
        An ``<svg>`` element with a legend; rectangles of class ``segment`` are the parts, and each
        bar's total is written at its end.

    Raises:
        ReportError: A series does not have one value per category.
    """
    for name, values in series.items():
        if len(values) != len(categories):
            raise ReportError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    if not categories or not series:
        return empty_chart("stacked-bar-chart", title, lang)
    names = [str(c) for c in categories]
    parts = {str(k): [max(finite(v) or 0.0, 0.0) for v in vs] for k, vs in series.items()}
    totals = [sum(column) for column in zip(*parts.values(), strict=True)]
    scale = max(totals) or 1.0
    key, key_h = legend(list(parts), TITLE_H - 6, lines=False)
    top = TITLE_H + key_h
    label_w, plot_x, plot_w = _bar_layout(names)
    body = list(key)
    for index, name in enumerate(names):
        y = top + index * ROW_H + (ROW_H - BAR_H) / 2
        x, row = plot_x, [tooltip(name), _row_label(name, plot_x, y, label_w)]
        for k, (part, values) in enumerate(parts.items()):
            width = values[index] / scale * plot_w
            tip = tooltip(f"{name} · {part}: {value_label(values[index], unit)}")
            look = {"fill": PALETTE[k % len(PALETTE)], "stroke": "#ffffff", "data_value": values[index]}
            row.append(element("rect", tip, class_="segment", **box(x, y, width, BAR_H), **look))
            x += width
        row.append(text(x + 4, y + BAR_H - 4, value_label(totals[index], unit)))
        body.append(element("g", "".join(row), class_="bar-row"))
    bottom = top + len(names) * ROW_H
    body.append(_axis(plot_x, top - 2, bottom + 2))
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{p} {value_label(vs[i], unit)}" for p, vs in parts.items())
        for i, name in enumerate(names)
    )
    return frame("stacked-bar-chart", title, desc, bottom + PAD, body)


def _nice_step(span: float, count: int = 4) -> float:
    rough = span / count
    magnitude = 10.0 ** math.floor(math.log10(rough))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)


def _y_range(values: Sequence[float], y_min: float | None, y_max: float | None) -> tuple[float, float, float]:
    """Axis bounds and tick step; bounds not given come from the data, rounded to nice numbers."""
    lo = y_min if y_min is not None else min(values)
    hi = y_max if y_max is not None else max(values)
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        if y_min is None and y_max is None:
            lo, hi = lo - pad, hi + pad
        elif y_min is None:
            lo = hi - pad
        else:
            hi = lo + pad
    step = _nice_step(hi - lo)
    if y_min is None:
        lo = math.floor(lo / step + 1e-9) * step
    if y_max is None:
        hi = math.ceil(hi / step - 1e-9) * step
    return lo, hi, step


def _y_axis(
    lo: float, hi: float, step: float, area: tuple[float, float, float, float], unit: str
) -> list[str]:
    """Horizontal grid lines with their values, and the axis line."""
    left, top, right, bottom = area
    parts, tick = [], lo
    while tick <= hi + step * 1e-6:
        y = bottom - (tick - lo) / (hi - lo) * (bottom - top)
        parts.append(line((left, y), (right, y), GRID))
        parts.append(text(left - 6, y + 4, value_label(round(tick, 10), unit), text_anchor="end", fill=AXIS))
        tick += step
    return [*parts, _axis(left, top, bottom)]


def _x_axis(xs: Sequence[str], x_of: Mapping[str, float], bottom: float) -> list[str]:
    """At most eight evenly spaced x labels, cut to their share of the width."""
    every = math.ceil(len(xs) / 8)
    room = max((WIDTH - 2 * PAD) / math.ceil(len(xs) / every) - 8, 4 * FONT)
    return [
        element(
            "g",
            tooltip(x) + text(x_of[x], bottom + 16, truncate(x, room), text_anchor="middle", fill=AXIS),
            class_="x-label",
        )
        for x in xs[::every]
    ]


def _series(
    index: int,
    name: str,
    points: Sequence[tuple[str, float | None]],
    place: Callable[[str, float], Point],
    unit: str,
) -> str:
    """One series: its line (broken at missing values) and a marker with a tooltip per value."""
    colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
    coords: list[Point | None] = [None if v is None else place(x, v) for x, v in points]
    stroke = {"stroke": colour, "stroke_width": 2, "stroke_dasharray": dash}
    drawn = element("path", class_="line", d=path(coords), fill="none", **stroke)
    markers = [
        element(
            "circle",
            tooltip(f"{name} · {x}: {value_label(v, unit)}"),
            class_="point",
            cx=c[0],
            cy=c[1],
            r=3,
            fill=colour,
        )
        for (x, v), c in zip(points, coords, strict=True)
        if c is not None
    ]
    return element("g", tooltip(name) + drawn + "".join(markers), class_="series")


def line_chart(
    series: Mapping[str, Sequence[tuple[str, float | None]]],
    *,
    title: str,
    y_min: float | None = None,
    y_max: float | None = None,
    unit: str = "",
    lang: Language | None = None,
) -> str:
    """Lines over time, one per series, with a gap wherever a value is missing.

    Args:
        series: Series name → (x label, value) points, e.g. ``("06-01", 98.2)``. The x axis lists
            labels in order of first appearance, so give every series the same labels and ``None``
            for a missing value. A legend is drawn when there is more than one series.
        title: Heading of the chart.
        y_min: Bottom of the y axis; from the data (rounded down) when ``None``.
        y_max: Top of the y axis; from the data (rounded up) when ``None``. Values beyond the axis
            are drawn at its edge.
        unit: Appended to axis and value labels.
        lang: Language of the "no data" text; both languages when ``None``.

    Returns:
        An ``<svg>`` element; ``path`` elements of class ``line`` are the series and ``circle``
        elements of class ``point`` the values, so a lone value still shows as a dot.
    """
    cleaned = {str(k): [(str(x), finite(v)) for x, v in ps] for k, ps in series.items()}
    xs = list(dict.fromkeys(x for points in cleaned.values() for x, _ in points))
    found = [v for points in cleaned.values() for _, v in points if v is not None]
    if not found:
        return empty_chart("line-chart", title, lang)
    lo, hi, step = _y_range(found, y_min, y_max)
    key, key_h = legend(list(cleaned), TITLE_H - 6, lines=True) if len(cleaned) > 1 else ([], 0.0)
    top = TITLE_H + key_h + 8
    half_label = min(max(text_width(x) for x in xs), 10 * FONT) / 2  # x labels centre on points
    left = PAD + max(max(text_width(value_label(t, unit)) for t in (lo, hi, lo + step)) + 10, half_label)
    right, bottom = WIDTH - PAD - max(half_label, 8), top + PLOT_H
    gap = (right - left) / max(len(xs) - 1, 1)
    x_of = {x: (left + right) / 2 if len(xs) == 1 else left + i * gap for i, x in enumerate(xs)}

    def place(x: str, value: float) -> Point:
        return x_of[x], bottom - (min(max(value, lo), hi) - lo) / (hi - lo) * (bottom - top)

    body = [*key, *_y_axis(lo, hi, step, (left, top, right, bottom), unit), *_x_axis(xs, x_of, bottom)]
    body += [_series(k, name, points, place, unit) for k, (name, points) in enumerate(cleaned.items())]
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{x} {value_label(v, unit)}" for x, v in points)
        for name, points in cleaned.items()
    )
    return frame("line-chart", title, desc, bottom + 22 + PAD, body)


def sparkline(
    values: Sequence[float | None], *, width: int = 96, height: int = 20, lang: Language | None = None
) -> str:
    """A word-sized trend line for a table cell; gaps for missing values, a dot on the last value.

    Args:
        values: Values in time order; ``None`` for a missing one.
        width: Width in pixels.
        height: Height in pixels.
        lang: Language of the accessible name ("trend"); both languages when ``None``.

    Returns:
        An ``<svg>`` element of class ``sparkline`` whose ``<title>`` lists the values.
    """
    cleaned = [finite(v) for v in values]
    found = [v for v in cleaned if v is not None]
    name = both_languages("trend") if lang is None else label("trend", lang)
    title = f"{name}: " + (", ".join(value_label(v) for v in cleaned) if found else no_data(lang))
    if found:
        lo, span = min(found), max(found) - min(found)
        step = (width - 4) / max(len(cleaned) - 1, 1)

        def spot(i: int, v: float) -> Point:
            x = width / 2 if len(cleaned) == 1 else 2 + i * step
            return x, height / 2 if span == 0 else height - 2 - (v - lo) / span * (height - 4)

        coords = [None if v is None else spot(i, v) for i, v in enumerate(cleaned)]
        last = next(c for c in reversed(coords) if c is not None)
        inner = element("path", d=path(coords), fill="none", stroke=PALETTE[0], stroke_width=1.5)
        inner += element("circle", cx=last[0], cy=last[1], r=2, fill=PALETTE[0])
    else:
        inner = line((2, height / 2), (width - 2, height / 2), GRID)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
        f"{tooltip(title)}{inner}</svg>"
    )
