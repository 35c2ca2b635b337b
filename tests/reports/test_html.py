"""Pages, tables, badges and labels: escaped, bilingual, self-contained and well-formed."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from huiliu.errors import ReportError
from huiliu.reports import (
    LABELS,
    Language,
    Section,
    add_labels,
    bar_chart,
    both_languages,
    escape,
    figure,
    label,
    line_chart,
    page_filename,
    percent,
    raw,
    render_page,
    sparkline,
    stacked_bar_chart,
    status_badge,
    table,
)

HOSTILE = "<script>alert('x')</script> & \"引号\"\x00"
GENERATED = datetime(2025, 6, 14, 23, 30, tzinfo=UTC)
DATASETS = [
    ("户籍人口登记", "公安局", 0.9987, 182_340, 237),
    ("最低生活保障对象", "民政局", 0.9912, 12_873, 114),
    ("残疾人证信息", "残联", 0.9645, 9_210, 337),
    ("养老服务补贴发放", "民政局", 0.9821, 25_118, 452),
    ("网格事件上报", "城运中心", 0.9402, 48_990, 2_924),
    ("12345热线工单", "政务服务办", 0.9968, 73_005, 234),
    ("市场主体登记", "市场监管局", 0.9999, 41_772, 4),
    ("社区矫正人员", "司法局", None, 0, 0),
    ("困难群众临时救助申请与审批记录（含历史补录数据）", "民政局", 0.9128, 3_301, 315),
]


def parse_xml(document: str) -> ET.Element:
    """The page as XML: its tags nest, its attributes are quoted and nothing is left unescaped."""
    return ET.fromstring(document.removeprefix("<!DOCTYPE html>"))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    collector.close()
    return collector


def _other(lang: Language) -> Language:
    return "en" if lang == "zh" else "zh"


def scorecard_page(lang: Language) -> str:
    """A realistic quality scorecard: nine datasets, a pass-rate bar chart, a 14-day trend."""
    names = [name for name, *_ in DATASETS]
    rates = [(name, None if rate is None else rate * 100) for name, _, rate, _, _ in DATASETS]
    days = [(date(2025, 6, 1) + timedelta(days=d)).strftime("%m-%d") for d in range(14)]
    trend = {
        name: [
            (day, None if (d == 5 and name == names[2]) else round(rate * 100 - (13 - d) * 0.05, 2))
            for d, day in enumerate(days)
        ]
        for name, _, rate, _, _ in DATASETS[:4]
        if rate is not None
    }
    rows = [
        [
            name,
            department,
            raw(
                status_badge("passed" if (rate or 0) >= 0.95 else "held", lang)
                if rate is not None
                else status_badge("empty", lang)
            ),
            percent(rate),
            curated,
            quarantined,
            raw(sparkline([v for _, v in trend.get(name, [])], lang=lang)),
        ]
        for name, department, rate, curated, quarantined in DATASETS
    ]
    headers = [
        label(k, lang)
        for k in (
            "dataset",
            "owner_department",
            "status",
            "pass_rate",
            "rows_curated",
            "rows_quarantined",
            "trend",
        )
    ]
    pass_chart = bar_chart(
        rates, title=label("pass_rate", lang), unit="%", max_value=100, highlight_below=95, lang=lang
    )
    rows_chart = stacked_bar_chart(
        names,
        {
            label("rows_curated", lang): [c for *_, c, _ in DATASETS],
            label("rows_quarantined", lang): [q for *_, q in DATASETS],
        },
        title=label("rows_total", lang),
        lang=lang,
    )
    trend_chart = line_chart(trend, title=label("pass_rate_trend", lang), unit="%", lang=lang)
    fallback = table(
        [label("dataset", lang), label("pass_rate", lang)],
        [[n, percent(r)] for n, _, r, _, _ in DATASETS],
        numeric_columns=[1],
        lang=lang,
    )
    sections = [
        Section(
            label("summary", lang),
            table(
                headers, rows, numeric_columns=[3, 4, 5], caption=label("quality_scorecard", lang), lang=lang
            ),
        ),
        Section(
            label("pass_rate", lang),
            figure(pass_chart, lang=lang, caption=label("threshold", lang) + " 95%", data_table=fallback),
        ),
        Section(label("rows_total", lang), figure(rows_chart, lang=lang)),
        Section(label("trend", lang), figure(trend_chart, lang=lang)),
    ]
    return render_page(
        title=label("quality_scorecard", lang),
        subtitle="2025-06-01 — 2025-06-14",
        sections=sections,
        lang=lang,
        generated_at=GENERATED,
        alternate_href=page_filename("quality-2025-06-14", _other(lang)),
    )


def test_label_translates_and_falls_back_to_the_key() -> None:
    assert label("pass_rate", "zh") == "通过率"
    assert label("pass_rate", "en") == "Pass rate"
    assert label("rows_quarantined", "zh") == "隔离行数"
    assert label("no.such.key", "zh") == "no.such.key"
    assert label("no.such.key", "en") == "no.such.key"
    assert both_languages("no_data") == "暂无数据 / No data"
    assert all(len(texts) == 2 and all(texts) for texts in LABELS.values())


def test_add_labels_extends_the_vocabulary_but_never_redefines_a_word() -> None:
    add_labels({"test_only_word": ("测试词", "Test word"), "pass_rate": ("通过率", "Pass rate")})
    try:
        assert label("test_only_word", "en") == "Test word"
        with pytest.raises(ReportError, match="pass_rate"):
            add_labels({"pass_rate": ("合格率", "Pass rate")})
        assert label("pass_rate", "zh") == "通过率"
    finally:
        LABELS.pop("test_only_word")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.9823, "98.2%"),
        (1.0, "100.0%"),
        (0.0, "0.0%"),
        (0.99996, ">99.9%"),
        (0.00001, "<0.1%"),
        (None, "—"),
        (math.nan, "—"),
        (0.5, "50.0%"),
    ],
)
def test_percent(value: float | None, shown: str) -> None:
    assert percent(value) == shown


def test_percent_digits() -> None:
    assert percent(0.98234, digits=2) == "98.23%"
    assert percent(0.996, digits=0) == ">99%"


def test_escape_removes_markup_and_characters_xml_forbids() -> None:
    assert escape(HOSTILE) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;引号&quot;"
    assert escape(12) == "12"


def test_table_escapes_cells_headers_and_caption() -> None:
    document = table(
        [HOSTILE, "行数"], [[HOSTILE, 1234567], [None, 0.5]], numeric_columns=[1], caption=HOSTILE
    )
    assert "<script" not in document
    root = parse_xml(document)
    assert root.tag == "table"
    assert root.findtext("caption") == "<script>alert('x')</script> & \"引号\""
    cells = [td.text for td in root.iter("td")]
    assert cells == ["<script>alert('x')</script> & \"引号\"", "1,234,567", "—", "0.50"]
    assert [td.get("class") for td in root.iter("td")] == [None, "num", None, "num"]
    assert [th.get("class") for th in root.iter("th")] == [None, "num"]


def test_table_embeds_only_marked_html() -> None:
    badge = status_badge("passed", "zh")
    root = parse_xml(table(["a", "b"], [[raw(badge), badge]]))
    first, second = root.iter("td")
    assert first.find("span") is not None
    assert second.find("span") is None and second.text is not None and second.text.startswith("<span")


def test_table_pads_short_rows_refuses_long_ones_and_says_when_empty() -> None:
    root = parse_xml(table(["a", "b", "c"], [["x"]]))
    assert [td.text for td in root.iter("td")] == ["x", None, None]
    with pytest.raises(ReportError, match="row 1"):
        table(["a"], [["x", "y"]])
    empty = parse_xml(table(["a", "b"], [], lang="en"))
    (cell,) = empty.iter("td")
    assert cell.text == "No data" and cell.get("colspan") == "2"
    assert "暂无数据 / No data" in table(["a"], [])


def test_table_formats_values() -> None:
    when = datetime(2025, 6, 1, 0, 30, tzinfo=UTC)
    root = parse_xml(table(["a"] * 5, [[when, date(2025, 6, 1), True, math.inf, "文本"]]))
    assert [td.text for td in root.iter("td")] == ["2025-06-01 08:30", "2025-06-01", "✓", "—", "文本"]


@pytest.mark.parametrize(
    ("status", "zh", "en", "tone"),
    [
        ("passed", "通过", "Passed", "good"),
        ("pass", "通过", "Pass", "good"),
        ("held", "已拦截", "Held", "warn"),
        ("quarantined", "已隔离", "Quarantined", "warn"),
        ("stale", "逾期", "Stale", "warn"),
        ("fresh", "及时", "Fresh", "good"),
        ("pending", "待审批", "Pending", "warn"),
        ("approved", "已批准", "Approved", "good"),
        ("rejected", "已驳回", "Rejected", "bad"),
        ("unknown", "未知", "Unknown", "neutral"),
    ],
)
def test_status_badge(status: str, zh: str, en: str, tone: str) -> None:
    for lang, word in (("zh", zh), ("en", en)):
        badge = parse_xml(status_badge(status, lang))  # type: ignore[arg-type]
        assert badge.get("class") == f"badge badge-{tone}"
        assert "".join(badge.itertext()).endswith(f" {word}")


def test_status_badge_of_an_unknown_status_shows_it_escaped() -> None:
    badge = status_badge(HOSTILE, "zh")
    assert "<script" not in badge
    assert "badge-neutral" in badge and "&lt;script&gt;" in badge


def test_figure_folds_the_data_table_under_the_chart() -> None:
    chart = bar_chart([("a", 1.0)], title="t")
    root = parse_xml(figure(chart, lang="zh", caption=HOSTILE, data_table=table(["a"], [["1"]])))
    assert root.tag == "figure"
    assert root.findtext("figcaption") == "<script>alert('x')</script> & \"引号\""
    assert root.findtext("details/summary") == "查看数据表"
    assert root.find("details/table") is not None


def test_page_is_a_complete_self_contained_document() -> None:
    page = render_page(
        title="质量报告", sections=[Section("概览", "<p>内容</p>")], lang="zh", generated_at=GENERATED
    )
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    root = parse_xml(page)
    assert root.find("head/meta[@charset='utf-8']") is not None
    assert root.findtext("head/title") == "质量报告"
    assert root.findtext("body/header/h1") == "质量报告"
    assert root.findtext("body/main/section/h2") == "概览"
    assert root.findtext("body/main/section/p") == "内容"
    style = root.findtext("head/style") or ""
    assert "@media print" in style
    tags = parse_html(page).tags
    assert not [t for t, _ in tags if t in {"script", "iframe", "img", "object", "embed"}]
    assert not [a for t, a in tags if t == "link" and a.get("rel") == "stylesheet"]
    assert root.find(".//link[@rel='alternate']") is None


def test_page_footer_shows_beijing_time() -> None:
    footer = parse_xml(render_page(title="t", sections=[], lang="zh", generated_at=GENERATED)).find(
        "body/footer/p"
    )
    assert footer is not None
    assert "".join(footer.itertext()).startswith("生成时间：2025-06-15 07:30:00（北京时间）")
    time = footer.find("time")
    assert time is not None and time.get("datetime") == "2025-06-15T07:30:00+08:00"
    naive = render_page(title="t", sections=[], lang="en", generated_at=datetime(2025, 6, 1, 9, 0))
    naive_footer = parse_xml(naive).find("body/footer/p")
    assert naive_footer is not None
    assert "".join(naive_footer.itertext()).startswith(
        "Generated at: 2025-06-01 09:00:00 (Beijing time, UTC+8)"
    )
    assert "<time datetime=" in render_page(title="t", sections=[], lang="en")


@pytest.mark.parametrize(("lang", "html_lang", "switch"), [("zh", "zh-CN", "English"), ("en", "en", "中文")])
def test_page_links_to_the_other_language(lang: Language, html_lang: str, switch: str) -> None:
    href = page_filename("quality-2025-06-14", _other(lang))
    root = parse_xml(
        render_page(title="t", sections=[], lang=lang, alternate_href=href, generated_at=GENERATED)
    )
    assert root.get("lang") == html_lang
    link = root.find("head/link[@rel='alternate']")
    assert link is not None and link.get("href") == href
    anchor = root.find("body/header/nav/a")
    assert anchor is not None and anchor.get("href") == href and anchor.text == switch
    assert link.get("hreflang") == anchor.get("hreflang") == ("en" if lang == "zh" else "zh-CN")


def test_page_refuses_script_links() -> None:
    with pytest.raises(ReportError, match="javascript"):
        render_page(title="t", sections=[], lang="zh", alternate_href="javascript:alert(1)")


def test_page_escapes_title_subtitle_and_section_titles() -> None:
    page = render_page(
        title=HOSTILE,
        subtitle=HOSTILE,
        sections=[Section(HOSTILE, "<p>ok</p>")],
        lang="en",
        generated_at=GENERATED,
    )
    assert "<script" not in page
    root = parse_xml(page)
    expected = "<script>alert('x')</script> & \"引号\""
    assert root.findtext("head/title") == expected
    assert root.findtext("body/header/h1") == expected
    assert root.findtext("body/header/p") == expected
    assert root.findtext("body/main/section/h2") == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_quality_scorecard(lang: Language, tmp_path: Path) -> None:
    page = scorecard_page(lang)
    target = tmp_path / page_filename("quality-2025-06-14", lang)
    target.write_text(page, encoding="utf-8")
    assert page == scorecard_page(lang)
    root = parse_xml(target.read_text(encoding="utf-8"))
    assert root.get("lang") == ("zh-CN" if lang == "zh" else "en")
    svg = "{http://www.w3.org/2000/svg}"
    charts = [e for e in root.iter(f"{svg}svg") if "chart" in e.get("class", "").split()]
    assert len(charts) == 3
    bars = [r for r in charts[0].iter(f"{svg}rect") if "bar" in r.get("class", "").split()]
    assert len(bars) == 9
    assert sum("below" in r.get("class", "") for r in bars) == 2
    assert len([c for c in charts[2].iter(f"{svg}circle") if c.get("class") == "point"]) == 14 * 4 - 1
    sparklines = [e for e in root.iter(f"{svg}svg") if e.get("class") == "sparkline"]
    assert len(sparklines) == 9
    words = ["数据质量记分卡", "通过率", "入库行数", "隔离行数", "责任部门", "趋势", "已拦截", "生成时间"]
    if lang == "en":
        words = [
            "Data quality scorecard",
            "Pass rate",
            "Rows curated",
            "Rows quarantined",
            "Owner department",
            "Trend",
            "Held",
            "Generated at",
        ]
    text = "".join(root.itertext())
    assert all(word in text for word in words)
    assert "户籍人口登记" in text and "182,340" in text and "99.9%" in text
    other = ["数据质量记分卡", "通过率"] if lang == "en" else ["Data quality scorecard", "Pass rate"]
    assert not any(word in text for word in other)
