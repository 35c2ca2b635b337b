"""Load contract YAML files and turn validation failures into per-file, per-field problems."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from huiliu.contracts.model import RESERVED_COLUMNS, DatasetContract
from huiliu.errors import ContractError, ContractProblem


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("SqlSource", "FileSource", "sql", "file"):
            continue
        else:
            parts.append(("." if parts else "") + ("schema" if item == "schema_" else str(item)))
    return "".join(parts) or "(top level)"


def _pattern_message(value: object) -> str:
    if value in RESERVED_COLUMNS:
        return f"{value!r} is reserved for huiliu's own columns; rename the column"
    return f"{value!r} is not a valid name: use lowercase letters, digits and _, starting with a letter"


def _problems(path: Path, error: ValidationError) -> list[ContractProblem]:
    out = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "string_pattern_mismatch":
            message = _pattern_message(item.get("input"))
        out.append(ContractProblem(str(path), _field_path(item["loc"]), message))
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the last would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (first on line {seen[key]}); YAML would keep only the "
                    "last one silently: keep one of them",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str) -> object:
    """Parse YAML safely, refusing duplicated keys."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


def parse_contract(path: Path) -> tuple[DatasetContract | None, list[ContractProblem]]:
    """Parse one file; return the contract or the problems found in it."""
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ContractProblem(str(path), "", f"cannot read the file: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        return None, [ContractProblem(str(path), where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [ContractProblem(str(path), "", "a contract must be a YAML mapping of fields")]
    try:
        contract = DatasetContract.model_validate(data)
    except ValidationError as exc:
        return None, _problems(path, exc)
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
