"""The PII policy: what a batch carries, against what its contract declares and its grade allows.

Pure: no I/O. The inputs are the batch's column classification (:mod:`huiliu.pii.classify`), the
rows of each free-text column holding each entity type (every row scanned, not a sample) and the
dataset contract. The output is a :class:`PiiVerdict`, ``pass`` or ``needs_approval``, with one
:class:`PolicyFinding` per observation: column, entity type, rule and why, in Chinese and English.

A finding *holds* the batch when a compliance officer has to approve it. The rules:

1. ``undeclared_column`` (holds): the contract declares no personal information in a column that
   carries some (a structured match, or entities found in its free text).
2. ``undeclared_entity`` (holds): a declared column carries an entity type its declarations do not
   cover. A declaration covers its own type and the types the same values also read as
   (:data:`COVERS`: a declared phone shows as mobile or landline, an address as a location, a bank
   card as a financial account, a birth date as an age). A column declared ``FREE_TEXT`` also
   covers the ordinary entity types of free text (:data:`FREE_TEXT_TYPES`: names, phones,
   addresses, ID numbers, bank cards, e-mail addresses …), which are anonymised before any
   return, but not sensitive ones: those need their own declaration on the column.
3. ``sensitive_not_allowed`` (holds): sensitive personal information, i.e. the PIPL art. 28 types
   of :data:`ART28_TYPES` (ethnicity, religion, health) and every type the contract flags
   ``sensitive`` (declared bank cards, financial accounts and whereabouts always are), in a
   dataset graded ``general``. Only ``important`` and ``core`` datasets may carry it
   (:data:`SENSITIVE_GRADES`); declaring it does not lift this rule, grading does.
4. ``declared_not_detected`` (reported, never holds): the contract declares a type in a column and
   nothing that declaration covers was detected there (a disability grade declared HEALTH, an
   amount declared FINANCIAL, a certificate number no recognizer knows). Detection can miss a
   declared type; that is no reason to stop a batch.
5. ``organisation_identifier`` (reported, never holds): organisation identifiers (``CN_USCC``,
   the unified social credit code) are not personal information.

Free text counts every row: one row with a sensitive entity is enough for rules 2 and 3. A column
with row-by-row counts is judged on them; other columns on the classification's chosen entities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, NotRequired, TypeAlias, TypedDict

from huiliu.contracts.model import DatasetContract, Sensitivity
from huiliu.pii.classify import ColumnClassification, TableClassification
from huiliu.store.statuses import PiiStatus

Rule: TypeAlias = Literal[
    "undeclared_column",
    "undeclared_entity",
    "sensitive_not_allowed",
    "declared_not_detected",
    "organisation_identifier",
]
FreeTextCounts: TypeAlias = Mapping[str, Mapping[str, int]]
"""Column → entity type → rows of the column holding that entity type."""

ART28_TYPES = frozenset({"ETHNICITY", "RELIGION", "HEALTH"})
"""Sensitive personal information by nature (PIPL art. 28) wherever detection finds it, declared or
not. A contract's declarations add the rest of :data:`~huiliu.contracts.model.SENSITIVE_PI_TYPES`
(financial accounts, bank cards, whereabouts), which the contract model always marks sensitive;
detected place names and card numbers in free text are not held by themselves, since the model's
LOCATION is any place name, not a person's whereabouts."""
SENSITIVE_GRADES = frozenset({Sensitivity.IMPORTANT, Sensitivity.CORE})
"""Dataset grades that may carry sensitive personal information."""
ORGANISATION_TYPES = frozenset({"CN_USCC"})
"""Identifiers of organisations, not of people."""
FREE_TEXT_TYPES = frozenset(
    {
        "PERSON",
        "CN_MOBILE",
        "CN_LANDLINE",
        "ADDRESS",
        "LOCATION",
        "CN_RESIDENT_ID",
        "CN_PASSPORT",
        "CN_TRAVEL_PERMIT",
        "CN_IM_ACCOUNT",
        "BANK_CARD",
        "EMAIL_ADDRESS",
        "CN_VEHICLE_PLATE",
        "DATE_OF_BIRTH",
        "GENDER",
        "AGE",
    }
)
"""Entity types a column declared ``FREE_TEXT`` may hold (anonymised before return) unless sensitive."""
COVERS: Mapping[str, frozenset[str]] = {
    "CN_MOBILE": frozenset({"CN_LANDLINE"}),
    "CN_LANDLINE": frozenset({"CN_MOBILE"}),
    "ADDRESS": frozenset({"LOCATION"}),
    "LOCATION": frozenset({"ADDRESS"}),
    "BANK_CARD": frozenset({"FINANCIAL"}),
    "FINANCIAL": frozenset({"BANK_CARD"}),
    "DATE_OF_BIRTH": frozenset({"AGE"}),
    "AGE": frozenset({"DATE_OF_BIRTH"}),
}
"""Declared type → the other types its values are also detected as."""
HOLDING_RULES = frozenset({"undeclared_column", "undeclared_entity", "sensitive_not_allowed"})

ENTITY_NAMES: Mapping[str, tuple[str, str]] = {
    "CN_RESIDENT_ID": ("身份证号", "resident ID number"),
    "CN_MOBILE": ("手机号码", "mobile number"),
    "CN_LANDLINE": ("固定电话", "landline number"),
    "BANK_CARD": ("银行卡号", "bank card number"),
    "EMAIL_ADDRESS": ("电子邮箱", "e-mail address"),
    "CN_PASSPORT": ("护照号码", "passport number"),
    "CN_TRAVEL_PERMIT": ("通行证号码", "travel permit number"),
    "CN_IM_ACCOUNT": ("QQ/微信账号", "QQ or WeChat account"),
    "CN_VEHICLE_PLATE": ("车牌号", "vehicle plate"),
    "CN_USCC": ("统一社会信用代码", "unified social credit code"),
    "PERSON": ("姓名", "person name"),
    "ADDRESS": ("地址", "address"),
    "DATE_OF_BIRTH": ("出生日期", "date of birth"),
    "GENDER": ("性别", "gender"),
    "AGE": ("年龄", "age"),
    "ETHNICITY": ("民族", "ethnicity"),
    "RELIGION": ("宗教信仰", "religion"),
    "HEALTH": ("健康/残疾信息", "health or disability"),
    "FINANCIAL": ("金融账户/收入", "financial information"),
    "LOCATION": ("行踪/位置", "location"),
    "FREE_TEXT": ("自由文本", "free text"),
}
"""Entity type → (Chinese, English) name, for messages and reports."""


def entity_name(entity_type: str, lang: Literal["zh", "en"]) -> str:
    """The entity type in words, e.g. ``手机号码（CN_MOBILE）``."""
    zh, en = ENTITY_NAMES.get(entity_type, (entity_type, entity_type))
    return f"{zh}（{entity_type}）" if lang == "zh" else f"{en} ({entity_type})"


class Evidence(NamedTuple):
    """How much of a column shows an entity type: a share of sampled values, or rows of free text."""

    share: float | None = None
    rows: int | None = None

    def text(self, lang: Literal["zh", "en"]) -> str:
        if self.rows is not None:
            return f"{self.rows} 行" if lang == "zh" else f"{self.rows} rows"
        share = f"{(self.share or 0.0):.0%}"
        return f"{share} 的抽样值" if lang == "zh" else f"{share} of sampled values"


NO_EVIDENCE = Evidence()


class PolicyFindingRecord(TypedDict):
    """A policy finding as JSON (:meth:`PolicyFinding.as_dict`), as the classification and decision
    rows store it and Airflow's XCom carries it.

    ``rule`` is a :data:`Rule`, or ``pii_gate_incomplete`` for the finding the Airflow task records
    when the gate could not check a batch; that one has no ``share`` nor ``rows``.
    """

    column: str
    entity_type: str
    rule: str
    holds: bool
    share: NotRequired[float | None]
    rows: NotRequired[int | None]
    message_zh: str
    message_en: str


class VerdictRecord(TypedDict):
    """A verdict as JSON (:meth:`PiiVerdict.as_dict`)."""

    status: PiiStatus
    findings: list[PolicyFindingRecord]


@dataclass(frozen=True)
class PolicyFinding:
    """One observation of the policy about one column and entity type.

    Attributes:
        column: the column.
        entity_type: the entity type concerned.
        rule: which rule (see the module docstring).
        holds: whether it needs a compliance officer's approval.
        message_zh: why, in Chinese.
        message_en: why, in English.
        evidence: the share of sampled values or the free-text rows behind it, if any.
    """

    column: str
    entity_type: str
    rule: Rule
    message_zh: str
    message_en: str
    evidence: Evidence = NO_EVIDENCE

    @property
    def holds(self) -> bool:
        return self.rule in HOLDING_RULES

    def as_dict(self) -> PolicyFindingRecord:
        return {
            "column": self.column,
            "entity_type": self.entity_type,
            "rule": self.rule,
            "holds": self.holds,
            "share": None if self.evidence.share is None else round(self.evidence.share, 4),
            "rows": self.evidence.rows,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class PiiVerdict:
    """The policy's answer for one batch: its findings, and whether any holds it."""

    findings: tuple[PolicyFinding, ...]

    @property
    def held(self) -> tuple[PolicyFinding, ...]:
        return tuple(f for f in self.findings if f.holds)

    @property
    def needs_approval(self) -> bool:
        return bool(self.held)

    @property
    def status(self) -> PiiStatus:
        return PiiStatus.NEEDS_APPROVAL if self.needs_approval else PiiStatus.PASS

    def as_dict(self) -> VerdictRecord:
        return {"status": self.status, "findings": [f.as_dict() for f in self.findings]}


def declared_types(contract: DatasetContract) -> dict[str, set[str]]:
    """Column → the entity types the contract declares in it."""
    declared: dict[str, set[str]] = {}
    for pi in contract.personal_information:
        declared.setdefault(pi.column, set()).add(pi.entity_type)
    return declared


def sensitive_types(contract: DatasetContract) -> frozenset[str]:
    """The PIPL art. 28 types plus every type the contract flags ``sensitive``."""
    return ART28_TYPES | {pi.entity_type for pi in contract.personal_information if pi.sensitive}


def detected_types(column: ColumnClassification, counts: Mapping[str, int] | None) -> dict[str, Evidence]:
    """Entity types detected in a column: free-text row counts when scanned, else the classification."""
    if counts is not None:
        return {entity: Evidence(rows=rows) for entity, rows in counts.items() if rows > 0}
    return {
        m.entity_type: Evidence(share=m.match_ratio) for m in column.entities if m.entity_type != "FREE_TEXT"
    }


def covered(entity: str, declared: Iterable[str], sensitive: frozenset[str]) -> bool:
    """Whether a column's declarations account for a detected entity type."""
    for kind in declared:
        if entity == kind or entity in COVERS.get(kind, ()):
            return True
        if kind == "FREE_TEXT" and entity in FREE_TEXT_TYPES and entity not in sensitive:
            return True
    return False


def evaluate(
    contract: DatasetContract, classification: TableClassification, free_text: FreeTextCounts | None = None
) -> PiiVerdict:
    """Compare a batch's personal information with its contract (rules in the module docstring).

    Args:
        contract: the dataset's contract.
        classification: the batch's column classification.
        free_text: per scanned free-text column, the rows holding each entity type.
    """
    free_text = free_text or {}
    declared = declared_types(contract)
    sensitive = sensitive_types(contract)
    grade_allows = contract.classification.sensitivity in SENSITIVE_GRADES
    findings: list[PolicyFinding] = []
    detected_by_column: dict[str, dict[str, Evidence]] = {}
    for column in classification.columns:
        detected = detected_types(column, free_text.get(column.name))
        detected_by_column[column.name] = detected
        findings += _organisations(column.name, detected)
        findings += _undeclared(column.name, detected, declared.get(column.name), sensitive)
        if not grade_allows:
            findings += _sensitive(column.name, detected, sensitive)
    findings += _not_detected(declared, detected_by_column, classification, free_text)
    return PiiVerdict(tuple(findings))


def _personal(detected: Mapping[str, Evidence]) -> dict[str, Evidence]:
    return {e: ev for e, ev in detected.items() if e not in ORGANISATION_TYPES}


def _organisations(column: str, detected: Mapping[str, Evidence]) -> list[PolicyFinding]:
    return [
        PolicyFinding(
            column,
            entity,
            "organisation_identifier",
            f"字段 {column} 为组织机构标识{entity_name(entity, 'zh')}，不属于个人信息，不拦截。",
            f"column {column} holds an organisation identifier, {entity_name(entity, 'en')}: "
            "not personal information, not held",
            evidence,
        )
        for entity, evidence in detected.items()
        if entity in ORGANISATION_TYPES
    ]


def _undeclared(
    column: str, detected: Mapping[str, Evidence], declared: set[str] | None, sensitive: frozenset[str]
) -> list[PolicyFinding]:
    """Rules 1 and 2: personal information the column's declarations do not account for."""
    out = []
    for entity, evidence in _personal(detected).items():
        if not declared:
            out.append(_undeclared_column(column, entity, evidence))
        elif not covered(entity, declared, sensitive):
            out.append(_undeclared_entity(column, entity, evidence, declared))
    return out


def _undeclared_column(column: str, entity: str, evidence: Evidence) -> PolicyFinding:
    return PolicyFinding(
        column,
        entity,
        "undeclared_column",
        f"字段 {column} 含有个人信息{entity_name(entity, 'zh')}（{evidence.text('zh')}），"
        "但数据集契约未声明该字段含个人信息。请在契约中声明，或由数据源删除该字段。",
        f"column {column} holds {entity_name(entity, 'en')} ({evidence.text('en')}) but the contract "
        "declares no personal information in it; declare it in the contract or drop it at the source",
        evidence,
    )


def _undeclared_entity(column: str, entity: str, evidence: Evidence, declared: set[str]) -> PolicyFinding:
    names_zh = "、".join(entity_name(d, "zh") for d in sorted(declared))
    names_en = ", ".join(entity_name(d, "en") for d in sorted(declared))
    return PolicyFinding(
        column,
        entity,
        "undeclared_entity",
        f"字段 {column} 声明为{names_zh}，却检测到未声明的{entity_name(entity, 'zh')}"
        f"（{evidence.text('zh')}）。",
        f"column {column} is declared as {names_en} but also holds undeclared "
        f"{entity_name(entity, 'en')} ({evidence.text('en')})",
        evidence,
    )


def _sensitive(
    column: str, detected: Mapping[str, Evidence], sensitive: frozenset[str]
) -> list[PolicyFinding]:
    """Rule 3: sensitive personal information in a dataset graded ``general``."""
    return [
        PolicyFinding(
            column,
            entity,
            "sensitive_not_allowed",
            f"字段 {column} 含敏感个人信息{entity_name(entity, 'zh')}（{evidence.text('zh')}），"
            "而数据集分级为“一般数据”，不得处理敏感个人信息（《个人信息保护法》第二十八条）。"
            "请将数据集定级为重要或核心数据，或由数据源删除该信息。",
            f"column {column} holds sensitive personal information, {entity_name(entity, 'en')} "
            f"({evidence.text('en')}), in a dataset graded general, which may not carry it (PIPL art. 28); "
            "grade the dataset important or core, or remove it at the source",
            evidence,
        )
        for entity, evidence in detected.items()
        if entity in sensitive
    ]


def _not_detected(
    declared: Mapping[str, set[str]],
    detected: Mapping[str, Mapping[str, Evidence]],
    classification: TableClassification,
    free_text: FreeTextCounts,
) -> list[PolicyFinding]:
    """Rule 4: declared types nothing in their column accounts for (reported, not held)."""
    kinds = {c.name: c.kind for c in classification.columns}
    out = []
    for column, types in declared.items():
        found = detected.get(column, {})
        for kind in sorted(types):
            if kind == "FREE_TEXT":
                seen = kinds.get(column) == "free_text" or any(free_text.get(column, {}).values())
            else:
                seen = any(e == kind or e in COVERS.get(kind, ()) for e in found)
            if not seen:
                out.append(_declared_not_detected(column, kind))
    return out


def _declared_not_detected(column: str, entity: str) -> PolicyFinding:
    return PolicyFinding(
        column,
        entity,
        "declared_not_detected",
        f"契约声明字段 {column} 含{entity_name(entity, 'zh')}，本批次未检测到；按声明处理，不拦截。",
        f"the contract declares {entity_name(entity, 'en')} in column {column}, but this batch shows "
        "none; it is treated as declared and not held",
    )
