"""What makes a well-formed return policy unusable, each problem with its file, line, field and fix.

A tier inherits only from a defined tier above it; entity types are those of the contracts and the
PII registry (or ``NO_PII``), each with an action that means something for it (no `generalize` for
a name, no `keep` for free text). No tier below the minimum tier for sensitive personal information
(PIPL art. 28) may receive it other than dropped, by its own rule or an inherited one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from huiliu.policy.rules import GRADES, RETURNED_CLASSES, ReturnPolicy, Rule
from huiliu.policy.spec import ReturnPolicySpec
from huiliu.policy.vocabulary import FREE_TEXT, NO_PII, TIER_ZH, Action, EntityCatalog, Tier, is_sensitive
from huiliu.spec_files import YamlDocument


@dataclass(frozen=True, kw_only=True)
class PolicyProblem:
    """One problem in one policy file: where, what is wrong and how to fix it, in both languages."""

    file: str
    field: str
    line: int | None
    problem_en: str
    fix_en: str
    problem_zh: str
    fix_zh: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def text(self, lang: str = "en") -> str:
        """``file:line: field — problem — fix`` in one language (``zh`` or ``en``)."""
        problem, fix = (self.problem_zh, self.fix_zh) if lang == "zh" else (self.problem_en, self.fix_en)
        field = f" {self.field} —" if self.field else ""
        return f"{self.where}:{field} {problem} — {fix}"

    def __str__(self) -> str:
        return self.text("en")

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "problem": self.problem_en,
            "fix": self.fix_en,
            "problem_zh": self.problem_zh,
            "fix_zh": self.fix_zh,
        }


@dataclass(frozen=True)
class Wording:
    """A problem and its fix, in English and in Chinese."""

    problem_en: str
    fix_en: str
    problem_zh: str
    fix_zh: str


def problem(file: str, field: str, line: int | None, wording: Wording) -> PolicyProblem:
    return PolicyProblem(
        file=file,
        field=field,
        line=line,
        problem_en=wording.problem_en,
        fix_en=wording.fix_en,
        problem_zh=wording.problem_zh,
        fix_zh=wording.fix_zh,
    )


def _tiers_above(tier: Tier) -> list[Tier]:
    return [t for t in Tier if tier.below(t)]


def _inheritance(spec: ReturnPolicySpec, file: str, document: YamlDocument | None) -> Iterator[PolicyProblem]:
    for tier in Tier:
        block = spec.tiers.of(tier)
        parent = block.inherits if block is not None else None
        if parent is None:
            continue
        path = f"tiers.{tier.value}.inherits"
        line = document.line_of(path) if document else None
        above = _tiers_above(tier)
        if not tier.below(parent):
            names = ", ".join(t.value for t in above) or "none: district is the widest tier"
            yield problem(
                file,
                path,
                line,
                Wording(
                    f"{tier.value} cannot inherit from {parent.value}: a tier inherits only from a tier "
                    "above it, which is protected less",
                    f"inherit from one of {names}, or remove `inherits`",
                    f"{TIER_ZH[tier]}不能继承{TIER_ZH[parent]}的规则：只能继承更上层（保护较少）的层级",
                    "改为继承"
                    + ("、".join(TIER_ZH[t] for t in above) or "（区县级为最上层，不可继承）")
                    + "，或删除 inherits",
                ),
            )
        elif spec.tiers.of(parent) is None:
            yield problem(
                file,
                path,
                line,
                Wording(
                    f"{tier.value} inherits from {parent.value}, which this policy does not define",
                    f"add tiers.{parent.value}, or remove `inherits`",
                    f"{TIER_ZH[tier]}继承的{TIER_ZH[parent]}在本策略中没有定义",
                    f"请添加 tiers.{parent.value}，或删除 inherits",
                ),
            )


def _unknown_entity(entity: str, catalog: EntityCatalog) -> Wording:
    known = sorted(catalog.entity_types)
    close = difflib.get_close_matches(entity.upper(), known, n=1, cutoff=0.6)
    hint_en = f"did you mean {close[0]}? " if close else ""
    hint_zh = f"是否应为 {close[0]}？" if close else ""
    return Wording(
        f"unknown entity type {entity!r}",
        f"{hint_en}use one of {', '.join(known)} ({NO_PII}: a column without personal information)",
        f"未知的实体类型 {entity!r}",
        f"{hint_zh}请使用：{'、'.join(known)}（{NO_PII} 表示不含个人信息的列）",
    )


def _why_not(entity: str, action: Action) -> tuple[str, str]:
    """Why an action means nothing for an entity type (English, Chinese)."""
    if entity == FREE_TEXT:
        return (
            "free text is returned only through the PII gate's anonymiser",
            "自由文本只能经个人信息检查的匿名化器处理后返还",
        )
    if entity == NO_PII:
        return (
            "a column without personal information is either kept or dropped",
            "不含个人信息的列只能原样返还或不返还",
        )
    if action is Action.ANONYMIZE:
        return ("only FREE_TEXT is anonymised", "只有自由文本（FREE_TEXT）才做匿名化")
    if action is Action.MASK:
        return (f"the PII gate has no mask for {entity}", f"个人信息检查没有 {entity} 的脱敏规则")
    return (f"{entity} has no generalisation ladder", f"{entity} 没有泛化层级")


def _invalid_action(entity: str, action: Action, catalog: EntityCatalog) -> Wording:
    why_en, why_zh = _why_not(entity, action)
    valid = catalog.valid_actions(entity)
    return Wording(
        f"{action.value} is not an action for {entity}: {why_en}",
        f"use one of {', '.join(a.value for a in valid)}",
        f"{entity} 不能使用 {action.value}（{action.zh}）：{why_zh}",
        f"请改为：{'、'.join(f'{a.value}（{a.zh}）' for a in valid)}",
    )


def _entities(
    spec: ReturnPolicySpec, file: str, document: YamlDocument | None, catalog: EntityCatalog
) -> Iterator[PolicyProblem]:
    for tier in Tier:
        block = spec.tiers.of(tier)
        for sharing in RETURNED_CLASSES if block else ():
            grades = getattr(block, sharing.value)
            for grade in GRADES if grades else ():
                for entity, action in (getattr(grades, grade.value) or {}).items():
                    path = f"tiers.{tier.value}.{sharing.value}.{grade.value}.{entity}"
                    line = document.line_of(path) if document else None
                    if entity not in catalog.entity_types:
                        yield problem(file, path, line, _unknown_entity(entity, catalog))
                    elif action not in catalog.valid_actions(entity):
                        yield problem(file, path, line, _invalid_action(entity, action, catalog))


def _inherited_note(rule: Rule, tier: Tier) -> tuple[str, str]:
    if rule.tier is tier:
        return "", ""
    at = f", line {rule.line}" if rule.line else ""
    at_zh = f"，第 {rule.line} 行" if rule.line else ""
    return f" (inherited from {rule.tier.value}{at})", f"（继承自{TIER_ZH[rule.tier]}{at_zh}）"


def _sensitive_floor(policy: ReturnPolicy, document: YamlDocument | None) -> Iterator[PolicyProblem]:
    floor = policy.sensitive_minimum_tier
    allowed = [t for t in Tier if not t.below(floor)]
    for (tier, sharing, grade), rules in policy.rules.items():
        if policy.sensitive_allowed(tier):
            continue
        for entity, rule in rules.items():
            if not is_sensitive(entity) or rule.action is Action.DROP:
                continue
            path = f"tiers.{tier.value}.{sharing.value}.{grade.value}.{entity}"
            line = (rule.line if rule.tier is tier else None) or (
                document.line_of(path) if document else None
            )
            note_en, note_zh = _inherited_note(rule, tier)
            yield problem(
                policy.file,
                path,
                line,
                Wording(
                    f"{entity} is sensitive personal information (PIPL art. 28), which this policy returns "
                    f"only to {', '.join(t.value for t in allowed)}, but {tier.value} would get it as "
                    f"{rule.action.value}{note_en}",
                    f"set {path}: drop (or, if {tier.value} may receive it, "
                    f"sensitive_minimum_tier: {tier.value})",
                    f"{entity} 属于敏感个人信息（《个人信息保护法》第二十八条），本策略只向"
                    f"{'、'.join(TIER_ZH[t] for t in allowed)}返还，但{TIER_ZH[tier]}会以“{rule.action.zh}”"
                    f"获得{note_zh}",
                    f"请将 {path} 设为 drop"
                    f"（若{TIER_ZH[tier]}确可获得，则将 sensitive_minimum_tier 设为 {tier.value}）",
                ),
            )


def spec_problems(
    spec: ReturnPolicySpec, file: str, document: YamlDocument | None, catalog: EntityCatalog
) -> list[PolicyProblem]:
    """Problems of a parsed specification: inheritance, entity types and actions."""
    return [*_inheritance(spec, file, document), *_entities(spec, file, document, catalog)]


def policy_problems(policy: ReturnPolicy, document: YamlDocument | None) -> list[PolicyProblem]:
    """Problems of the resolved policy: sensitive personal information below the minimum tier."""
    found = list(_sensitive_floor(policy, document))
    return sorted(found, key=lambda p: (p.line or 0, p.field))
