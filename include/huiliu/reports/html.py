"""Self-contained HTML pages for reports opened offline: escaping, tables, badges, the page skeleton.

Every value that reaches a page is escaped: the page and table templates are rendered by jinja2
with autoescaping, and the few fragments built in Python go through :func:`escape`. Text that is
already HTML (a chart, a badge, a table) must be marked with :func:`raw` to be embedded as is; a
section's ``body_html`` is such HTML by definition. Characters that are not allowed in XML (NUL and
other control characters) are dropped, so a page is also well-formed XML.

Pages carry their CSS inline, load nothing from the network and run no script, so they open from a
USB stick on a machine without internet and print on A4.
"""

from __future__ import annotations

import html as _html
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from huiliu.errors import ReportError
from huiliu.reports.labels import Language, both_languages, label

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""Times on pages are shown as Beijing time."""

DASH = "—"
"""Shown for a missing or non-finite value."""

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_HREF_SCHEMES = frozenset({"", "http", "https", "file"})

_TONES: dict[str, str] = {
    **dict.fromkeys(("pass", "passed", "fresh", "approved", "released", "ok"), "good"),
    **dict.fromkeys(("held", "quarantined", "stale", "pending", "flagged"), "warn"),
    **dict.fromkeys(("failed", "rejected", "mismatch"), "bad"),
}
_GLYPHS = {"good": "✓", "warn": "!", "bad": "✗", "neutral": "·"}

CSS = """
:root{color-scheme:light}
body{font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",
"Source Han Sans SC","WenQuanYi Micro Hei",system-ui,sans-serif;color:#1a1a1a;background:#fff;
margin:0 auto;max-width:62rem;padding:1.5rem;line-height:1.6}
header{border-bottom:2px solid #0072B2;margin-bottom:1.5rem;padding-bottom:.5rem}
h1{font-size:1.6rem;margin:0 0 .25rem}
h2{font-size:1.2rem;border-left:4px solid #0072B2;padding-left:.5rem;margin:2rem 0 .75rem}
.subtitle{color:#444;margin:0}
.lang-switch{float:right;font-size:.95rem}
a{color:#0056a0}
table{border-collapse:collapse;width:100%;margin:.75rem 0;font-size:.92rem}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #c8c8c8;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef3f8}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#f7f7f7}
figure{margin:1rem 0;break-inside:avoid}
figcaption{color:#444;font-size:.9rem}
svg.chart{width:100%;max-width:48rem;height:auto}
svg.sparkline{vertical-align:middle}
details>summary{cursor:pointer;color:#0056a0}
.badge{display:inline-block;padding:0 .45em;border:1px solid;border-radius:.25em;
font-size:.85em;white-space:nowrap}
.badge-good{color:#00573d;background:#e3f4ee}
.badge-warn{color:#7a4b00;background:#fdf1d8}
.badge-bad{color:#8f2d00;background:#fbe3d6}
.badge-neutral{color:#444;background:#eee}
footer{margin-top:2rem;border-top:1px solid #ccc;padding-top:.5rem;color:#555;font-size:.85rem}
@page{size:A4;margin:15mm}
@media print{body{max-width:none;padding:0}.lang-switch{display:none}h2{break-after:avoid}
thead{display:table-header-group}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""

_PAGE = """<!DOCTYPE html>
<html lang="{{ html_lang }}">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="generator" content="huiliu" />
<title>{{ title }}</title>
{% if alternate_href %}
<link rel="alternate" hreflang="{{ other_lang }}" href="{{ alternate_href }}" />
{% endif %}
<style>{{ css }}</style>
</head>
<body>
<header>
{% if alternate_href %}
<nav class="lang-switch"><a href="{{ alternate_href }}" hreflang="{{ other_lang }}" \
lang="{{ other_lang }}">{{ switch_text }}</a></nav>
{% endif %}
<h1>{{ title }}</h1>
{% if subtitle %}
<p class="subtitle">{{ subtitle }}</p>
{% endif %}
</header>
<main>
{% for section in sections %}
<section id="section-{{ loop.index }}" aria-labelledby="section-{{ loop.index }}-title">
<h2 id="section-{{ loop.index }}-title">{{ section.title }}</h2>
{{ section.body }}
</section>
{% endfor %}
</main>
<footer>
{% if zh %}
<p>{{ generated_label }}：<time datetime="{{ generated_iso }}">{{ generated_text }}</time>\
（{{ timezone_label }}） · {{ product }}</p>
{% else %}
<p>{{ generated_label }}: <time datetime="{{ generated_iso }}">{{ generated_text }}</time> \
({{ timezone_label }}) · {{ product }}</p>
{% endif %}
</footer>
</body>
</html>
"""

_TABLE = """<table>
{% if caption %}
<caption>{{ caption }}</caption>
{% endif %}
<thead><tr>
{% for header in headers %}
<th scope="col"{% if loop.index0 in numeric %} class="num"{% endif %}>{{ header }}</th>
{% endfor %}
</tr></thead>
<tbody>
{% for row in rows %}
<tr>{% for cell in row %}<td{% if loop.index0 in numeric %} class="num"{% endif %}>{{ cell }}</td>\
{% endfor %}</tr>
{% else %}
<tr><td colspan="{{ headers | length or 1 }}">{{ empty_text }}</td></tr>
{% endfor %}
</tbody>
</table>
"""


def _drop_non_xml(value: object) -> object:
    """jinja2 finalizer: strip characters XML forbids from plain text (HTML passes untouched)."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return _NOT_XML.sub("", value)
    return value


_ENV = jinja2.Environment(
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    finalize=_drop_non_xml,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_PAGE_TEMPLATE = _ENV.from_string(_PAGE)
_TABLE_TEMPLATE = _ENV.from_string(_TABLE)


def escape(value: object) -> str:
    """Text made safe for HTML and XML content and attribute values.

    Args:
        value: Anything; it is converted with ``str``.

    Returns:
        The text with ``& < > " '`` escaped and XML-forbidden control characters removed.
    """
    return _html.escape(_NOT_XML.sub("", str(value)), quote=True)


def raw(fragment: str) -> Markup:
    """Mark an HTML fragment built by this package (badge, chart, table) to be embedded unescaped.

    Args:
        fragment: HTML that is already escaped; never text that came from data.

    Returns:
        The fragment, marked safe for :func:`table` cells and templates.
    """
    return Markup(fragment)


def percent(x: float | None, *, digits: int = 1) -> str:
    """A fraction shown as a percentage: ``0.9823`` → ``"98.2%"``.

    A value that is not exactly 1 never shows as 100% and a positive value never shows as 0%:
    ``0.99996`` → ``">99.9%"``, ``0.00001`` → ``"<0.1%"``, so a failing check never looks perfect.

    Args:
        x: The fraction (1.0 is 100%), or ``None``.
        digits: Decimal places shown.

    Returns:
        The percentage, or ``"—"`` for ``None`` or a non-finite value.
    """
    if x is None or not math.isfinite(x):
        return DASH
    shown = f"{x * 100:.{digits}f}"
    step = 10.0**-digits
    if x < 1 and float(shown) >= 100:
        return f">{100 - step:.{digits}f}%"
    if x > 0 and float(shown) == 0:
        return f"<{step:.{digits}f}%"
    return f"{shown}%"


def format_value(value: object) -> str:
    """How a table cell shows a value: thousands separators, Beijing time, ``—`` for nothing."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}" if math.isfinite(value) else DASH
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo is not None else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(value: object) -> object:
    return value if hasattr(value, "__html__") else format_value(value)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric_columns: Collection[int] = (),
    caption: str | None = None,
    lang: Language | None = None,
) -> str:
    """An HTML table; every cell is escaped unless it was marked with :func:`raw`.

    Args:
        headers: Column headers.
        rows: Cell values; numbers get thousands separators, ``None`` shows as ``—``, datetimes as
            Beijing time. A row shorter than ``headers`` is padded with empty cells.
        numeric_columns: Indexes of right-aligned columns with tabular digits.
        caption: Shown above the table and read out by screen readers.
        lang: Language of the "no data" row of an empty table; both languages when ``None``.

    Returns:
        The ``<table>`` element.

    Raises:
        ReportError: A row has more cells than there are headers.
    """
    width = len(headers)
    cells = []
    for number, row in enumerate(rows, start=1):
        if len(row) > width:
            raise ReportError(f"row {number} has {len(row)} cells but the table has {width} columns")
        cells.append([_cell(v) for v in row] + [""] * (width - len(row)))
    empty_text = both_languages("no_data") if lang is None else label("no_data", lang)
    return _TABLE_TEMPLATE.render(
        headers=list(headers),
        rows=cells,
        numeric=frozenset(numeric_columns),
        caption=caption,
        empty_text=empty_text,
    )


def status_badge(status: str, lang: Language) -> str:
    """A coloured badge with a symbol and a word, readable without colour and in black-and-white print.

    Args:
        status: ``pass``/``passed``, ``held``, ``quarantined``, ``failed``, ``stale``, ``fresh``,
            ``unknown``, ``pending``, ``approved``, ``rejected``, ``released``, ...; any other value
            is shown as a neutral badge with its label (or the value itself).
        lang: Language of the word.

    Returns:
        A ``<span>`` element; embed it in a table with :func:`raw`.
    """
    tone = _TONES.get(status, "neutral")
    return (
        f'<span class="badge badge-{tone}" data-status="{escape(status)}">'
        f'<span aria-hidden="true">{_GLYPHS[tone]}</span> {escape(label(status, lang))}</span>'
    )


def figure(svg: str, *, lang: Language, caption: str | None = None, data_table: str | None = None) -> str:
    """A chart with an optional caption and its data as a table for screen readers and copying.

    Args:
        svg: A chart from :mod:`huiliu.reports.charts`.
        lang: Language of the "show data table" summary.
        caption: Text under the chart.
        data_table: A :func:`table` with the chart's numbers, folded under the chart.

    Returns:
        A ``<figure>`` element.
    """
    parts = ["<figure>", svg]
    if caption:
        parts.append(f"<figcaption>{escape(caption)}</figcaption>")
    if data_table:
        parts.append(f"<details><summary>{escape(label('data_table', lang))}</summary>{data_table}</details>")
    parts.append("</figure>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Section:
    """One titled part of a report page.

    Attributes:
        title: Heading text (escaped).
        body_html: HTML built with this module and :mod:`huiliu.reports.charts`, embedded as is.
    """

    title: str
    body_html: str


def _checked_href(href: str) -> str:
    if urlsplit(href).scheme.lower() not in _HREF_SCHEMES:
        raise ReportError(f"refusing link {href!r}: only relative, http(s) and file links are allowed")
    return href


def _beijing(moment: datetime | None) -> datetime:
    """Beijing time; a naive datetime is taken to be Beijing wall time already."""
    if moment is None:
        return datetime.now(SHANGHAI)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def render_page(
    *,
    title: str,
    sections: Sequence[Section],
    lang: Language,
    subtitle: str | None = None,
    generated_at: datetime | None = None,
    alternate_href: str | None = None,
) -> str:
    """A complete, self-contained HTML5 report page.

    Args:
        title: Page title and main heading (escaped).
        sections: The page's parts, in order.
        lang: ``"zh"`` (``<html lang="zh-CN">``) or ``"en"``.
        subtitle: A line under the heading (escaped).
        generated_at: When the report was made, shown in Beijing time; a naive datetime is taken as
            Beijing wall time; ``None`` means now.
        alternate_href: Link to the same report in the other language (see
            :func:`huiliu.reports.files.page_filename`).

    Returns:
        The HTML document.

    Raises:
        ReportError: ``alternate_href`` uses a scheme other than http(s) or file.
    """
    other: Language = "en" if lang == "zh" else "zh"
    moment = _beijing(generated_at)
    return _PAGE_TEMPLATE.render(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=title,
        subtitle=subtitle,
        css=Markup(CSS),
        alternate_href=_checked_href(alternate_href) if alternate_href else None,
        other_lang="zh-CN" if other == "zh" else "en",
        switch_text=label("other_language", lang),
        sections=[{"title": s.title, "body": Markup(s.body_html)} for s in sections],
        generated_label=label("generated_at", lang),
        zh=lang == "zh",
        generated_iso=moment.isoformat(timespec="seconds"),
        generated_text=moment.strftime("%Y-%m-%d %H:%M:%S"),
        timezone_label=label("beijing_time", lang),
        product=label("product_name", lang),
    )
