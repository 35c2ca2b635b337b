"""The PII report pages (Chinese or English): one batch, and one dataset over time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from huiliu.pii.policy import entity_name
from huiliu.reports.charts import bar_chart, line_chart
from huiliu.reports.files import page_filename
from huiliu.reports.html import (
    SHANGHAI,
    Section,
    escape,
    figure,
    percent,
    raw,
    render_page,
    status_badge,
    table,
)
from huiliu.reports.labels import Language, add_labels, label

if TYPE_CHECKING:  # huiliu.pii.report renders with this module
    from huiliu.pii.decisions import DecisionRecord
    from huiliu.pii.drift import DriftRecord
    from huiliu.pii.policy import PolicyFindingRecord
    from huiliu.pii.report import (
        BatchReport,
        ColumnRow,
        EntityCount,
        FreeTextSection,
        HistoryBatch,
        HistoryReport,
    )

add_labels(
    {
        "pii_history": ("个人信息识别历史", "Personal information history"),
        "pii_pii_batch": ("批次个人信息识别", "Personal information in one batch"),
        "pii_columns": ("含个人信息字段数", "Columns with personal information"),
        "pii_per_column": ("字段分类", "Columns"),
        "pii_kind": ("类别", "Kind"),
        "pii_kind_structured": ("结构化", "Structured"),
        "pii_kind_free_text": ("自由文本", "Free text"),
        "pii_kind_none": ("无", "None"),
        "pii_declared": ("契约声明", "Declared in contract"),
        "pii_checksum_valid": ("校验码有效率", "Checksum valid"),
        "pii_masked_examples": ("脱敏样例", "Masked examples"),
        "pii_entity_counts": ("各类个人信息数量", "Counts per entity type"),
        "pii_rows_carrying": (
            "含该类信息的行数（结构化字段按抽样估算）",
            "Rows carrying it (estimated from the sample)",
        ),
        "pii_columns_count": ("字段数", "Columns"),
        "pii_free_text_findings": ("自由文本识别结果", "Free-text findings"),
        "pii_findings": ("识别数", "Findings"),
        "pii_rows_scanned": ("扫描行数", "Rows scanned"),
        "pii_rows_with_findings": ("含个人信息的行数", "Rows with findings"),
        "pii_policy_findings": ("合规检查结果", "Policy findings"),
        "pii_rule": ("规则", "Rule"),
        "pii_holds": ("需审批", "Needs approval"),
        "needs_approval": ("需审批", "Needs approval"),
        "not_required": ("无需审批", "Not required"),
        "pii_decision_history": ("审批记录", "Decision history"),
        "pii_requested_at": ("提请时间", "Requested at"),
        "pii_channel": ("途径", "Channel"),
        "pii_no_drift": ("与上一批次相比无变化。", "No change from the previous batch."),
        "pii_first_batch": (
            "首个批次，无可比较的上一批次。",
            "First batch: no previous batch to compare with.",
        ),
        "pii_all_batches": ("全部批次", "All batches"),
        "pii_batch_page": ("批次报告", "Batch report"),
        "pii_drift_changes": ("变化数", "Changes"),
        "pii_held_findings": ("拦截项", "Held findings"),
        "pii_rule_undeclared_column": ("字段未声明", "Undeclared column"),
        "pii_rule_undeclared_entity": ("类型未声明", "Undeclared entity type"),
        "pii_rule_sensitive_not_allowed": ("敏感信息超出分级", "Sensitive PI not allowed"),
        "pii_rule_declared_not_detected": ("声明未检出", "Declared, not detected"),
        "pii_rule_pii_gate_incomplete": ("检查未完成", "Check incomplete"),
        "pii_rule_organisation_identifier": ("组织机构标识", "Organisation identifier"),
        "pii_drift_column_added": ("新增字段", "Column added"),
        "pii_drift_column_removed": ("字段消失", "Column removed"),
        "pii_drift_entity_appeared": ("出现新类型", "Entity appeared"),
        "pii_drift_entity_disappeared": ("类型消失", "Entity disappeared"),
        "pii_drift_ratio_changed": ("命中比例变化", "Match ratio changed"),
        "pii_drift_checksum_dropped": ("校验码有效率下降", "Checksums dropped"),
    }
)


def _title(data: BatchReport | HistoryReport, lang: Language) -> str:
    return data["title"] if lang == "zh" else data["title_en"]


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _summary(data: BatchReport, lang: Language) -> str:
    decision = data["decision"]
    rows: list[list[object]] = [
        [label("dataset", lang), f"{_title(data, lang)} ({data['dataset']})"],
        [label("owner_department", lang), data["owner"]],
        [label("sensitivity", lang), data["sensitivity"]],
        [label("batch_id", lang), data["batch_id"]],
        [label("rows_total", lang), data["rows"]],
        [label("sample_size", lang), data["sampled_rows"]],
        [label("pii_columns", lang), data["pii_columns"]],
        [label("status", lang), raw(status_badge(data["status"], lang))],
        [label("decision", lang), raw(status_badge(decision["status"] if decision else "unknown", lang))],
    ]
    return table([label("summary", lang), label("value", lang)], rows, lang=lang)


def _column_table(columns: list[ColumnRow], lang: Language) -> str:
    """Per column: kind, detected and declared types, evidence; then why, column by column."""
    keys = [
        *("column", "pii_kind", "entity_type", "pii_declared"),
        *("match_ratio", "confidence", "pii_checksum_valid", "pii_masked_examples"),
    ]
    rows = [
        [
            c["column"],
            label(f"pii_kind_{c['kind']}", lang),
            ", ".join(c["entity_types"]) or "—",
            ", ".join(c["declared"]) or "—",
            percent(c["match_ratio"]) if c["entity_types"] else "—",
            c["confidence"] if c["entity_types"] else None,
            percent(c["checksum_valid"]),
            raw("<br>".join(escape(e) for e in c["examples"]) or "—"),
        ]
        for c in columns
    ]
    why = [[c["column"], c["explanation"]] for c in columns]
    return table([label(k, lang) for k in keys], rows, numeric_columns=(4, 5, 6), lang=lang) + table(
        [label("column", lang), label("explanation", lang)], why, lang=lang
    )


def _entity_section(counts: dict[str, EntityCount], lang: Language) -> str:
    items = [(entity_name(e, lang), float(c["rows"])) for e, c in counts.items()]
    chart = bar_chart(items, title=label("pii_rows_carrying", lang), lang=lang)
    rows = [[entity_name(e, lang), c["columns"], c["rows"]] for e, c in counts.items()]
    headers = [label("entity_type", lang), label("pii_columns_count", lang), label("pii_rows_carrying", lang)]
    return figure(chart, lang=lang, data_table=table(headers, rows, numeric_columns=(1, 2), lang=lang))


def _free_text_section(free_text: FreeTextSection, lang: Language) -> str:
    headers = [
        label(k, lang)
        for k in ("column", "pii_rows_scanned", "pii_rows_with_findings", "pii_findings", "entity_type")
    ]
    rows = [
        [
            column,
            s["rows_scanned"],
            s["rows_with_findings"],
            s["findings"],
            "; ".join(f"{entity_name(e, lang)}: {c['rows']}" for e, c in s["entities"].items()) or "—",
        ]
        for column, s in free_text["columns"].items()
    ]
    return table(headers, rows, numeric_columns=(1, 2, 3), lang=lang)


def _drift_section(drift: DriftRecord, lang: Language) -> str:
    if not drift:
        return f"<p>{escape(label('pii_first_batch', lang))}</p>"
    if not drift.get("changes"):
        return f"<p>{escape(label('pii_no_drift', lang))}</p>"
    headers = [label(k, lang) for k in ("column", "drift", "entity_type", "previous", "latest")]
    rows = [
        [
            c["column"],
            label(f"pii_drift_{c['kind']}", lang),
            c["entity_type"],
            percent(c["before"]),
            percent(c["after"]),
        ]
        for c in drift["changes"]
    ]
    return table(headers, rows, numeric_columns=(3, 4), lang=lang)


def _findings_section(findings: list[PolicyFindingRecord], lang: Language) -> str:
    headers = [label(k, lang) for k in ("column", "entity_type", "pii_rule", "pii_holds", "explanation")]
    rows = [
        [
            f["column"],
            entity_name(f["entity_type"], lang),
            label(f"pii_rule_{f['rule']}", lang),
            f["holds"],
            f["message_zh"] if lang == "zh" else f["message_en"],
        ]
        for f in findings
    ]
    return table(headers, rows, lang=lang)


def _moment(value: str | datetime | None) -> datetime | None:
    """A stored time, shown in Beijing time by the table (ISO text from JSON, or a datetime)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def decisions_table(history: list[DecisionRecord], lang: Language, with_batch: bool = False) -> str:
    """Who decided what, when and why."""
    keys = ["batch_id"] if with_batch else []
    keys += ["status", "pii_requested_at", "decided_by", "decided_at", "reason", "pii_channel"]
    rows = [
        [
            *([d["batch_id"]] if with_batch else []),
            raw(status_badge(d["status"], lang)),
            _moment(d["requested_at"]),
            d["decided_by"],
            _moment(d["decided_at"]),
            d["reason"],
            d["channel"],
        ]
        for d in history
    ]
    return table([label(k, lang) for k in keys], rows, lang=lang)


def render_batch_page(data: BatchReport, lang: Language, stem: str, batch_stem: str) -> str:
    """One batch's PII report page; the other language's page and the history are linked."""
    links = _link(page_filename("history", lang), label("pii_history", lang))
    if stem != batch_stem:
        links += " · " + _link(page_filename(batch_stem, lang), label("pii_batch_page", lang))
    sections = [
        Section(label("summary", lang), _summary(data, lang) + f"<p>{links}</p>"),
        Section(label("pii_policy_findings", lang), _findings_section(data["findings"], lang)),
        Section(label("pii_per_column", lang), _column_table(data["columns"], lang)),
        Section(label("pii_entity_counts", lang), _entity_section(data["entity_counts"], lang)),
        Section(label("pii_free_text_findings", lang), _free_text_section(data["free_text"], lang)),
        Section(label("drift", lang), _drift_section(data["drift"], lang)),
        Section(label("pii_decision_history", lang), decisions_table(data["decisions"], lang)),
    ]
    return render_page(
        title=f"{label('pii_report', lang)} — {_title(data, lang)}",
        subtitle=f"{label('batch', lang)} {data['batch_id']}",
        sections=sections,
        lang=lang,
        alternate_href=page_filename(stem, "en" if lang == "zh" else "zh"),
    )


def _when(batch: HistoryBatch) -> str:
    moment = _moment(batch["classified_at"])
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if moment else "—"


def _trend(
    batches: list[HistoryBatch],
    field: Literal["free_text_findings", "pii_columns"],
    title_key: str,
    lang: Language,
) -> str:
    """One value of each batch over time, e.g. its free-text findings."""
    points = [(_when(b), float(b[field])) for b in batches]
    return line_chart({label(title_key, lang): points}, title=label(title_key, lang), lang=lang)


def _batches_table(batches: list[HistoryBatch], lang: Language) -> str:
    keys = (
        "batch_id",
        "rows_total",
        "status",
        "decision",
        "pii_columns",
        "pii_free_text_findings",
        "pii_drift_changes",
    )
    rows = [
        [
            raw(_link(page_filename(b["stem"], lang), b["batch_id"])),
            b["rows"],
            raw(status_badge(b["status"], lang)),
            raw(status_badge(b["decision"] or "unknown", lang)),
            b["pii_columns"],
            b["free_text_findings"],
            b["drift_changes"],
        ]
        for b in reversed(batches)
    ]
    return table([label(k, lang) for k in keys], rows, numeric_columns=(1, 4, 5, 6), lang=lang)


def render_history_page(data: HistoryReport, lang: Language) -> str:
    """A dataset's PII history page: every batch, a trend, and every decision."""
    batches = data["batches"]
    sections = [
        Section(
            label("trend", lang),
            figure(_trend(batches, "free_text_findings", "pii_free_text_findings", lang), lang=lang)
            + figure(_trend(batches, "pii_columns", "pii_columns", lang), lang=lang),
        ),
        Section(label("pii_all_batches", lang), _batches_table(batches, lang)),
        Section(
            label("pii_decision_history", lang), decisions_table(data["decisions"], lang, with_batch=True)
        ),
    ]
    return render_page(
        title=f"{label('pii_history', lang)} — {_title(data, lang)}",
        subtitle=f"{data['owner']} · {label('sensitivity', lang)}: {data['sensitivity']}",
        sections=sections,
        lang=lang,
        alternate_href=page_filename("history", "en" if lang == "zh" else "zh"),
    )
