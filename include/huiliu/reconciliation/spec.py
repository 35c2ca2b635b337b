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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huiliu import spec_files
from huiliu.contracts import DatasetContract, load_contracts
from huiliu.contracts.model import NAME_PATTERN
from huiliu.errors import ConfigurationError
from huiliu.settings import PROJECT_ROOT
from huiliu.spec_files import FieldError, FieldIssue, YamlDocument

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
    """The reconciliation checks file is unreadable or names datasets or columns that do not exist.

    Each problem names the field, its line when known, and the fix; the message gives one per line,
    each led by the file.
    """

    def __init__(self, file: Path, problems: list[FieldIssue]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {problem}" for problem in problems))


def load_spec(
    path: Path | None = None, contracts: Mapping[str, DatasetContract] | None = None
) -> ReconciliationSpec:
    """Read, validate and check the reconciliation file against the dataset contracts.

    The file is read strictly (:mod:`huiliu.spec_files`): a key given twice is refused, and every
    problem is named with its line.

    Args:
        path: The YAML file; ``include/checks/reconciliation.yaml`` when omitted.
        contracts: The contracts by name; loaded from the contracts folder when omitted.

    Raises:
        ReconciliationSpecError: Naming the file, the field, its line and the fix of every problem.
    """
    path = path or DEFAULT_SPEC_PATH
    document = _read(path)
    try:
        spec = ReconciliationSpec.model_validate(document.data)
    except ValidationError as exc:
        issues = spec_files.validation_issues(
            exc, document, path_of=_field_path, message_of=_message, tag="kind"
        )
        raise ReconciliationSpecError(path, issues) from None
    found = _contract_problems(spec, contracts if contracts is not None else load_contracts())
    problems = [FieldIssue(field, message, document.line_of(field)) for field, message in found]
    if problems:
        raise ReconciliationSpecError(path, problems)
    return spec


def _read(path: Path) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"cannot read the file ({type(exc).__name__}); restore it from version control"
        raise ReconciliationSpecError(path, [FieldIssue("(file)", reason)]) from None
    document, issues = spec_files.parse_spec(text)
    if document is None:
        raise ReconciliationSpecError(path, issues)
    if not isinstance(document.data, dict):
        message = "must be a mapping with version, registry, checks"
        raise ReconciliationSpecError(path, [FieldIssue(spec_files.TOP_LEVEL, message)])
    return document


def _field_path(loc: tuple[int | str, ...]) -> str:
    return spec_files.loc_path(loc, skip=KINDS)  # the discriminator's branch name is not a field


def _message(error: FieldError) -> str | None:
    """The fix of a pydantic error, in this file's words; None for the standard message."""
    if error.kind == "union_tag_invalid":
        given = error.input.get("kind") if isinstance(error.input, dict) else None
        return f"unknown kind {given!r}; use one of {', '.join(KINDS)}"
    if error.kind == "union_tag_not_found":
        return f"required field is missing; use one of {', '.join(KINDS)}"
    if error.kind == "string_pattern_mismatch":
        return "use lowercase letters, digits and _, starting with a letter (at most 63 characters)"
    if error.kind == "too_short":
        return "must not be empty; list at least one entry"
    if error.kind in spec_files.STANDARD_MESSAGES:
        return None
    if error.field.rsplit(".", 1)[-1] in _SHARES:
        return f"{error.message}; write a share as a fraction, e.g. 0.1 for 10%"
    return error.message


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
