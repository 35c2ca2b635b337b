"""The scorecard as an HTML page (Chinese or English) with charts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from huiliu.reports.charts import bar_chart, line_chart
from huiliu.reports.html import Section, figure, percent, raw, render_page, status_badge, table
from huiliu.reports.labels import Language, label

if TYPE_CHECKING:
    from huiliu.quality.scorecard import DatasetCard, DepartmentCard, Scorecard, TrendPoint


def _name(card: DatasetCard, lang: Language) -> str:
    return card["title"] if lang == "zh" else card["title_en"]


def _pass_rate_chart(cards: list[DatasetCard], lang: Language) -> str:
    items = [
        (_name(c, lang), c["pass_rate"] * 100 if c["pass_rate"] is not None else float("nan")) for c in cards
    ]
    return bar_chart(
        items, title=label("pass_rate", lang), unit="%", max_value=100, highlight_below=95, lang=lang
    )


def _owner(card: DatasetCard | DepartmentCard, lang: Language) -> str:
    return card["owner"] if lang == "zh" else card.get("owner_en") or card["owner"]


def _scaled(value: float | None, factor: int) -> float | None:
    return None if value is None else value * factor


def _daily(
    groups: list[tuple[str, list[TrendPoint]]],
    value: Literal["pass_rate", "rows_quarantined"],
    *,
    title: str,
    percent_of: bool,
    lang: Language,
) -> str:
    """One line per group over the days any group has a point: pass rate (%) or a row count."""
    days = sorted({p["day"] for _, trend in groups for p in trend})
    series = {}
    for name, trend in groups:
        by_day = {p["day"]: p.get(value) for p in trend}
        series[name] = [(day[5:], _scaled(by_day.get(day), 100 if percent_of else 1)) for day in days]
    if percent_of:
        return line_chart(series, title=title, y_max=100, unit="%", lang=lang)
    return line_chart(series, title=title, y_min=0, lang=lang)


def _trend_chart(cards: list[DatasetCard], lang: Language) -> str:
    groups = [(_name(c, lang), c["trend"]) for c in cards]
    return _daily(groups, "pass_rate", title=label("pass_rate_trend", lang), percent_of=True, lang=lang)


def _quarantined_chart(cards: list[DatasetCard], lang: Language) -> str:
    groups = [(_name(c, lang), c["trend"]) for c in cards]
    return _daily(
        groups, "rows_quarantined", title=label("quarantined_trend", lang), percent_of=False, lang=lang
    )


def _department_trend_chart(departments: list[DepartmentCard], lang: Language) -> str:
    groups = [(_owner(d, lang), d.get("trend", [])) for d in departments]
    return _daily(groups, "pass_rate", title=label("department_trend", lang), percent_of=True, lang=lang)


def _dataset_table(cards: list[DatasetCard], lang: Language) -> str:
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
            _owner(c, lang),
            raw(status_badge(c["last_status"], lang)),
            c["rows_curated"],
            c["rows_quarantined"],
            percent(c["pass_rate"]),
            raw(status_badge(c["freshness"].get("status", "unknown"), lang)),
        ]
        for c in cards
    ]
    return table(headers, rows, numeric_columns=(3, 4, 5), lang=lang)


def _department_table(departments: list[DepartmentCard], lang: Language) -> str:
    headers = [
        label(k, lang)
        for k in ("owner_department", "datasets", "rows_curated", "rows_quarantined", "pass_rate", "stale")
    ]
    rows = [
        [
            _owner(d, lang),
            len(d["datasets"]),
            d["rows_curated"],
            d["rows_quarantined"],
            percent(d["pass_rate"]),
            ", ".join(d["stale_datasets"]) or "—",
        ]
        for d in departments
    ]
    return table(headers, rows, numeric_columns=(1, 2, 3, 4), lang=lang)


def _failures_table(cards: list[DatasetCard], lang: Language) -> str:
    headers = [label(k, lang) for k in ("dataset", "expectation", "severity", "failed_rows")]
    rows = [
        [_name(c, lang), r["rule"], label(str(r["severity"]), lang), r["unexpected_count"]]
        for c in cards
        for r in c["failed_rules"]
    ]
    return table(headers, rows, numeric_columns=(3,), lang=lang)


def render_scorecard(card: Scorecard, lang: Language) -> str:
    """The scorecard page in one language; the other language's page is linked."""
    cards = card["datasets"]
    sections = [
        Section(
            label("summary", lang),
            figure(_pass_rate_chart(cards, lang), lang=lang) + _dataset_table(cards, lang),
        ),
        Section(
            label("owner_department", lang),
            _department_table(card["departments"], lang)
            + figure(_department_trend_chart(card["departments"], lang), lang=lang),
        ),
        Section(
            label("trend", lang),
            figure(_trend_chart(cards, lang), lang=lang) + figure(_quarantined_chart(cards, lang), lang=lang),
        ),
        Section(label("expectations", lang), _failures_table(cards, lang)),
    ]
    return render_page(
        title=label("quality_scorecard", lang),
        sections=sections,
        lang=lang,
        generated_at=datetime.fromisoformat(card["generated_at"]),
        alternate_href="scorecard.en.html" if lang == "zh" else "scorecard.html",
    )
