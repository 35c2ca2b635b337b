"""Charts: well-formed SVG, one mark per value at the right size, escaped text, no-data frames."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from huiliu.errors import ReportError
from huiliu.reports import bar_chart, line_chart, sparkline, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"引号\"\x00\x0b"


def parse(svg: str) -> ET.Element:
    """The chart as an XML tree; fails the test when it is not well-formed."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def elements(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{SVG}{tag}")
    return [e for e in found if cls is None or cls in e.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return [
        "".join(e.itertext()) for e in root.iter() if e.tag in {f"{SVG}text", f"{SVG}title", f"{SVG}desc"}
    ]


def no_script(root: ET.Element) -> None:
    assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1].lower() == "script"]
    assert not [e for e in root.iter() if any(name.lower().startswith("on") for name in e.attrib)]


def test_bar_chart_draws_one_bar_per_item_with_widths_in_proportion() -> None:
    items = [("东城街道", 100.0), ("西城街道", 50.0), ("南湖街道", 25.0), ("北苑街道", 0.0)]
    root = parse(bar_chart(items, title="通过率", unit="%"))
    bars = elements(root, "rect", "bar")
    assert len(bars) == 4
    widths = [float(b.get("width", "nan")) for b in bars]
    assert widths[0] > 0
    assert [w / widths[0] for w in widths] == pytest.approx([1.0, 0.5, 0.25, 0.0], abs=1e-3)
    assert [b.get("data-value") for b in bars] == ["100%", "50%", "25%", "0%"]
    assert {"东城街道", "100%", "通过率"} <= set(texts(root))


def test_bar_chart_max_value_sets_the_full_width() -> None:
    full = parse(bar_chart([("a", 200.0), ("b", 100.0)], title="t", max_value=200))
    half = parse(bar_chart([("a", 100.0)], title="t", max_value=200))
    full_width = float(elements(full, "rect", "bar")[0].get("width", "nan"))
    assert float(elements(half, "rect", "bar")[0].get("width", "nan")) == pytest.approx(
        full_width / 2, abs=0.01
    )
    over = parse(bar_chart([("a", 500.0)], title="t", max_value=200))
    assert float(elements(over, "rect", "bar")[0].get("width", "nan")) == pytest.approx(full_width, abs=0.01)


def test_bar_chart_highlights_bars_below_the_threshold() -> None:
    root = parse(bar_chart([("a", 99.0), ("b", 80.0), ("c", None)], title="t", unit="%", highlight_below=95))
    bars = elements(root, "rect", "bar")
    assert ["below" in b.get("class", "") for b in bars] == [False, True, False]
    assert bars[1].get("fill") != bars[0].get("fill")
    assert bars[2].get("width") == "0" and bars[2].get("data-value") == "—"
    assert len(elements(root, "g", "threshold")) == 1
    assert "95%" in texts(root)


def test_bar_chart_survives_odd_values() -> None:
    items = [("nan", math.nan), ("inf", math.inf), ("negative", -5.0), ("ok", 10.0)]
    bars = elements(parse(bar_chart(items, title="t")), "rect", "bar")
    assert [float(b.get("width", "nan")) for b in bars][:3] == [0.0, 0.0, 0.0]
    assert [b.get("data-value") for b in bars] == ["—", "—", "-5", "10"]


def test_long_chinese_labels_are_cut_and_keep_their_full_text() -> None:
    name = "上海市浦东新区陆家嘴街道社区事务受理服务中心人口信息采集登记表"
    root = parse(bar_chart([(name, 1.0)], title="t"))
    drawn = [t for t in texts(root) if t.endswith("…")]
    assert len(drawn) == 1 and name.startswith(drawn[0][:-1]) and len(drawn[0]) < len(name)
    assert any(name in t for t in texts(root))


@pytest.mark.parametrize(
    "render",
    [
        lambda: bar_chart([(HOSTILE, 1.0)], title=HOSTILE, unit=HOSTILE),
        lambda: stacked_bar_chart([HOSTILE], {HOSTILE: [1.0]}, title=HOSTILE, unit=HOSTILE),
        lambda: line_chart({HOSTILE: [(HOSTILE, 1.0), ("x", 2.0)]}, title=HOSTILE, unit=HOSTILE),
        lambda: line_chart({HOSTILE: [], "b": [("x", 1.0)]}, title=HOSTILE),
        lambda: bar_chart([], title=HOSTILE),
    ],
)
def test_text_from_data_is_escaped(render: Callable[[], str]) -> None:
    svg = render()
    assert "<script" not in svg
    root = parse(svg)
    no_script(root)
    assert any("<script>alert('x')</script>" in t for t in texts(root))


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart([], title="通过率"),
        stacked_bar_chart([], {}, title="行数"),
        stacked_bar_chart(["a"], {}, title="行数"),
        line_chart({}, title="趋势"),
        line_chart({"a": []}, title="趋势"),
        line_chart({"a": [("06-01", None), ("06-02", math.nan)]}, title="趋势"),
    ],
)
def test_empty_input_draws_a_no_data_chart(svg: str) -> None:
    root = parse(svg)
    assert "empty" in root.get("class", "")
    assert "暂无数据 / No data" in texts(root)


def test_no_data_text_follows_the_language() -> None:
    assert "No data" in texts(parse(bar_chart([], title="t", lang="en")))
    assert "暂无数据" in texts(parse(line_chart({}, title="t", lang="zh")))
    assert "No data" not in bar_chart([], title="t", lang="zh")


def test_charts_are_deterministic() -> None:
    def draw() -> list[str]:
        days = [(f"06-{d:02d}", 90.0 + d / 3) for d in range(1, 15)]
        return [
            bar_chart([("东城", 98.5), ("西城", 91.0)], title="通过率", unit="%", highlight_below=95),
            stacked_bar_chart(["东城", "西城"], {"入库": [10, 20], "隔离": [1, 2]}, title="行数"),
            line_chart({"东城": days, "西城": days[::-1]}, title="趋势", unit="%"),
            sparkline([1.0, None, 3.0]),
        ]

    assert draw() == draw()
    first, second = bar_chart([("a", 1.0)], title="t"), bar_chart([("a", 2.0)], title="t")
    assert parse(first).get("aria-labelledby") != parse(second).get("aria-labelledby")


def test_charts_carry_an_accessible_title_and_description() -> None:
    root = parse(bar_chart([("东城", 98.5)], title="通过率", unit="%"))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "通过率" and desc.text == "东城: 98.5%"


def test_stacked_bars_split_each_category_in_proportion() -> None:
    root = parse(
        stacked_bar_chart(["东城", "西城"], {"入库行数": [30.0, 10.0], "隔离行数": [10.0, 0.0]}, title="行数")
    )
    segments = elements(root, "rect", "segment")
    assert len(segments) == 4
    widths = [float(s.get("width", "nan")) for s in segments]
    assert widths[1] / widths[0] == pytest.approx(1 / 3, abs=1e-3)
    assert widths[2] / widths[0] == pytest.approx(1 / 3, abs=1e-3) and widths[3] == 0
    assert {"入库行数", "隔离行数", "40"} <= set(texts(root))
    assert len(elements(root, "g", "legend-item")) == 2


def test_stacked_bars_refuse_series_of_the_wrong_length() -> None:
    with pytest.raises(ReportError, match="2 categories"):
        stacked_bar_chart(["a", "b"], {"s": [1.0]}, title="t")


def test_line_chart_leaves_gaps_for_missing_values() -> None:
    points = [("06-01", 1.0), ("06-02", 2.0), ("06-03", None), ("06-04", 4.0), ("06-05", 5.0)]
    root = parse(line_chart({"东城": points}, title="t"))
    (line,) = elements(root, "path", "line")
    assert line.get("d", "").count("M") == 2 and line.get("d", "").count("L") == 2
    assert len(elements(root, "circle", "point")) == 4


def test_line_chart_draws_a_single_point_as_a_dot() -> None:
    root = parse(line_chart({"东城": [("06-01", 97.0)]}, title="t"))
    assert len(elements(root, "circle", "point")) == 1
    assert "06-01" in texts(root)


def test_line_chart_keeps_the_requested_axis_and_a_legend_for_several_series() -> None:
    days = [f"06-{d:02d}" for d in range(1, 15)]
    series = {"东城": [(d, 95.0) for d in days], "西城": [(d, 96.0) for d in days]}
    root = parse(line_chart(series, title="t", y_min=0, y_max=100, unit="%"))
    labels = texts(root)
    assert {"0%", "100%"} <= set(labels)
    assert len(elements(root, "circle", "point")) == 28
    assert len(elements(root, "g", "legend-item")) == 2
    dashes = [p.get("stroke-dasharray") for p in elements(root, "path", "line")]
    assert dashes[0] != dashes[1]
    assert len(elements(root, "g", "x-label")) <= 8


def test_line_chart_with_one_flat_value_still_has_a_range() -> None:
    root = parse(line_chart({"a": [("1", 0.0), ("2", 0.0)]}, title="t"))
    (line,) = elements(root, "path", "line")
    ys = {float(c.get("cy", "nan")) for c in elements(root, "circle", "point")}
    assert len(ys) == 1 and all(math.isfinite(y) for y in ys)
    assert line.get("d", "").startswith("M")


def test_sparkline() -> None:
    root = parse(sparkline([1.0, 2.0, None, 4.0], lang="en"))
    assert "sparkline" in root.get("class", "")
    assert root.findtext(f"{SVG}title") == "Trend: 1, 2, —, 4"
    path = root.find(f"{SVG}path")
    assert path is not None and path.get("d", "").count("M") == 2
    for values in ([], [None], [7.0], [3.0, 3.0]):
        parse(sparkline(values))
    assert "暂无数据" in sparkline([])
