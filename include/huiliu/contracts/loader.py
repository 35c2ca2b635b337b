"""Load contract YAML files and turn validation failures into per-file, per-field problems."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from huiliu.contracts.model import RESERVED_COLUMNS, DatasetContract, FieldProblem
from huiliu.errors import ContractError, ContractProblem

TOP_LEVEL = "(top level)"


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("SqlSource", "FileSource", "sql", "file"):
            continue
        else:
            parts.append(("." if parts else "") + ("schema" if item == "schema_" else str(item)))
    return "".join(parts) or TOP_LEVEL


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
        field = _field_path(item["loc"])
        error = item.get("ctx", {}).get("error")
        if isinstance(error, FieldProblem):
            field = _join("" if field == TOP_LEVEL else field, error.field)
        out.append(ContractProblem(str(path), field, message))
    return out


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one YAML mapping: where, and the line of each."""

    path: str  # e.g. schema.columns[2].type
    line: int  # the repeated key's line (1-based)
    first_line: int


class DuplicateKeyError(yaml.YAMLError):
    """Keys given twice in one mapping (YAML itself would silently keep the last one)."""

    def __init__(self, duplicates: list[DuplicateKey]) -> None:
        self.duplicates = duplicates
        super().__init__("; ".join(f"{d.path} (line {d.line})" for d in duplicates))


def _join(path: str, key: object) -> str:
    """``path`` extended by one key (``path`` empty at the top level)."""
    return f"{path}.{key}" if path else str(key)


def _mapping_paths(node: yaml.Node, path: str, into: dict[int, str]) -> None:
    """Record the path of every mapping node below ``node`` (aliases and cycles visited once)."""
    if id(node) in into:
        return
    if isinstance(node, yaml.MappingNode):
        into[id(node)] = path
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            _mapping_paths(value_node, _join(path, key), into)
    elif isinstance(node, yaml.SequenceNode):
        into[id(node)] = path
        for index, item in enumerate(node.value):
            _mapping_paths(item, f"{path}[{index}]", into)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, noting every key given twice in one mapping (YAML keeps the last silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.paths: dict[int, str] = {}
        self.duplicates: list[DuplicateKey] = []

    def construct_document(self, node: yaml.Node) -> object:
        _mapping_paths(node, "", self.paths)
        return super().construct_document(node)  # type: ignore[no-untyped-call]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` overrides on purpose
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if not isinstance(key, Hashable):
                continue  # the safe loader refuses it itself
            line = key_node.start_mark.line + 1
            if key in seen:
                path = _join(self.paths.get(id(node), ""), key)
                self.duplicates.append(DuplicateKey(path, line, seen[key]))
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str) -> object:
    """Parse YAML safely.

    Raises:
        DuplicateKeyError: a mapping gives a key twice, naming every such key.
        yaml.YAMLError: the text is not YAML.
    """
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DuplicateKeyError(sorted(loader.duplicates, key=lambda d: d.line))
    return data


def _duplicate_problem(path: Path, duplicate: DuplicateKey) -> ContractProblem:
    first, line = duplicate.first_line, duplicate.line
    if first == line:
        where, fix = "given twice on this line", "keep one of them and delete the other"
    else:
        where, fix = (
            f"also given on line {first}",
            f"keep one of lines {first} and {line} and delete the other",
        )
    return ContractProblem(
        str(path),
        f"{duplicate.path} (line {line})",
        f"this key is {where}, in the same mapping; YAML would silently keep only the last one: {fix}",
    )


def parse_contract(path: Path) -> tuple[DatasetContract | None, list[ContractProblem]]:
    """Parse one file; return the contract or the problems found in it."""
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ContractProblem(str(path), "", f"cannot read the file: {exc}")]
    except DuplicateKeyError as exc:
        return None, [_duplicate_problem(path, d) for d in exc.duplicates]
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
