"""The scorecard as an HTML page (Chinese or English) with charts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huiliu.reports.charts import bar_chart, line_chart
from huiliu.reports.html import Section, figure, percent, raw, render_page, status_badge, table
from huiliu.reports.labels import Language, label


def _name(card: dict[str, Any], lang: Language) -> str:
    return card["title"] if lang == "zh" else card["title_en"]


def _pass_rate_chart(cards: list[dict[str, Any]], lang: Language) -> str:
    items = [
        (_name(c, lang), c["pass_rate"] * 100 if c["pass_rate"] is not None else float("nan")) for c in cards
    ]
    return bar_chart(
        items, title=label("pass_rate", lang), unit="%", max_value=100, highlight_below=95, lang=lang
    )


def _trend_chart(cards: list[dict[str, Any]], lang: Language) -> str:
    days = sorted({p["day"] for c in cards for p in c["trend"]})
    series = {}
    for card in cards:
        rates = {p["day"]: p["pass_rate"] * 100 for p in card["trend"]}
        series[_name(card, lang)] = [(day[5:], rates.get(day)) for day in days]
    return line_chart(series, title=label("pass_rate_trend", lang), y_max=100, unit="%", lang=lang)


def _dataset_table(cards: list[dict[str, Any]], lang: Language) -> str:
    headers = [
        label(k, lang)
        for k in (
            "dataset",
            "owner_department",
            "status",
            "rows_curated",
            "rows_quarantined",
            "pass_rate",
            "freshness",
        )
    ]
    rows = [
        [
            _name(c, lang),
            c["owner"],
            raw(status_badge(c["last_status"], lang)),
            c["rows_curated"],
            c["rows_quarantined"],
            percent(c["pass_rate"]),
            raw(status_badge(c["freshness"].get("status", "unknown"), lang)),
        ]
        for c in cards
    ]
    return table(headers, rows, numeric_columns=(3, 4, 5), lang=lang)


def _department_table(departments: list[dict[str, Any]], lang: Language) -> str:
    headers = [
        label(k, lang)
        for k in ("owner_department", "datasets", "rows_curated", "rows_quarantined", "pass_rate", "stale")
    ]
    rows = [
        [
            d["owner"],
            len(d["datasets"]),
            d["rows_curated"],
            d["rows_quarantined"],
            percent(d["pass_rate"]),
            ", ".join(d["stale_datasets"]) or "—",
        ]
        for d in departments
    ]
    return table(headers, rows, numeric_columns=(1, 2, 3, 4), lang=lang)


def _failures_table(cards: list[dict[str, Any]], lang: Language) -> str:
    headers = [label(k, lang) for k in ("dataset", "expectation", "severity", "failed_rows")]
    rows = [
        [_name(c, lang), r["rule"], r["severity"], r["unexpected_count"]]
        for c in cards
        for r in c["failed_rules"]
    ]
    return table(headers, rows, numeric_columns=(3,), lang=lang)


def render_scorecard(card: dict[str, Any], lang: Language) -> str:
    """The scorecard page in one language; the other language's page is linked."""
    cards = card["datasets"]
    sections = [
        Section(
            label("summary", lang),
            figure(_pass_rate_chart(cards, lang), lang=lang) + _dataset_table(cards, lang),
        ),
        Section(label("owner_department", lang), _department_table(card["departments"], lang)),
        Section(label("trend", lang), figure(_trend_chart(cards, lang), lang=lang)),
        Section(label("expectations", lang), _failures_table(cards, lang)),
    ]
    return render_page(
        title=label("quality_scorecard", lang),
        sections=sections,
        lang=lang,
        generated_at=datetime.fromisoformat(card["generated_at"]),
        alternate_href="scorecard.en.html" if lang == "zh" else "scorecard.html",
    )
