"""Pydantic models of the reconciliation checks (``include/checks/reconciliation.yaml``).

The file is reviewed like code: it names, per check, its kind, the datasets and columns compared,
the tolerance and the sample size, with a Chinese and an English title. A new check of an existing
kind is one more entry in the file, no code. ``load_spec`` validates the file against the models and
then against the dataset contracts, and raises one ``ReconciliationSpecError`` naming the file, the
field and the fix of every problem found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huiliu.contracts import DatasetContract, load_contracts
from huiliu.contracts.model import NAME_PATTERN
from huiliu.errors import ConfigurationError
from huiliu.settings import PROJECT_ROOT

DEFAULT_SPEC_PATH = PROJECT_ROOT / "include" / "checks" / "reconciliation.yaml"
"""Where the reviewed reconciliation checks live."""

KINDS = ("recipients_in_registry", "community_counts", "community_exists")
_SHARES = ("relative", "max_mismatch_rate")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Titles(Spec):
    """A check's title in both report languages."""

    zh: str = Field(min_length=2, description="Chinese title, shown first in reports")
    en: str = Field(min_length=2, description="English title")


class CountTolerance(Spec):
    """How far two counts of one community may differ: ``max(absolute, relative × registry count)``."""

    relative: float = Field(ge=0, le=1, description="allowed difference as a share of the registry's count")
    absolute: int = Field(ge=0, description="allowed difference in people, whatever the community's size")

    def allowed(self, reference: int) -> float:
        """The largest difference allowed for a community the registry counts ``reference`` people in
        (rounded to a hundredth of a person, so that 0.35 × 180 allows 63, not 62.999…)."""
        return max(float(self.absolute), round(self.relative * reference, 2))


class RegistrySpec(Spec):
    """The person master data every recipient is compared against (its current version per person)."""

    dataset: str = Field(description="the registry dataset, e.g. resident_registry")
    id_column: str = Field(description="the person's ID number; one current version per value is compared")
    status_column: str = Field(description="the person's status, e.g. 正常 / 死亡 / 迁出")
    community_column: str = Field(description="the 12-digit code of the community the person lives in")
    dead_statuses: list[str] = Field(min_length=1, description="statuses meaning the person has died")
    moved_out_statuses: list[str] = Field(
        default_factory=list, description="statuses meaning the person moved away (reported separately)"
    )

    def columns(self) -> dict[str, str]:
        """Column fields of this block, by field name."""
        return {
            "id_column": self.id_column,
            "status_column": self.status_column,
            "community_column": self.community_column,
        }


class CheckSpec(Spec):
    """What every check has: a name, titles, the pass threshold and the sample size."""

    name: str = Field(pattern=NAME_PATTERN, description="stable check name, kept with every flag")
    title: Titles = Field(description="the check's title in reports")
    description: str | None = Field(default=None, description="what the check means and whom it serves")
    dataset: str = Field(description="the dataset whose records are checked (and flagged)")
    max_mismatch_rate: float = Field(
        default=0.0, ge=0, le=1, description="the check passes when mismatches / compared is at most this"
    )
    sample_size: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="masked samples in the report; the file's default when omitted",
    )

    def columns(self) -> dict[str, str]:
        """Column fields of this check, by field name, for validation against the contract."""
        return {}

    @property
    def kind_name(self) -> str:
        """The check's kind as the file names it."""
        return str(getattr(self, "kind", type(self).__name__))


class RecipientsInRegistry(CheckSpec):
    """Every recipient exists in the registry and is alive there (moved-out recipients are reported too)."""

    kind: Literal["recipients_in_registry"]
    id_column: str = Field(description="the recipient's ID number column")
    name_column: str | None = Field(
        default=None, description="the name column, shown masked (张*) in samples"
    )

    def columns(self) -> dict[str, str]:
        found = {"id_column": self.id_column}
        return found | ({"name_column": self.name_column} if self.name_column else {})


class CommunityCounts(CheckSpec):
    """Recipients per community as the department records them vs the community the registry holds."""

    kind: Literal["community_counts"]
    id_column: str = Field(description="the recipient's ID number column")
    community_column: str = Field(description="the community the department records for the recipient")
    tolerance: CountTolerance = Field(description="how far the two counts of one community may differ")

    def columns(self) -> dict[str, str]:
        return {"id_column": self.id_column, "community_column": self.community_column}


class CommunityExists(CheckSpec):
    """Every stated community (or grid) code of a dataset exists in the administrative hierarchy."""

    kind: Literal["community_exists"]
    column: str = Field(description="the column holding the code")
    level: Literal["community", "grid"] = Field(
        default="community", description="the hierarchy level the codes must be at (12 or 15 digits)"
    )

    def columns(self) -> dict[str, str]:
        return {"column": self.column}


Check = Annotated[RecipientsInRegistry | CommunityCounts | CommunityExists, Field(discriminator="kind")]


class ReconciliationSpec(Spec):
    """The whole file: the registry, the default sample size and the checks."""

    version: Literal[1] = Field(description="format version of this file")
    sample_size: int = Field(default=10, ge=0, le=100, description="default masked samples per check")
    registry: RegistrySpec = Field(description="the person master data recipients are compared against")
    checks: list[Check] = Field(min_length=1, description="the checks, run in this order")

    @field_validator("checks")
    @classmethod
    def _unique_names(cls, checks: list[CheckSpec]) -> list[CheckSpec]:
        names = [c.name for c in checks]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicate check names: {', '.join(duplicated)}; give each check its own name")
        return checks

    def samples_of(self, check: CheckSpec) -> int:
        """How many masked samples the report shows for a check."""
        return self.sample_size if check.sample_size is None else check.sample_size

    def datasets_of(self, check: CheckSpec) -> tuple[str, ...]:
        """The datasets a check reads: its own, and the registry for the person checks."""
        if isinstance(check, CommunityExists):
            return (check.dataset,)
        return (check.dataset, self.registry.dataset)

    @property
    def datasets(self) -> list[str]:
        """Every dataset some check reads, sorted."""
        return sorted({name for check in self.checks for name in self.datasets_of(check)})


class ReconciliationSpecError(ConfigurationError):
    """The reconciliation checks file is unreadable or names datasets or columns that do not exist."""

    def __init__(self, file: Path, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {field}: {message}" for field, message in problems))


def load_spec(
    path: Path | None = None, contracts: Mapping[str, DatasetContract] | None = None
) -> ReconciliationSpec:
    """Read, validate and check the reconciliation file against the dataset contracts.

    Args:
        path: The YAML file; ``include/checks/reconciliation.yaml`` when omitted.
        contracts: The contracts by name; loaded from the contracts folder when omitted.

    Raises:
        ReconciliationSpecError: Naming the file, the field and the fix of every problem.
    """
    path = path or DEFAULT_SPEC_PATH
    data = _read_yaml(path)
    try:
        spec = ReconciliationSpec.model_validate(data)
    except ValidationError as exc:
        raise ReconciliationSpecError(path, _problems(exc)) from None
    problems = list(_contract_problems(spec, contracts if contracts is not None else load_contracts()))
    if problems:
        raise ReconciliationSpecError(path, problems)
    return spec


def _read_yaml(path: Path) -> object:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = f"cannot read the file ({type(exc).__name__}); restore it from version control"
        raise ReconciliationSpecError(path, [("(file)", reason)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise ReconciliationSpecError(
            path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    if not isinstance(data, dict):
        raise ReconciliationSpecError(
            path, [("(top level)", "must be a mapping with version, registry, checks")]
        )
    return data


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item not in KINDS:  # the discriminator's branch name is not a field
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _message(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return "unknown field; remove it or check its spelling"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        given = item["input"].get("kind") if isinstance(item["input"], dict) else None
        return f"unknown kind {given!r}; use one of {', '.join(KINDS)}"
    if kind == "union_tag_not_found":
        return f"required field is missing; use one of {', '.join(KINDS)}"
    if kind == "string_pattern_mismatch":
        return "use lowercase letters, digits and _, starting with a letter (at most 63 characters)"
    if kind == "too_short":
        return "must not be empty; list at least one entry"
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["loc"] and item["loc"][-1] in _SHARES:
        return f"{message}; write a share as a fraction, e.g. 0.1 for 10%"
    return message


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        where = _field_path(tuple(item["loc"]))
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            where += ".kind"
        problems.append((where, _message(item)))
    return problems


def _contract_problems(
    spec: ReconciliationSpec, contracts: Mapping[str, DatasetContract]
) -> Iterator[tuple[str, str]]:
    yield from _block_problems("registry", spec.registry.dataset, spec.registry.columns(), contracts)
    for index, check in enumerate(spec.checks):
        yield from _block_problems(f"checks[{index}]", check.dataset, check.columns(), contracts)
        if check.dataset == spec.registry.dataset and not isinstance(check, CommunityExists):
            yield (
                f"checks[{index}].dataset",
                f"{check.kind_name} compares a department's dataset with the registry; "
                f"name a dataset other than {spec.registry.dataset}",
            )


def _block_problems(
    where: str, dataset: str, columns: Mapping[str, str], contracts: Mapping[str, DatasetContract]
) -> Iterator[tuple[str, str]]:
    contract = contracts.get(dataset)
    if contract is None:
        known = ", ".join(sorted(contracts)) or "none"
        yield f"{where}.dataset", f"unknown dataset {dataset!r}; use a dataset with a contract: {known}"
        return
    names = [c.name for c in contract.columns]
    for field, column in columns.items():
        if column not in names:
            yield (
                f"{where}.{field}",
                f"column {column!r} is not in the contract of {dataset}; use one of {', '.join(names)}",
            )
