"""The words reports are written in: one key, a Chinese text and an English text.

Reports are read first in Chinese (zh-CN) by compliance officers and street-office staff, with an
English version alongside. Every fixed word on a page comes from :data:`LABELS` through
:func:`label`, so the two versions always say the same thing. A key nobody has translated yet is
shown as the key itself rather than breaking the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from huiliu.errors import ReportError

Language = Literal["zh", "en"]
"""The languages reports are written in: ``"zh"`` (simplified Chinese, the default) and ``"en"``."""

LANGUAGES: tuple[Language, ...] = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # General
    "report": ("报告", "Report"),
    "summary": ("概览", "Summary"),
    "details": ("明细", "Details"),
    "dataset": ("数据集", "Dataset"),
    "datasets": ("数据集", "Datasets"),
    "owner_department": ("责任部门", "Owner department"),
    "department": ("部门", "Department"),
    "street_office": ("街道办事处", "Street office"),
    "community": ("社区", "Community"),
    "status": ("状态", "Status"),
    "batch": ("批次", "Batch"),
    "batch_id": ("批次编号", "Batch ID"),
    "run": ("运行", "Run"),
    "date": ("日期", "Date"),
    "time": ("时间", "Time"),
    "period": ("统计周期", "Period"),
    "started_at": ("开始时间", "Started at"),
    "finished_at": ("完成时间", "Finished at"),
    "generated_at": ("生成时间", "Generated at"),
    "beijing_time": ("北京时间", "Beijing time, UTC+8"),
    "total": ("合计", "Total"),
    "count": ("数量", "Count"),
    "value": ("数值", "Value"),
    "rows": ("行", "rows"),
    "days": ("天", "days"),
    "hours": ("小时", "hours"),
    "minimum": ("最小值", "Minimum"),
    "maximum": ("最大值", "Maximum"),
    "average": ("平均值", "Average"),
    "latest": ("最新值", "Latest"),
    "previous": ("上期", "Previous"),
    "change": ("变化", "Change"),
    "threshold": ("阈值", "Threshold"),
    "target": ("目标", "Target"),
    "notes": ("说明", "Notes"),
    "reason": ("原因", "Reason"),
    "legend": ("图例", "Legend"),
    "trend": ("趋势", "Trend"),
    "no_data": ("暂无数据", "No data"),
    "not_available": ("无", "n/a"),
    "data_table": ("查看数据表", "Show data table"),
    "chart": ("图表", "Chart"),
    "other_language": ("English", "中文"),
    "language": ("语言", "Language"),
    "page_contents": ("目录", "Contents"),
    "product_name": ("回流数据治理", "Huiliu data governance"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    # Quality scorecard
    "quality_scorecard": ("数据质量记分卡", "Data quality scorecard"),
    "quality_gate": ("质量闸门", "Quality gate"),
    "pass_rate": ("通过率", "Pass rate"),
    "pass_rate_trend": ("通过率趋势", "Pass rate trend"),
    "rows_total": ("总行数", "Rows total"),
    "rows_landed": ("落地行数", "Rows landed"),
    "rows_curated": ("入库行数", "Rows curated"),
    "rows_valid": ("合格行数", "Valid rows"),
    "rows_quarantined": ("隔离行数", "Rows quarantined"),
    "failed_rows": ("不合格行数", "Failed rows"),
    "expectation": ("校验规则", "Expectation"),
    "expectations": ("校验规则", "Expectations"),
    "suite": ("规则集", "Suite"),
    "severity": ("严重程度", "Severity"),
    "held_reason": ("拦截原因", "Reason held"),
    "freshness": ("时效性", "Freshness"),
    "last_updated": ("最近更新", "Last updated"),
    "lag": ("延迟", "Lag"),
    "expected_every": ("应更新周期", "Expected every"),
    "passed": ("通过", "Passed"),
    "pass": ("通过", "Pass"),
    "failed": ("未通过", "Failed"),
    "held": ("已拦截", "Held"),
    "quarantined": ("已隔离", "Quarantined"),
    "empty": ("空批次", "Empty"),
    "fresh": ("及时", "Fresh"),
    "stale": ("逾期", "Stale"),
    "unknown": ("未知", "Unknown"),
    "not_run": ("未运行", "Not run"),
    "not_tracked": ("未设时限", "Not tracked"),
    "critical": ("严重", "Critical"),
    "warning": ("警告", "Warning"),
    "info": ("提示", "Info"),
    "department_trend": ("各部门通过率趋势", "Pass rate trend by department"),
    "quarantined_trend": ("每日隔离行数", "Rows quarantined per day"),
    "released": ("已放行", "Released"),
    "discarded": ("已丢弃", "Discarded"),
    "quarantine_action": ("隔离处理", "Quarantine action"),
    "actor": ("操作人", "Actor"),
    # Reconciliation
    "reconciliation_report": ("跨部门核对报告", "Reconciliation report"),
    "check": ("核对项", "Check"),
    "checks": ("核对项", "Checks"),
    "rows_compared": ("比对行数", "Rows compared"),
    "mismatches": ("不一致数", "Mismatches"),
    "mismatch_rate": ("不一致率", "Mismatch rate"),
    "samples": ("样例", "Samples"),
    "tolerance": ("容差", "Tolerance"),
    "within_tolerance": ("在容差内", "Within tolerance"),
    "outside_tolerance": ("超出容差", "Outside tolerance"),
    "record_key": ("记录标识", "Record key"),
    "source": ("来源", "Source"),
    "compared_with": ("对照", "Compared with"),
    "flagged": ("已标记", "Flagged"),
    "flags": ("标记记录", "Flagged records"),
    "ok": ("一致", "OK"),
    "mismatch": ("不一致", "Mismatch"),
    # Personal information (PII)
    "pii_report": ("个人信息识别报告", "Personal information report"),
    "entity_type": ("个人信息类型", "Entity type"),
    "table": ("表", "Table"),
    "column": ("字段", "Column"),
    "match_ratio": ("命中比例", "Match ratio"),
    "confidence": ("置信度", "Confidence"),
    "explanation": ("依据", "Explanation"),
    "drift": ("变化", "Drift"),
    "decision": ("决定", "Decision"),
    "decided_by": ("审批人", "Decided by"),
    "decided_at": ("审批时间", "Decided at"),
    "approved": ("已批准", "Approved"),
    "rejected": ("已驳回", "Rejected"),
    "pending": ("待审批", "Pending"),
    "sample_size": ("抽样行数", "Sample size"),
    "masking": ("脱敏方式", "Masking"),
    "sensitivity": ("敏感级别", "Sensitivity"),
    "new_column": ("新增字段", "New column"),
    "person_name": ("姓名", "Person name"),
    "id_card": ("身份证号", "ID card number"),
    "phone_number": ("手机号码", "Phone number"),
    "address": ("地址", "Address"),
    "email": ("电子邮箱", "Email address"),
    "bank_card": ("银行卡号", "Bank card number"),
    "license_plate": ("车牌号", "Licence plate"),
    "birth_date": ("出生日期", "Date of birth"),
}
"""Every fixed word used on report pages: key → (Chinese, English)."""


def label(key: str, lang: Language) -> str:
    """The text of a label in one language.

    Args:
        key: A key of :data:`LABELS`.
        lang: ``"zh"`` or ``"en"``.

    Returns:
        The translation, or ``key`` itself when nobody has translated it yet (never an error, so a
        new status value shows up on the page instead of breaking the report).
    """
    texts = LABELS.get(key)
    if texts is None:
        return key
    return texts[1] if lang == "en" else texts[0]


def both_languages(key: str) -> str:
    """A label in Chinese and English at once (``"暂无数据 / No data"``), for language-neutral text."""
    return f"{label(key, 'zh')} / {label(key, 'en')}"


def add_labels(entries: Mapping[str, tuple[str, str]]) -> None:
    """Add a module's own vocabulary to :data:`LABELS`.

    Args:
        entries: key → (Chinese, English).

    Raises:
        ReportError: A key is already defined with different texts (two modules disagree on a word).
    """
    for key, texts in entries.items():
        existing = LABELS.get(key)
        if existing is not None and existing != tuple(texts):
            raise ReportError(f"label {key!r} is already {existing!r}; refusing to redefine it as {texts!r}")
    LABELS.update({key: (texts[0], texts[1]) for key, texts in entries.items()})
