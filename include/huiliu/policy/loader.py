"""Read return policy files: parse, validate, check and version them, or say exactly what is wrong.

A file is read as UTF-8 YAML with every key's line (a key given twice is refused), validated by
the pydantic models of :mod:`huiliu.policy.spec`, checked by :mod:`huiliu.policy.checks`, and
built into a :class:`~huiliu.policy.rules.ReturnPolicy` whose version includes the file's SHA-256.
Every problem names the file, the line, the field and the fix, in English and in Chinese.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from huiliu.errors import PolicyError
from huiliu.policy.checks import PolicyProblem, Wording, policy_problems, problem, spec_problems
from huiliu.policy.rules import ReturnPolicy, build
from huiliu.policy.spec import ReturnPolicySpec
from huiliu.policy.vocabulary import TIER_ZH, Action, EntityCatalog, Tier, entity_catalog
from huiliu.spec_files import (
    DuplicateKey,
    DuplicateKeyError,
    FieldError,
    YamlDocument,
    field_errors,
    parse_yaml,
    syntax_issue,
)

_TIERS = ", ".join(t.value for t in Tier)
_TIERS_ZH = "、".join(f"{t.value}（{TIER_ZH[t]}）" for t in Tier)
_ACTIONS = ", ".join(a.value for a in Action)
_ACTIONS_ZH = "、".join(f"{a.value}（{a.zh}）" for a in Action)


def _unknown_tier(name: object) -> Wording:
    return Wording(
        f"unknown tier {name!r}",
        f"use one of {_TIERS}",
        f"未知的层级 {name!r}",
        f"层级只能是 {_TIERS_ZH}",
    )


def _unknown_key(parts: list[str]) -> Wording:
    """A key the file may not have at this place."""
    key = parts[-1]
    if len(parts) == 2 and parts[0] == "tiers":
        return _unknown_tier(key)
    if len(parts) == 3 and parts[0] == "tiers" and key == "none":
        return Wording(
            "不予共享 (none) datasets are never returned to units, so the policy gives them no rules",
            "remove this block",
            "不予共享（none）的数据集从不返还，策略不为其设规则",
            "请删除此段",
        )
    if len(parts) == 3 and parts[0] == "tiers":
        return Wording(
            f"unknown sharing class {key!r}",
            "use unconditional or conditional (none, 不予共享, is never returned)",
            f"未知的共享类别 {key!r}",
            "只能是 unconditional（无条件共享）或 conditional（有条件共享）；不予共享的数据从不返还",
        )
    if len(parts) == 4 and parts[0] == "tiers":
        return Wording(
            f"unknown sensitivity grade {key!r}",
            "use general, important or core",
            f"未知的数据分级 {key!r}",
            "只能是 general（一般）、important（重要）或 core（核心）",
        )
    return Wording("unknown field", "remove it or check its spelling", "未知字段", "请删除，或检查拼写")


def _wording(error: FieldError) -> Wording:
    """A pydantic error about a policy file, in words that say how to fix it."""
    parts = error.field.split(".")
    if error.kind == "extra_forbidden":
        return _unknown_key(parts)
    if error.kind == "enum" and parts[0] == "tiers" and len(parts) == 5:
        return Wording(
            f"unknown action {error.input!r}",
            f"use one of {_ACTIONS}",
            f"未知的处理方式 {error.input!r}",
            f"请使用：{_ACTIONS_ZH}",
        )
    if error.kind == "enum":
        return _unknown_tier(error.input)
    if error.kind == "missing":
        return Wording("required field is missing", "add it", "缺少必填字段", "请补上该字段")
    if error.kind == "string_type" and error.field == "version":
        return Wording(
            "the version must be text",
            'quote it, e.g. version: "2025.1"',
            "版本号必须是文本",
            '请加引号，如 version: "2025.1"',
        )
    if error.kind in ("dict_type", "model_type"):
        return Wording(
            "must be a mapping (key: value lines)",
            "indent the entries below this key",
            "此处应为映射（键: 值 的多行）",
            "请把条目缩进写在该键下面",
        )
    return Wording(error.message, "correct the value", f"取值无效：{error.message}", "请更正该值")


def _file_problem(file: str, line: int | None, wording: Wording) -> list[PolicyProblem]:
    return [problem(file, "", line, wording)]


def _duplicate(file: str, duplicate: DuplicateKey) -> PolicyProblem:
    first, line = duplicate.first_line, duplicate.line
    where_en = "twice on this line" if first == line else f"also on line {first}"
    where_zh = "在同一行出现两次" if first == line else f"在第 {first} 行已出现"
    return problem(
        file,
        duplicate.path,
        line,
        Wording(
            f"this key is given {where_en}, in the same mapping; YAML would silently keep only the last one",
            f"keep one of lines {first} and {line} and delete the other"
            if first != line
            else "keep one of them",
            f"同一映射中该键{where_zh}，YAML 只会悄悄保留最后一个",
            f"请保留第 {first} 行或第 {line} 行中的一个，删除另一个" if first != line else "请只保留一个",
        ),
    )


def _read(path: Path) -> tuple[YamlDocument | None, bytes, list[PolicyProblem]]:
    """The parsed file and its bytes, or the problems that stop it being read."""
    file = str(path)
    try:
        raw = path.read_bytes()
        document = parse_yaml(raw.decode("utf-8"))
    except OSError as exc:
        reason = type(exc).__name__
        return (
            None,
            b"",
            _file_problem(
                file,
                None,
                Wording(
                    f"cannot read the file ({reason})",
                    "check the path and its permissions",
                    f"无法读取文件（{reason}）",
                    "请检查路径与权限",
                ),
            ),
        )
    except UnicodeDecodeError:
        return (
            None,
            b"",
            _file_problem(
                file,
                None,
                Wording(
                    "the file is not UTF-8 text",
                    "save it as UTF-8",
                    "文件不是 UTF-8 文本",
                    "请以 UTF-8 编码保存",
                ),
            ),
        )
    except DuplicateKeyError as exc:
        return None, b"", [_duplicate(file, d) for d in exc.duplicates]
    except yaml.YAMLError as exc:
        issue = syntax_issue(exc)
        return (
            None,
            b"",
            _file_problem(
                file,
                issue.line,
                Wording(
                    issue.message,
                    "correct the YAML here (indentation, a missing colon, an unclosed quote)",
                    f"不是合法的 YAML：{issue.message.removeprefix('not valid YAML: ')}",
                    "请更正此处的 YAML（缩进、缺少冒号、引号未闭合等）",
                ),
            ),
        )
    return document, raw, []


def _validated(
    document: YamlDocument, file: str, sha256: str, catalog: EntityCatalog
) -> tuple[ReturnPolicy | None, list[PolicyProblem]]:
    if not isinstance(document.data, dict):
        return None, _file_problem(
            file,
            None,
            Wording(
                "a policy must be a YAML mapping (version, sensitive_minimum_tier, tiers …)",
                "start from include/policies/return_policy.yaml",
                "策略文件必须是 YAML 映射（version、sensitive_minimum_tier、tiers 等）",
                "请以 include/policies/return_policy.yaml 为模板",
            ),
        )
    try:
        spec = ReturnPolicySpec.model_validate(document.data)
    except ValidationError as exc:
        return None, [problem(file, e.field, e.line, _wording(e)) for e in field_errors(exc, document)]
    found = spec_problems(spec, file, document, catalog)
    if found:
        return None, found
    policy = build(spec, file=file, sha256=sha256, catalog=catalog, document=document)
    found = policy_problems(policy, document)
    return (None, found) if found else (policy, [])


def parse_policy(
    path: Path, catalog: EntityCatalog | None = None
) -> tuple[ReturnPolicy | None, list[PolicyProblem]]:
    """One policy file: the policy, or every problem found in it."""
    document, raw, found = _read(path)
    if document is None:
        return None, found
    return _validated(document, str(path), hashlib.sha256(raw).hexdigest(), catalog or entity_catalog())


def policy_from_data(
    data: Mapping[str, Any], *, catalog: EntityCatalog | None = None, file: str = "<policy>"
) -> ReturnPolicy:
    """A policy from already-parsed data (its digest is that of the data as canonical JSON).

    Raises:
        PolicyError: naming every problem (without lines: there is no file).
    """
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    policy, found = _validated(YamlDocument(dict(data)), file, digest, catalog or entity_catalog())
    if policy is None:
        raise PolicyError(found)
    return policy


def policy_files(paths: Iterable[Path]) -> list[Path]:
    """The policy files named, folders expanded to their ``*.yaml`` files."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def check_policies(paths: Iterable[Path]) -> tuple[list[ReturnPolicy], list[PolicyProblem]]:
    """Check every policy file under the given files or folders, collecting all problems."""
    catalog = entity_catalog()
    policies: list[ReturnPolicy] = []
    problems: list[PolicyProblem] = []
    for file in policy_files(paths):
        policy, found = parse_policy(file, catalog)
        problems.extend(found)
        if policy is not None:
            policies.append(policy)
    return policies, problems


def load_policy(path: Path | None = None) -> ReturnPolicy:
    """The policy in force: ``path``, or ``HUILIU_RETURN_POLICY`` (include/policies/return_policy.yaml).

    Raises:
        PolicyError: naming every problem of the file.
    """
    if path is None:
        from huiliu.settings import get_settings

        path = get_settings().return_policy
    policy, found = parse_policy(path)
    if policy is None:
        raise PolicyError(found)
    return policy
