"""Load contract YAML files and turn validation failures into per-file, per-field problems."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from huiliu.contracts.model import RESERVED_COLUMNS, DatasetContract
from huiliu.errors import ContractError, ContractProblem
from huiliu.spec_files import (
    DuplicateKeyError,
    FieldError,
    FieldIssue,
    YamlDocument,
    duplicate_issue,
    loc_path,
    parse_yaml,
    syntax_issue,
    validation_issues,
)

_UNION_TAGS = ("SqlSource", "FileSource", "sql", "file")


def _field_path(loc: tuple[int | str, ...]) -> str:
    return loc_path(loc, skip=_UNION_TAGS, rename={"schema_": "schema"})


def _message(error: FieldError) -> str | None:
    if error.kind != "string_pattern_mismatch":
        return None
    value = error.input
    if value in RESERVED_COLUMNS:
        return f"{value!r} is reserved for huiliu's own columns; rename the column"
    return f"{value!r} is not a valid name: use lowercase letters, digits and _, starting with a letter"


def _problem(path: Path, issue: FieldIssue) -> ContractProblem:
    return ContractProblem(str(path), issue.field, issue.message, issue.line)


def _problems(path: Path, error: ValidationError, document: YamlDocument) -> list[ContractProblem]:
    issues = validation_issues(error, document, path_of=_field_path, message_of=_message)
    return [_problem(path, issue) for issue in issues]


def _duplicate_problem(path: Path, issue: FieldIssue) -> ContractProblem:
    return ContractProblem(str(path), f"{issue.field} (line {issue.line})", issue.message)


def parse_contract(path: Path) -> tuple[DatasetContract | None, list[ContractProblem]]:
    """Parse one file; return the contract or the problems found in it."""
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ContractProblem(str(path), "", f"cannot read the file: {exc}")]
    except DuplicateKeyError as exc:
        return None, [_duplicate_problem(path, duplicate_issue(d)) for d in exc.duplicates]
    except yaml.YAMLError as exc:
        issue = syntax_issue(exc)
        where = f"line {issue.line}" if issue.line is not None else ""
        return None, [ContractProblem(str(path), where, issue.message)]
    if not isinstance(document.data, dict):
        return None, [ContractProblem(str(path), "", "a contract must be a YAML mapping of fields")]
    try:
        contract = DatasetContract.model_validate(document.data)
    except ValidationError as exc:
        return None, _problems(path, exc, document)
    if contract.name != path.stem:
        return None, [ContractProblem(str(path), "name", f"name {contract.name!r} must match the file name")]
    return contract, []


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def check_paths(paths: Iterable[Path]) -> tuple[list[DatasetContract], list[ContractProblem]]:
    """Validate every contract file under the given files or folders, collecting all problems."""
    contracts: list[DatasetContract] = []
    problems: list[ContractProblem] = []
    seen: dict[str, Path] = {}
    for file in _expand(paths):
        contract, found = parse_contract(file)
        problems.extend(found)
        if contract is None:
            continue
        if contract.name in seen:
            problems.append(
                ContractProblem(
                    str(file), "name", f"dataset {contract.name!r} is also in {seen[contract.name]}"
                )
            )
            continue
        seen[contract.name] = file
        contracts.append(contract)
    return contracts, problems


def load_contracts(folder: Path | None = None) -> dict[str, DatasetContract]:
    """All contracts of a folder by name; raises ContractError naming every problem."""
    if folder is None:
        from huiliu.settings import get_settings

        folder = get_settings().contracts_dir
    contracts, problems = check_paths([folder])
    if problems:
        raise ContractError(problems)
    return {c.name: c for c in contracts}


def load_contract(name: str, folder: Path | None = None) -> DatasetContract:
    contracts = load_contracts(folder)
    if name not in contracts:
        known = ", ".join(sorted(contracts)) or "none"
        raise ContractError(
            [
                ContractProblem(
                    str(folder or "contracts"), "name", f"no contract named {name!r}; known: {known}"
                )
            ]
        )
    return contracts[name]
