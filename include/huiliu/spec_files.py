"""YAML specification files (contracts, return policies, the PII registry, reconciliation checks):
read strictly, refused field by field.

The reader is YAML's safe loader that also notes the line of every key and list item, and refuses a
key given twice in one mapping, which YAML itself would silently resolve to the last one. A pydantic
validation error becomes one issue per failing field, with its path as the file spells it
(``schema.columns[2].type``), the line it sits on, and a message that says how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field

import yaml
from pydantic import ValidationError

TOP_LEVEL = "(top level)"


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one YAML mapping: where, and the line of each."""

    path: str  # e.g. schema.columns[2].type
    line: int  # the repeated key's line (1-based)
    first_line: int


class DuplicateKeyError(yaml.YAMLError):  # type: ignore[misc]  # PyYAML ships no type information
    """Keys given twice in one mapping (YAML itself would silently keep the last one)."""

    def __init__(self, duplicates: list[DuplicateKey]) -> None:
        self.duplicates = duplicates
        super().__init__("; ".join(f"{d.path} (line {d.line})" for d in duplicates))


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML and the line of every key and list item, by field path."""

    data: object
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest enclosing field the file spells out."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


@dataclass(frozen=True)
class FieldIssue:
    """One problem in a spec file: the field path, its line if known, and what to do."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        """``field (line N): message``; ``line N: message`` for a problem of no one field."""
        where = self.field
        if self.line is not None:
            where = f"{where} (line {self.line})" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message


def join_path(path: str, key: object) -> str:
    """``path`` extended by one key (``path`` empty at the top level)."""
    return f"{path}.{key}" if path else str(key)


_MERGE = "tag:yaml.org,2002:merge"
_MAX_LINES = 200_000  # aliases are followed for lines; this bounds the work nested aliases can cause


def _node_paths(
    node: yaml.Node,
    path: str,
    paths: dict[int, str],
    lines: dict[str, int],
    active: frozenset[int] = frozenset(),
) -> None:
    """Record each node's first path and the line of every key below it.

    Aliases and merge keys (``<<: *name``) are followed, so a value they copy is found at the line
    where it is written; a key written in the mapping itself wins over a merged one.
    """
    if id(node) in active or len(lines) > _MAX_LINES:
        return
    active = active | {id(node)}
    paths.setdefault(id(node), path)
    if isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            child = join_path(path, key)
            lines.setdefault(child, key_node.start_mark.line + 1)
            _node_paths(value_node, child, paths, lines, active)
        for source in merged:
            if isinstance(source, yaml.MappingNode):
                _node_paths(source, path, paths, lines, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault(f"{path}[{index}]", item.start_mark.line + 1)
            _node_paths(item, f"{path}[{index}]", paths, lines, active)


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type information
    """YAML's safe loader, noting every key's line and every key given twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.paths: dict[int, str] = {}
        self.lines: dict[str, int] = {}
        self.duplicates: list[DuplicateKey] = []

    def construct_document(self, node: yaml.Node) -> object:
        _node_paths(node, "", self.paths, self.lines)
        data: object = super().construct_document(node)
        return data

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` overrides on purpose
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the safe loader refuses it itself
            line = key_node.start_mark.line + 1
            if key in seen:
                path = join_path(self.paths.get(id(node), ""), key)
                self.duplicates.append(DuplicateKey(path, line, seen[key]))
            else:
                seen[key] = line
        mapping: dict[object, object] = super().construct_mapping(node, deep=deep)
        return mapping


def parse_yaml(text: str) -> YamlDocument:
    """Parse YAML safely, keeping the line of every key and list item.

    Raises:
        DuplicateKeyError: a mapping gives a key twice, naming every such key.
        yaml.YAMLError: the text is not YAML.
    """
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DuplicateKeyError(sorted(loader.duplicates, key=lambda d: d.line))
    return YamlDocument(data, loader.lines)


def read_yaml(text: str) -> object:
    """Parse YAML safely (see :func:`parse_yaml`); only the data."""
    return parse_yaml(text).data


def parse_spec(text: str) -> tuple[YamlDocument | None, list[FieldIssue]]:
    """Parse a spec file's text strictly (see :func:`parse_yaml`).

    Returns:
        The document and no issues; or None and what stops the text being read: every key given
        twice (with both lines), or the line where the text stops being YAML.
    """
    try:
        return parse_yaml(text), []
    except DuplicateKeyError as exc:
        return None, [duplicate_issue(d) for d in exc.duplicates]
    except yaml.YAMLError as exc:
        return None, [syntax_issue(exc)]


def duplicate_issue(duplicate: DuplicateKey) -> FieldIssue:
    """A repeated key as an issue: both lines, and which to delete."""
    first, line = duplicate.first_line, duplicate.line
    if first == line:
        where, fix = "given twice on this line", "keep one of them and delete the other"
    else:
        where, fix = (
            f"also given on line {first}",
            f"keep one of lines {first} and {line} and delete the other",
        )
    message = f"this key is {where}, in the same mapping; YAML would silently keep only the last one: {fix}"
    return FieldIssue(duplicate.path, message, line)


def syntax_issue(error: yaml.YAMLError) -> FieldIssue:
    """Text that is not YAML, with the line the parser stopped at."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return FieldIssue("", f"not valid YAML: {getattr(error, 'problem', None) or error}", line)


def loc_path(
    loc: tuple[int | str, ...], skip: Collection[str] = (), rename: Mapping[str, str] | None = None
) -> str:
    """A pydantic error location as the file spells it: ``a.b[2].c``.

    Args:
        loc: the location pydantic reports.
        skip: names pydantic adds that are not fields (a tagged union's branch names).
        rename: Python attribute names to the keys the file uses (``schema_`` → ``schema``).
    """
    rename = rename or {}
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item not in skip:
            parts.append(("." if parts else "") + rename.get(item, item))
    return "".join(parts)


@dataclass(frozen=True)
class FieldError:
    """One failing field of a pydantic validation error: path, line, pydantic's kind and message."""

    field: str
    line: int | None
    kind: str
    message: str
    input: object = None


_UNION_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")


def field_errors(
    error: ValidationError,
    document: YamlDocument | None = None,
    *,
    path_of: Callable[[tuple[int | str, ...]], str] = loc_path,
    tag: str | None = None,
) -> list[FieldError]:
    """Every failing field of a pydantic validation error, with the line it sits on.

    A validator may raise a ``ValueError`` with a ``field`` attribute (a path below the model it
    validates, e.g. :class:`huiliu.contracts.model.FieldProblem`) to name the exact field.

    Args:
        error: what pydantic reported.
        document: the parsed file, for lines.
        path_of: the field path of a pydantic location.
        tag: the key of a tagged union (e.g. ``kind``): an unknown or missing tag is reported on it.
    """
    found = []
    for item in error.errors():
        path = path_of(tuple(item["loc"]))
        cause = item.get("ctx", {}).get("error")
        named = getattr(cause, "field", None)
        if isinstance(cause, ValueError) and isinstance(named, str):
            path = join_path(path, named)
        if tag is not None and item["type"] in _UNION_TAG_ERRORS:
            path = join_path(path, tag)
        line = document.line_of(path) if document is not None else None
        message = str(item["msg"]).removeprefix("Value error, ")
        found.append(FieldError(path or TOP_LEVEL, line, item["type"], message, item.get("input")))
    return found


STANDARD_MESSAGES = {
    "extra_forbidden": "unknown field; remove it or check its spelling",
    "missing": "required field is missing",
}


def validation_issues(
    error: ValidationError,
    document: YamlDocument | None = None,
    *,
    path_of: Callable[[tuple[int | str, ...]], str] = loc_path,
    message_of: Callable[[FieldError], str | None] | None = None,
    tag: str | None = None,
) -> list[FieldIssue]:
    """One issue per failing field: :func:`field_errors` with a message that says what to do.

    Args:
        error: what pydantic reported.
        document: the parsed file, for lines.
        path_of: the field path of a pydantic location.
        message_of: a message of the spec's own for an error, or None for the standard one.
        tag: the key of a tagged union, as for :func:`field_errors`.
    """
    issues = []
    for found in field_errors(error, document, path_of=path_of, tag=tag):
        message = message_of(found) if message_of else None
        message = message or STANDARD_MESSAGES.get(found.kind) or found.message
        issues.append(FieldIssue(found.field, message, found.line))
    return issues
