"""Reports people read: quality scorecards, reconciliation reports and personal-information reports.

Each report is written as JSON (for machines) and as two self-contained HTML pages, Chinese
(``<stem>.html``) and English (``<stem>.en.html``), that open offline from disk: inline CSS, charts as
inline SVG drawn here, no scripts, nothing fetched from the network, printable on A4. Every value
from data is escaped.

Typical use::

    from huiliu.reports import Section, bar_chart, figure, label, page_filename, render_page, write_report

    def page(lang: Language) -> str:
        chart = bar_chart(items, title=label("pass_rate", lang), unit="%", max_value=100)
        return render_page(
            title=label("quality_scorecard", lang),
            sections=[Section(label("pass_rate", lang), figure(chart, lang=lang))],
            lang=lang,
            alternate_href=page_filename(stem, "en" if lang == "zh" else "zh"),
        )

    write_report(directory, stem, data, {lang: page(lang) for lang in LANGUAGES})
"""

from huiliu.reports.charts import bar_chart, line_chart, sparkline, stacked_bar_chart
from huiliu.reports.files import ReportFiles, page_filename, to_jsonable, write_report
from huiliu.reports.html import (
    SHANGHAI,
    Section,
    escape,
    figure,
    format_value,
    percent,
    raw,
    render_page,
    status_badge,
    table,
)
from huiliu.reports.labels import LABELS, LANGUAGES, Language, add_labels, both_languages, label

__all__ = [
    "LABELS",
    "LANGUAGES",
    "SHANGHAI",
    "Language",
    "ReportFiles",
    "Section",
    "add_labels",
    "bar_chart",
    "both_languages",
    "escape",
    "figure",
    "format_value",
    "label",
    "line_chart",
    "page_filename",
    "percent",
    "raw",
    "render_page",
    "sparkline",
    "stacked_bar_chart",
    "status_badge",
    "table",
    "to_jsonable",
    "write_report",
]
