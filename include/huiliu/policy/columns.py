"""Which columns of a dataset a tier receives, what is done to each, and why (pure: no I/O).

A column's entity types are those the PII gate classified plus those the contract declares
(``NO_PII`` when none), and it gets the most protective of the actions the policy gives them.
Default deny: an unnamed type, an unexamined column and a 不予共享 dataset return nothing, and
sensitive personal information never reaches a tier below the policy's minimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from huiliu.contracts.model import RESERVED_COLUMNS, ColumnSpec, DatasetContract, SharingClass
from huiliu.policy.generalisation import LADDERS
from huiliu.policy.rules import ReturnPolicy, Rule
from huiliu.policy.vocabulary import (
    FREE_TEXT,
    GRADE_ZH,
    NO_PII,
    SHARING_ZH,
    TIER_ZH,
    Action,
    Tier,
    is_sensitive,
)

if TYPE_CHECKING:
    from huiliu.pii.classify import ColumnClassification, TableClassification

MaskParams: TypeAlias = tuple[tuple[str, str | int | bool], ...]


@dataclass(frozen=True, kw_only=True)
class ColumnDecision:
    """What one column becomes for one tier.

    Attributes:
        column: the column's name.
        description: what the column is, in Chinese, from the contract.
        entity_types: its entity types (classified first, then declared; ``NO_PII`` when none).
        action: the action applied (``drop``: not returned).
        applies_as: the entity type whose mask, ladder or canonical form the action uses.
        mask_params: the ``cn_mask`` parameters when the action is ``mask`` and the column is
            masked one way.
        masks: when the column holds several types the tier masks in different ways (mobiles and
            landlines in one column), each type's ``cn_mask`` parameters: every value is masked as
            the type it is, and a value of none of them is hidden entirely.
        sensitive: whether it holds sensitive personal information (PIPL art. 28 or the contract).
        reason_zh: why, in Chinese.
        reason_en: why, in English.
    """

    column: str
    description: str
    entity_types: tuple[str, ...]
    action: Action
    applies_as: str | None = None
    mask_params: MaskParams = ()
    masks: tuple[tuple[str, MaskParams], ...] = ()
    sensitive: bool = False
    reason_zh: str
    reason_en: str

    @property
    def returned(self) -> bool:
        return self.action is not Action.DROP

    def mask_params_of(self, entity: str) -> MaskParams:
        """The ``cn_mask`` parameters the column's values of ``entity`` are masked with."""
        return dict(self.masks).get(entity, ()) if self.masks else self.mask_params

    def as_dict(self) -> dict[str, object]:
        return {
            "column": self.column,
            "description": self.description,
            "entity_types": list(self.entity_types),
            "action": self.action.value,
            "returned": self.returned,
            "sensitive": self.sensitive,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True, kw_only=True)
class ReturnDecision:
    """What a tier receives of a dataset under one policy version: every column, returned or not."""

    dataset: str
    title: str
    title_en: str
    tier: Tier
    sharing_class: SharingClass
    sensitivity: str
    policy_version: str
    columns: tuple[ColumnDecision, ...]

    @property
    def returned(self) -> tuple[ColumnDecision, ...]:
        """The columns delivered, in contract order."""
        return tuple(c for c in self.columns if c.returned)

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "title": self.title,
            "title_en": self.title_en,
            "tier": self.tier.value,
            "sharing_class": self.sharing_class.value,
            "sensitivity": self.sensitivity,
            "policy_version": self.policy_version,
            "columns": [c.as_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class _TypeAction:
    """The action the policy asks for one entity type of a column, and why."""

    entity: str
    action: Action
    why_zh: str
    why_en: str


@dataclass(frozen=True)
class _Context:
    policy: ReturnPolicy
    tier: Tier
    rules: Mapping[str, Rule]
    sensitive_types: frozenset[str]
    scope_zh: str
    scope_en: str

    def sensitive(self, entity: str) -> bool:
        return is_sensitive(entity) or entity in self.sensitive_types


def _rule_source(rule: Rule, tier: Tier) -> tuple[str, str]:
    line_zh = f"，第 {rule.line} 行" if rule.line else ""
    line_en = f", line {rule.line}" if rule.line else ""
    inherited = rule.tier is not tier
    return (
        f"{TIER_ZH[rule.tier]}规则{line_zh}{'，继承' if inherited else ''}",
        f"{rule.tier.value} rule{line_en}{', inherited' if inherited else ''}",
    )


def _type_action(entity: str, context: _Context) -> _TypeAction:
    """The policy's action for one entity type (default deny, sensitive floor applied)."""
    if context.sensitive(entity) and not context.policy.sensitive_allowed(context.tier):
        floor = context.policy.sensitive_minimum_tier
        return _TypeAction(
            entity,
            Action.DROP,
            f"{entity} 属敏感个人信息（《个人信息保护法》第二十八条），只返还至{TIER_ZH[floor]}及以上",
            f"{entity} is sensitive personal information (PIPL art. 28), returned only to {floor.value} "
            "and above",
        )
    rule = context.rules.get(entity)
    if rule is None:
        return _TypeAction(
            entity,
            Action.DROP,
            f"{entity}：策略未对{context.scope_zh}作规定，默认不返还",
            f"{entity}: not named by the policy for {context.scope_en}, so not returned (default deny)",
        )
    source_zh, source_en = _rule_source(rule, context.tier)
    how_zh, how_en = rule.action.zh, rule.action.value
    if rule.action is Action.GENERALIZE and entity in LADDERS:
        step = LADDERS[entity][0]
        how_zh, how_en = f"泛化为{step.label_zh}", f"generalize to {step.label_en}"
    return _TypeAction(
        entity, rule.action, f"{entity} → {how_zh}（{source_zh}）", f"{entity} → {how_en} ({source_en})"
    )


def _dropped(
    column: ColumnSpec, types: tuple[str, ...], zh: str, en: str, sensitive: bool = False
) -> ColumnDecision:
    return ColumnDecision(
        column=column.name,
        description=_description(column),
        entity_types=types,
        action=Action.DROP,
        sensitive=sensitive,
        reason_zh=zh,
        reason_en=en,
    )


def _description(column: ColumnSpec) -> str:
    return column.description or column.source_name or ""


def _entity_types(classified: ColumnClassification, declared: Iterable[str]) -> tuple[str, ...]:
    """Classified types (every type seen, for free text) and then declared ones; NO_PII when none."""
    found = list(classified.entity_types)
    if classified.kind == "free_text":
        found += [m.entity_type for m in classified.observed]
    found += list(declared)
    types = tuple(dict.fromkeys(found))
    return types or (NO_PII,)


def _free_text(
    column: ColumnSpec, types: tuple[str, ...], context: _Context, sensitive: bool
) -> ColumnDecision:
    """Free text: anonymised, unless a type in it is treated more strictly than the anonymiser does.

    A type the policy does not name (or may not return at this tier) is dropped by the policy, so
    the text is returned only when the anonymiser replaces that type entirely (``<HEALTH>``).
    """
    text = _type_action(FREE_TEXT, context)
    if text.action is Action.DROP:
        return _dropped(column, types, text.why_zh, text.why_en, sensitive)
    catalog = context.policy.catalog
    stricter = [
        found
        for found in (_type_action(t, context) for t in types if t != FREE_TEXT)
        if found.action.protection > catalog.anonymised_as(found.entity).protection
    ]
    if stricter:
        names = ", ".join(f"{s.entity} ({s.action.value})" for s in stricter)
        names_zh = "、".join(f"{s.entity}（{s.action.zh}）" for s in stricter)
        return _dropped(
            column,
            types,
            f"自由文本中含 {names_zh}，本层级对其要求严于匿名化器的处理，整列不返还；"
            + "；".join(s.why_zh for s in stricter),
            f"free text holding {names}, which this tier treats more strictly than the anonymiser "
            "does, so the column is not returned; " + "; ".join(s.why_en for s in stricter),
            sensitive,
        )
    return ColumnDecision(
        column=column.name,
        description=_description(column),
        entity_types=types,
        action=Action.ANONYMIZE,
        applies_as=FREE_TEXT,
        sensitive=sensitive,
        reason_zh=f"{text.why_zh}：文中个人信息经个人信息检查的匿名化器替换",
        reason_en=f"{text.why_en}: personal information in the text replaced by the PII gate's anonymiser",
    )


def _mask_params(entity: str, context: _Context) -> MaskParams:
    return tuple(sorted(context.policy.catalog.mask_params[entity].items()))


def _operator(action: Action, entity: str, context: _Context) -> object:
    """What decides how an action treats a type: its mask parameters, or its ladder."""
    if action is Action.MASK:
        return _mask_params(entity, context)
    return entity if action is Action.GENERALIZE else action


def _structured(
    column: ColumnSpec, types: tuple[str, ...], context: _Context, sensitive: bool
) -> ColumnDecision:
    """The most protective of the types' actions. Types masked in different ways are masked value by
    value (:func:`_masked_by_type`); types generalised along different ladders: dropped."""
    actions = [_type_action(t, context) for t in types]
    top = max(actions, key=lambda a: a.action.protection)
    why_zh, why_en = "；".join(a.why_zh for a in actions), "; ".join(a.why_en for a in actions)
    if len(actions) > 1:
        why_zh += f" → 取最严格：{top.action.zh}"
        why_en += f" → the most protective: {top.action.value}"
    if top.action is Action.DROP:
        return _dropped(column, types, why_zh, why_en, sensitive)
    holders = [a.entity for a in actions if a.action is top.action]
    if len({_operator(top.action, e, context) for e in holders}) > 1:
        if top.action is Action.MASK:
            return _masked_by_type(column, types, holders, context, sensitive, (why_zh, why_en))
        return _dropped(
            column,
            types,
            f"{why_zh}；但该列含 {'、'.join(holders)}，本层级对它们的{top.action.zh}方式不同，"
            "一列只能按一种方式处理，不返还",
            f"{why_en}; but the column holds {', '.join(holders)}, which this tier treats in different "
            "ways, and a column can be treated one way only, so it is not returned",
            sensitive,
        )
    applies_as = holders[0] if top.action in (Action.MASK, Action.GENERALIZE, Action.HASH) else None
    params = _mask_params(holders[0], context) if top.action is Action.MASK else ()
    return ColumnDecision(
        column=column.name,
        description=_description(column),
        entity_types=types,
        action=top.action,
        applies_as=applies_as,
        mask_params=params,
        sensitive=sensitive,
        reason_zh=why_zh,
        reason_en=why_en,
    )


def _masked_by_type(
    column: ColumnSpec,
    types: tuple[str, ...],
    holders: list[str],
    context: _Context,
    sensitive: bool,
    why: tuple[str, str],
) -> ColumnDecision:
    """A column holding types the tier masks in different ways: each value masked as its own type."""
    return ColumnDecision(
        column=column.name,
        description=_description(column),
        entity_types=types,
        action=Action.MASK,
        masks=tuple((entity, _mask_params(entity, context)) for entity in holders),
        sensitive=sensitive,
        reason_zh=f"{why[0]}；该列含 {'、'.join(holders)}，本层级对它们的遮盖方式不同："
        "逐个值识别其类型，按该类型遮盖；不属其中任何类型的值全部遮盖",
        reason_en=f"{why[1]}; the column holds {', '.join(holders)}, which this tier masks in different "
        "ways: each value is masked as the type it is, and a value of none of them is hidden entirely",
    )


def _decide_column(
    column: ColumnSpec, classified: ColumnClassification | None, declared: Iterable[str], context: _Context
) -> ColumnDecision:
    if classified is None:
        return _dropped(
            column,
            tuple(declared),
            "未经个人信息分类检查，不返还（默认拒绝）",
            "not examined by the PII gate's classification, so not returned (default deny)",
        )
    types = _entity_types(classified, declared)
    sensitive = any(context.sensitive(t) for t in types)
    if FREE_TEXT in types:
        return _free_text(column, types, context, sensitive)
    return _structured(column, types, context, sensitive)


def _not_in_contract(name: str) -> ColumnDecision:
    technical = name in RESERVED_COLUMNS
    return ColumnDecision(
        column=name,
        description="技术列" if technical else "",
        entity_types=(),
        action=Action.DROP,
        reason_zh="技术列（批次、入湖时间、来源），不返还" if technical else "不在数据集合约中，不返还",
        reason_en="huiliu's own column (batch, landing time, source), not returned"
        if technical
        else "not a column of the dataset's contract, so not returned",
    )


def _context(policy: ReturnPolicy, tier: Tier, contract: DatasetContract) -> _Context:
    sharing, grade = contract.classification.sharing_class, contract.classification.sensitivity
    return _Context(
        policy=policy,
        tier=tier,
        rules=policy.rules_for(tier, sharing, grade),
        sensitive_types=frozenset(pi.entity_type for pi in contract.personal_information if pi.sensitive),
        scope_zh=f"{TIER_ZH[tier]}·{SHARING_ZH.get(sharing, sharing.value)}·{GRADE_ZH[grade.value]}",
        scope_en=f"{tier.value} / {sharing.value} / {grade.value}",
    )


def decide_columns(
    policy: ReturnPolicy, tier: Tier, contract: DatasetContract, classification: TableClassification | None
) -> ReturnDecision:
    """Every column of the dataset for one tier: its entity types, action and reason.

    Args:
        policy: the policy in force.
        tier: the receiving unit's tier.
        contract: the dataset.
        classification: the PII gate's classification of the dataset (None: none yet, nothing returned).
    """
    examined = {c.name: c for c in classification.columns} if classification is not None else {}
    declared: dict[str, list[str]] = {}
    for pi in contract.personal_information:
        declared.setdefault(pi.column, []).append(pi.entity_type)
    if contract.classification.sharing_class is SharingClass.NONE:
        columns = [
            _dropped(
                c,
                tuple(declared.get(c.name, ())),
                "不予共享数据集，不返还任何列",
                "a 不予共享 dataset: nothing is returned",
            )
            for c in contract.columns
        ]
    else:
        context = _context(policy, tier, contract)
        columns = [
            _decide_column(c, examined.get(c.name), declared.get(c.name, ()), context)
            for c in contract.columns
        ]
    names = {c.name for c in contract.columns}
    columns += [_not_in_contract(name) for name in examined if name not in names]
    return ReturnDecision(
        dataset=contract.name,
        title=contract.title,
        title_en=contract.title_en,
        tier=tier,
        sharing_class=contract.classification.sharing_class,
        sensitivity=contract.classification.sensitivity.value,
        policy_version=policy.label,
        columns=tuple(columns),
    )
