"""The PII registry: YAML → pydantic models, with a user file merged on top of the packaged one.

The packaged ``config/recognizers.yaml`` lists every recognizer (kind, entity, patterns, context
words, scores), the anonymizer operator of each entity, column-classification settings and
column-name hints. A user file named by ``HUILIU_PII_CONFIG`` (or passed to :func:`load_config`)
is merged on top of it: mappings merge key by key, any other value (a list, a number) replaces
the packaged one. So a user can switch a recognizer off (``enabled: false``), replace its
context words, change an operator, or add a recognizer of ``kind: pattern`` for a new entity.

Both files are read strictly (:mod:`huiliu.spec_files`): a key given twice is refused. A broken
file raises :class:`~huiliu.errors.ConfigurationError` naming the file, and for each problem the
field, its line and what to do.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huiliu.errors import ConfigurationError
from huiliu.pii.name_model import RECALL_BIAS
from huiliu.spec_files import (
    STANDARD_MESSAGES,
    FieldError,
    FieldIssue,
    YamlDocument,
    loc_path,
    parse_spec,
    validation_issues,
)

ENV_VAR = "HUILIU_PII_CONFIG"
PACKAGED = "recognizers.yaml"
ENTITY_NAME = r"^[A-Z][A-Z0-9_]*$"
PatternKind: TypeAlias = Literal[
    "pattern",
    "cn_resident_id",
    "cn_mobile",
    "cn_landline",
    "bank_card",
    "email",
    "cn_passport",
    "cn_vehicle_plate",
    "cn_uscc",
    "cn_ethnicity",
    "cn_religion",
    "cn_health",
]
PATTERN_KINDS: tuple[str, ...] = get_args(PatternKind)
KINDS: tuple[str, ...] = (*PATTERN_KINDS, "cn_person", "cn_address")
OPERATORS = ("cn_mask", "mask", "replace", "redact", "hash", "keep")
MASK_STYLES = ("resident_id", "mobile", "card", "name", "address", "email", "middle")
Score: TypeAlias = Annotated[float, Field(ge=0.0, le=1.0)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternSpec(Spec):
    """One pattern of a recognizer: a regular expression or a list of literal terms."""

    name: str = Field(min_length=1, description="name reported in findings and explanations")
    regex: str | None = Field(default=None, description="Python regular expression on normalised text")
    terms: list[str] | None = Field(default=None, description="literal terms, matched longest first")
    score: Score = Field(description="score of a match before validation and context")
    whole_value: bool = Field(
        default=False, description="match only a whole text (a column value), e.g. a bare 汉 in a 民族 column"
    )

    @model_validator(mode="after")
    def _one_source(self) -> PatternSpec:
        if (self.regex is None) == (self.terms is None):
            raise ValueError("give exactly one of `regex` or `terms`")
        if self.terms is not None and not all(self.terms):
            raise ValueError("terms must be non-empty strings")
        try:
            re.compile(self.expression, re.ASCII)
        except re.error as exc:
            raise ValueError(f"the regex does not compile ({exc}); fix the expression") from None
        return self

    @property
    def expression(self) -> str:
        """The regular expression this pattern matches with."""
        if self.terms is not None:
            body = "|".join(re.escape(t) for t in sorted(set(self.terms), key=lambda t: (-len(t), t)))
        else:
            body = self.regex or ""
        return rf"^[ \t\r\n]*(?:{body})[ \t\r\n]*$" if self.whole_value else body


class RecognizerSpec(Spec):
    """Fields shared by every recognizer."""

    entity: str = Field(pattern=ENTITY_NAME, description="entity type reported, e.g. CN_MOBILE")
    enabled: bool = Field(default=True, description="false removes the recognizer from the registry")
    context: list[str] = Field(default_factory=list, description="words that raise the score when near")
    context_boost: Score = Field(default=0.3, description="added to the score when a context word is near")
    context_window: int = Field(default=12, ge=0, le=200, description="characters before a match searched")


class PatternRecognizerSpec(RecognizerSpec):
    """A recognizer of regular expressions or terms, with an optional checksum."""

    kind: PatternKind = Field(description="the recognizer class; `pattern` for an entity defined only here")
    patterns: list[PatternSpec] = Field(min_length=1, description="the patterns, tried in order")
    valid_score: Score | None = Field(
        default=None, description="score when the checksum (or number plan) validates; None keeps it"
    )
    invalid_score: Score | None = Field(
        default=None, description="score when the checksum fails; None drops the match"
    )


class PersonScores(Spec):
    context: Score = Field(default=0.85, description="after a context word, clear boundary")
    context_weak: Score = Field(default=0.7, description="after a context word, boundary by a particle")
    clause: Score = Field(default=0.6, description="at the start of a clause, before a verb or bracket")
    segment: Score = Field(default=0.5, description="a whole clause or value that is a name")
    nr_bonus: Score = Field(default=0.1, description="added when jieba's dictionary tags the name nr")
    model: Score = Field(default=0.6, description="a name only the statistical tagger found")


class PersonSpec(RecognizerSpec):
    """Chinese personal names: surname list, context words, jieba part-of-speech tags."""

    kind: Literal["cn_person"]
    surnames: str = Field(min_length=1, description="single-character surnames, as one string")
    compound_surnames: list[str] = Field(default_factory=list, description="two-character surnames")
    ambiguous_surnames: str = Field(
        default="", description="surnames that are also common words: only accepted after a context word"
    )
    followers: list[str] = Field(description="words that often follow a name (verbs, particles)")
    weak_followers: str = Field(default="", description="one-character particles that may follow a name")
    not_in_names: str = Field(default="", description="characters never part of a given name")
    joiners: str = Field(
        default="", description="characters joining two names (和, 与, 、); the second needs no context"
    )
    titles: list[str] = Field(
        default_factory=list, description="titles and kin terms after a name, not part of it (先生, 大娘)"
    )
    english_labels: list[str] = Field(
        default_factory=list,
        description="English role labels of forms (Name, Applicant, Passenger), matched in any case: "
        "a name in pinyin right after one is a name, and one is never a name itself",
    )
    titles_before: list[str] = Field(
        default_factory=list, description="titles before a name, not part of it (王储, 总统)"
    )
    surname_suffixes: str = Field(
        default="",
        description="characters after a bare surname that make it a person's (林老, 刘家, 郭某, 杜氏): "
        "a name read with one is the surname",
    )
    surname_prefixes: str = Field(
        default="", description="characters before a bare surname that make it a person's (老李): cut off"
    )
    term_suffixes: list[str] = Field(
        default_factory=list,
        description="words after a name inside a term named after a person (马克思主义, 克林顿政府)",
    )
    not_alone: str = Field(
        default="",
        description="surnames never a name alone: one-character abbreviations of countries (伊, 巴)",
    )
    name_final_min: int = Field(
        default=0,
        ge=0,
        description=(
            "a two-character name the tagger ended before a one-character word is read as three "
            "characters when that character ends at least this many three-character names of "
            "jieba's dictionary (罗毅刚, 茅以升); 0 never"
        ),
    )
    scores: PersonScores = Field(default_factory=PersonScores)

    @property
    def surname_characters(self) -> str:
        """The single-character surnames, without the spaces and line breaks the YAML folds in."""
        return "".join(c for c in self.surnames if not c.isspace())


class AddressScores(Spec):
    full: Score = Field(default=0.85, description="road, number and compound or building")
    road: Score = Field(default=0.65, description="road and house number only")
    compound: Score = Field(default=0.75, description="compound with building (and unit, room)")
    village: Score = Field(default=0.6, description="village and group")
    numbered: Score = Field(default=0.6, description="building-unit-room as 7-6-1046 after a cue word")
    admin_bonus: Score = Field(default=0.1, description="added when an administrative name precedes")
    model: Score = Field(default=0.6, description="an address only the statistical tagger found")


class AddressSpec(RecognizerSpec):
    """Chinese addresses: a gazetteer of real divisions plus address grammar."""

    kind: Literal["cn_address"]
    road_suffixes: list[str] = Field(min_length=1, description="路, 街, 大道, 巷 …")
    compound_suffixes: list[str] = Field(min_length=1, description="小区, 花园, 家园, 苑 …")
    cues: list[str] = Field(description="words that end just before an address (反映, 住址, 暂住 …)")
    premises_words: list[str] = Field(
        default_factory=list,
        description="endings of common nouns naming premises an address runs on into (公司, 市场, 大楼)",
    )
    tail_stop_words: list[str] = Field(
        default_factory=list,
        description="words an address never runs on into: a person's role or title (村民, 业主, 镇长)",
    )
    gazetteer_cities: list[str] = Field(
        default_factory=list, description="4-digit city codes whose communities join the gazetteer"
    )
    scores: AddressScores = Field(default_factory=AddressScores)


AnyRecognizerSpec: TypeAlias = Annotated[
    PatternRecognizerSpec | PersonSpec | AddressSpec, Field(discriminator="kind")
]


class OperatorSpec(Spec):
    """How one entity is anonymised: a presidio-anonymizer operator and its parameters."""

    operator: Literal["cn_mask", "mask", "replace", "redact", "hash", "keep"]
    params: dict[str, str | int | bool] = Field(default_factory=dict, description="operator parameters")

    @model_validator(mode="after")
    def _known_style(self) -> OperatorSpec:
        style = self.params.get("style")
        if self.operator == "cn_mask" and style not in MASK_STYLES:
            raise ValueError(f"cn_mask needs params.style, one of {', '.join(MASK_STYLES)}")
        return self


class ClassificationSpec(Spec):
    """Column classification settings."""

    sample_rows: int = Field(default=1000, ge=50, description="rows sampled (uniformly) per table")
    min_match_ratio: Score = Field(default=0.6, description="share of values that must match")
    min_match_ratio_with_hint: Score = Field(
        default=0.3, description="share needed when the column name hints the entity"
    )
    min_coverage: Score = Field(default=0.8, description="share of a value a finding must cover")
    free_text_min_length: int = Field(default=20, ge=1, description="mean length of a free-text column")
    free_text_min_share: Score = Field(default=0.02, description="share of rows with findings in free text")
    tagged_value_max_length: int = Field(
        default=40,
        ge=1,
        description="longest structured value the tagger is asked about (a name, an address)",
    )
    free_text_sample_rows: int = Field(
        default=200, ge=20, description="sampled rows of a free-text column scanned (tagger included)"
    )
    hints: dict[str, list[str]] = Field(
        default_factory=dict, description="entity → column-name keywords (English tokens, Chinese parts)"
    )


class ScannerSpec(Spec):
    """Free-text scanning settings."""

    processes: int = Field(default=2, ge=1, le=64, description="worker processes for large inputs")
    min_rows_per_process: int = Field(default=20_000, ge=1, description="rows before a process is added")


class ModelSpec(Spec):
    """The statistical tagger that votes with the PERSON and ADDRESS rules."""

    enabled: bool = Field(default=True, description="false: names and addresses by rules alone")
    name: Literal["lac"] = Field(default="lac", description="the tagger: Baidu LAC on ONNX Runtime")
    batch_size: int = Field(default=64, ge=1, le=4096, description="texts of one length tagged at once")
    names: bool = Field(
        default=True,
        description="personal names from huiliu's name model over LAC's scores; false: LAC's own PER words",
    )
    names_recall_bias: float = Field(
        default=RECALL_BIAS,
        ge=-5.0,
        le=5.0,
        description="added to the name model's name-begins score: more names found",
    )


class PiiConfig(Spec):
    """The whole PII registry."""

    version: Literal[1] = 1
    language: Literal["zh"] = "zh"
    score_threshold: Score = Field(default=0.4, description="findings below this score are dropped")
    segmenter: Literal["jieba", "char"] = Field(default="jieba", description="spaCy blank zh segmenter")
    recognizers: dict[str, AnyRecognizerSpec] = Field(description="recognizer name → specification")
    anonymizers: dict[str, OperatorSpec] = Field(description="entity → operator; DEFAULT for the rest")
    classification: ClassificationSpec = Field(default_factory=ClassificationSpec)
    scanner: ScannerSpec = Field(default_factory=ScannerSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)

    @field_validator("anonymizers")
    @classmethod
    def _has_default(cls, value: dict[str, OperatorSpec]) -> dict[str, OperatorSpec]:
        if "DEFAULT" not in value:
            raise ValueError("add a DEFAULT operator, used for entities without their own")
        return value

    @property
    def enabled(self) -> dict[str, PatternRecognizerSpec | PersonSpec | AddressSpec]:
        """The recognizers switched on, in file order."""
        return {name: spec for name, spec in self.recognizers.items() if spec.enabled}

    def operator_for(self, entity: str) -> OperatorSpec:
        return self.anonymizers.get(entity, self.anonymizers["DEFAULT"])


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def packaged_path() -> Path:
    """The packaged registry file."""
    return Path(str(resources.files("huiliu.pii").joinpath("config").joinpath(PACKAGED)))


def read_document(path: Path) -> YamlDocument:
    """A YAML mapping from a file, read strictly (a key given twice is refused), with the line of
    every key; or a :class:`ConfigurationError` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"PII config {path}: no such file; fix the path or unset {ENV_VAR}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"PII config {path}: cannot be read ({type(exc).__name__})") from None
    document, issues = parse_spec(text)
    if document is None:
        raise _config_error(path, issues)
    if document.data is None:
        return YamlDocument({})
    if not isinstance(document.data, dict):
        raise ConfigurationError(f"PII config {path}: the file must be a YAML mapping (key: value lines)")
    return document


def _field(loc: tuple[int | str, ...]) -> str:
    """A field path as the file spells it; the union tag pydantic adds after a recognizer's name
    is left out (a recognizer may bear the name of its kind, so only that place is skipped)."""
    items = list(loc)
    if len(items) > 2 and items[0] == "recognizers" and items[2] in KINDS:
        del items[2]
    return loc_path(tuple(items))


def _fix(error: FieldError) -> str:
    if error.kind in STANDARD_MESSAGES:
        return STANDARD_MESSAGES[error.kind]
    if error.kind == "union_tag_invalid":
        return f"unknown recognizer kind; use one of {', '.join(KINDS)}"
    if error.kind == "union_tag_not_found":
        return "add `kind:` (pattern, cn_person, cn_address or a built-in kind)"
    if error.kind == "string_pattern_mismatch":
        return "use upper-case letters, digits and _ (e.g. CN_SOCIAL_CARD)"
    return error.message if ";" in error.message else f"{error.message}; correct the value"


def _config_error(path: Path, issues: list[FieldIssue]) -> ConfigurationError:
    return ConfigurationError(f"PII config {path}:\n" + "\n".join(f"  - {issue}" for issue in issues))


def validate_config(data: dict[str, Any], path: Path, document: YamlDocument | None = None) -> PiiConfig:
    """A :class:`PiiConfig` from merged YAML data; errors name ``path`` and, from ``document``
    (the file as parsed), the line of each field."""
    try:
        return PiiConfig.model_validate(data)
    except ValidationError as exc:
        issues = validation_issues(exc, document, path_of=_field, message_of=_fix, tag="kind")
        raise _config_error(path, issues) from None


def user_config_path() -> Path | None:
    """The user file named by ``HUILIU_PII_CONFIG`` (``Settings.pii_config``), if set."""
    from huiliu.settings import get_settings

    return get_settings().pii_config


@lru_cache(maxsize=1)
def packaged_document() -> YamlDocument:
    """The packaged registry as parsed, with the line of every key."""
    return read_document(packaged_path())


def packaged_data() -> dict[str, Any]:
    """The packaged registry as plain data."""
    return _mapping(packaged_document())


def _mapping(document: YamlDocument) -> dict[str, Any]:
    """The data of a document :func:`read_document` returned: always a mapping."""
    data = document.data
    assert isinstance(data, dict), "read_document returns YAML mappings only"
    return data


def load_config(path: Path | None = None) -> PiiConfig:
    """The registry: the packaged file with ``path`` (or ``HUILIU_PII_CONFIG``) merged on top.

    Raises:
        ConfigurationError: the user file is missing, not YAML, gives a key twice, or has an invalid
            field (each named with its line in the user file, or the line of the nearest enclosing
            key the user file spells out).
    """
    user = path or user_config_path()
    if user is None:
        return validate_config(packaged_data(), packaged_path(), packaged_document())
    document = read_document(user)
    merged = deep_merge(packaged_data(), _mapping(document))
    return validate_config(merged, user, document)


def builtin_spec(name: str) -> PatternRecognizerSpec | PersonSpec | AddressSpec:
    """The packaged specification of one built-in recognizer (its default patterns and context)."""
    return _packaged_config().recognizers[name]


@lru_cache(maxsize=1)
def _packaged_config() -> PiiConfig:
    return validate_config(packaged_data(), packaged_path(), packaged_document())
