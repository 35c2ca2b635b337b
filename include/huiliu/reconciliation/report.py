"""The reconciliation report: its data as JSON and its pages in Chinese and English.

``<home>/reports/reconciliation/<run key>.json`` (and ``.html``, ``.en.html``), copied to
``latest.*``. The pages are rendered from the JSON data alone, so a stored report can be re-rendered.
Samples in the data are already masked; no page shows more than the data holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from huiliu.reconciliation.results import CheckResult, CheckStatus
from huiliu.reports import (
    LABELS,
    LANGUAGES,
    Language,
    ReportFiles,
    Section,
    add_labels,
    bar_chart,
    figure,
    label,
    page_filename,
    percent,
    raw,
    render_page,
    status_badge,
    table,
    write_report,
)

LATEST_STEM = "latest"
_UNSAFE_STEM = re.compile(r"[^A-Za-z0-9._-]+")
_WORDS: dict[str, tuple[str, str]] = {
    "skipped": ("已跳过", "Skipped"),
    "partial": ("部分完成", "Partial"),
    "recon_run_key": ("运行标识", "Run key"),
    "recon_finding": ("核对结果", "Finding"),
    "recon_absent_from_registry": ("人口库中查无此人", "Not in the resident registry"),
    "recon_dead_in_registry": ("人口库登记为死亡", "Dead in the resident registry"),
    "recon_moved_out": ("人口库登记为迁出", "Moved out per the resident registry"),
    "recon_unknown_code": ("区划代码不存在", "Code not in the hierarchy"),
    "recon_not_compared": ("未比对（身份证号为空）", "Not compared (no ID number)"),
    "recon_not_stated": ("未填写代码", "No code stated"),
    "recon_people_compared": ("比对人数", "People compared"),
    "recon_people_community_differs": ("所在社区不一致人数", "People whose community differs"),
    "recon_community_code": ("社区代码", "Community code"),
    "recon_department_count": ("部门登记人数", "Department count"),
    "recon_registry_count": ("人口库人数", "Registry count"),
    "recon_difference": ("差异", "Difference"),
    "recon_allowed_difference": ("允许差异", "Allowed difference"),
    "recon_code": ("代码", "Code"),
    "recon_count_tolerance": ("社区人数容差", "Per-community tolerance"),
    "recon_compared_unit_records": ("比对记录数", "Records compared"),
    "recon_compared_unit_communities": ("比对社区数", "Communities compared"),
    "recon_mismatch_rates": ("各核对项不一致率", "Mismatch rate per check"),
    "recon_column": ("字段", "Column"),
    "recon_level": ("层级", "Level"),
}
add_labels({key: texts for key, texts in _WORDS.items() if key not in LABELS})

_SAMPLE_LABELS = {
    "record_key": "record_key",
    "id_number": "id_card",
    "name": "person_name",
    "finding": "recon_finding",
    "community_code": "recon_community_code",
    "department_count": "recon_department_count",
    "registry_count": "recon_registry_count",
    "difference": "recon_difference",
    "allowed_difference": "recon_allowed_difference",
    "code": "recon_code",
}
_FINDINGS = {"absent_from_registry", "dead_in_registry", "moved_out", "unknown_code"}


def report_stem(run_key: str) -> str:
    """The file stem of a run's report: the run key with anything but letters, digits, ``._-`` replaced."""
    return _UNSAFE_STEM.sub("_", run_key).strip("._") or "run"


def report_data(
    *,
    run_id: str,
    run_key: str,
    status: str,
    started_at: datetime,
    finished_at: datetime,
    results: Sequence[CheckResult],
) -> dict[str, Any]:
    """The report's data: the run, totals, and per check its counts, tolerance and masked samples."""
    statuses = [r.status for r in results]
    return {
        "report": "reconciliation",
        "run_id": run_id,
        "run_key": run_key,
        "status": status,
        "started_at": started_at,
        "finished_at": finished_at,
        "totals": {
            "checks": len(results),
            **{s.value: statuses.count(s) for s in CheckStatus},
            "flagged": sum(len(r.flags) for r in results),
        },
        "checks": [r.as_dict() for r in results],
    }


def write_reconciliation_report(directory: Path, data: Mapping[str, Any]) -> ReportFiles:
    """Write the run's report and the same report as ``latest.*``; return the run's files."""
    stem = report_stem(str(data["run_key"]))
    files = write_report(directory, stem, data, render_pages(data, stem))
    write_report(directory, LATEST_STEM, data, render_pages(data, LATEST_STEM))
    return files


def render_pages(data: Mapping[str, Any], stem: str) -> dict[Language, str]:
    """The Chinese and English pages of a report, each linking to the other under ``stem``."""
    return {lang: _page(data, stem, lang) for lang in LANGUAGES}


def _page(data: Mapping[str, Any], stem: str, lang: Language) -> str:
    checks = list(data["checks"])
    sections = [Section(label("summary", lang), _summary(data, checks, lang))]
    sections += [
        Section(f"{number}. {_title(check, lang)}", _check_body(check, lang))
        for number, check in enumerate(checks, start=1)
    ]
    subtitle = f"{label('recon_run_key', lang)}: {data['run_key']} · {label(str(data['status']), lang)}"
    return render_page(
        title=label("reconciliation_report", lang),
        sections=sections,
        lang=lang,
        subtitle=subtitle,
        generated_at=_moment(data.get("finished_at")),
        alternate_href=page_filename(stem, "en" if lang == "zh" else "zh"),
    )


def _summary(data: Mapping[str, Any], checks: Sequence[Mapping[str, Any]], lang: Language) -> str:
    keys = ("check", "rows_compared", "mismatches", "mismatch_rate", "tolerance", "status")
    rows = [
        [
            number,
            _title(c, lang),
            c["rows_compared"],
            c["mismatches"],
            percent(c["mismatch_rate"]),
            "≤ " + percent(c["tolerance"]),
            raw(status_badge(c["status"], lang)),
        ]
        for number, c in enumerate(checks, start=1)
    ]
    headers = ["#", *(label(k, lang) for k in keys)]
    overview = table(headers, rows, numeric_columns=(0, 2, 3, 4, 5), lang=lang)
    chart = bar_chart(
        [(f"{n}. {_title(c, lang)}", _rate_percent(c)) for n, c in enumerate(checks, start=1)],
        title=label("recon_mismatch_rates", lang),
        unit="%",
        lang=lang,
    )
    return overview + figure(chart, lang=lang, caption=_totals_line(data["totals"], lang))


def _check_body(check: Mapping[str, Any], lang: Language) -> str:
    figures = table(
        [label("details", lang), label("value", lang)],
        _figure_rows(check, lang),
        numeric_columns=(1,),
        lang=lang,
    )
    if check["status"] == "skipped":
        return figures
    samples = check["samples"]
    headers = list(samples[0]) if samples else ["record_key"]
    sample_rows = [[_sample_cell(key, s.get(key), lang) for key in headers] for s in samples]
    numeric = [i for i, key in enumerate(headers) if key.endswith(("_count", "difference"))]
    caption = f"{label('samples', lang)} ({len(samples)} / {check['flagged']} {label('flagged', lang)})"
    sample_table = table(
        [label(_SAMPLE_LABELS.get(k, k), lang) for k in headers],
        sample_rows,
        numeric_columns=numeric,
        caption=caption,
        lang=lang,
    )
    return figures + sample_table


def _figure_rows(check: Mapping[str, Any], lang: Language) -> list[list[object]]:
    unit = (
        "recon_compared_unit_communities" if check["unit"] == "communities" else "recon_compared_unit_records"
    )
    rows: list[list[object]] = [
        [label("status", lang), raw(status_badge(check["status"], lang))],
        [label("datasets", lang), ", ".join(check["datasets"])],
    ]
    if check["status"] == "skipped":
        return [*rows, [label("reason", lang), check["reason"]]]
    rows += [
        [label(unit, lang), check["rows_compared"]],
        [label("mismatches", lang), check["mismatches"]],
        [label("mismatch_rate", lang), percent(check["mismatch_rate"])],
        [label("tolerance", lang), "≤ " + percent(check["tolerance"])],
        [label("flagged", lang), check["flagged"]],
    ]
    rows += [[label(f"recon_{k}", lang), v] for k, v in check["breakdown"].items()]
    return rows + _parameter_rows(check["parameters"], lang)


def _parameter_rows(parameters: Mapping[str, Any], lang: Language) -> list[list[object]]:
    rows: list[list[object]] = []
    tolerance = parameters.get("count_tolerance")
    if tolerance:
        shown = f"max({tolerance['absolute']}, {percent(tolerance['relative'], digits=0)})"
        rows.append([label("recon_count_tolerance", lang), shown])
    for key in ("column", "level"):
        if key in parameters:
            rows.append([label(f"recon_{key}", lang), parameters[key]])
    return rows


def _sample_cell(key: str, value: object, lang: Language) -> object:
    if key == "finding" and value in _FINDINGS:
        return label(f"recon_{value}", lang)
    return value


def _title(check: Mapping[str, Any], lang: Language) -> str:
    return str(check["title"][lang])


def _rate_percent(check: Mapping[str, Any]) -> float | None:
    rate = check["mismatch_rate"]
    return None if rate is None or check["status"] == "skipped" else float(rate) * 100


def _totals_line(totals: Mapping[str, int], lang: Language) -> str:
    parts = [f"{label(k, lang)} {totals[k]}" for k in ("passed", "failed", "skipped")]
    return f"{label('checks', lang)} {totals['checks']}: " + " · ".join(parts)


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return None
