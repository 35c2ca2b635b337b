"""One exception hierarchy for the whole library.

Every error says what is wrong, where (dataset, file, line, column) and how to fix it, and never
carries personal data values. ``Terminal`` errors will fail again on retry (a broken contract, a
malformed file); ``Transient`` ones may succeed later (a source database that is down). Only the
Airflow layer acts on the difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class HuiliuError(Exception):
    """Base of every error raised by huiliu."""

    retryable: bool = False


class TerminalError(HuiliuError):
    """Retrying will not help: the input or the configuration must be fixed first."""

    retryable = False


class TransientError(HuiliuError):
    """A retry may succeed (a service is down, a lock is held)."""

    retryable = True


class ConfigurationError(TerminalError):
    """A setting or connection name is missing or wrong."""


class ContractError(TerminalError):
    """One or more dataset contracts are invalid."""

    def __init__(self, problems: list[ContractProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ContractProblem:
    """One problem in one contract file: the file, the field path, its line if known, and what to do."""

    def __init__(self, file: str, field: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.field = field
        self.message = message
        self.line = line

    def __str__(self) -> str:
        field = f"{self.field} (line {self.line})" if self.line is not None else self.field
        where = f"{self.file}: {field}" if field else self.file
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, str | int | None]:
        return {"file": self.file, "field": self.field, "line": self.line, "message": self.message}


class PolicyError(TerminalError):
    """A return policy that cannot be used; each problem names the file, line, field and fix."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SourceUnavailableError(TransientError):
    """A department source cannot be reached."""


class SourceRefusedError(TerminalError):
    """The source answered but refuses us: wrong password, no such database, no such role."""


class SourceTimeoutError(SourceUnavailableError):
    """A source accepted the connection but did not answer within its timeout."""


class DatasetBusyError(TransientError):
    """Another process holds the dataset's lease (landing, gating or delivering it)."""


class SchemaDriftError(TerminalError):
    """The source no longer matches the dataset contract in a way that cannot be landed."""


class RejectKind(StrEnum):
    """Why a file was rejected; each kind has a Chinese explanation in the drop box."""

    EMPTY_FILE = "empty_file"
    NO_HEADER = "no_header"
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMNS = "duplicate_columns"
    UNDECODABLE = "undecodable"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    NUL_BYTES = "nul_bytes"
    COLUMN_COUNT = "column_count"
    TRUNCATED = "truncated"
    UNTERMINATED_QUOTE = "unterminated_quote"
    MALFORMED_CSV = "malformed_csv"
    NOT_A_WORKBOOK = "not_a_workbook"
    LEGACY_XLS = "legacy_xls"
    SHEET_NOT_FOUND = "sheet_not_found"
    PRECISION_LOST = "precision_lost"
    BAD_VALUE = "bad_value"
    EXCEL_ERROR = "excel_error"
    DATA_AFTER_FOOTER = "data_after_footer"
    FORMULA_NOT_CALCULATED = "formula_not_calculated"
    MIXED_ENCODING = "mixed_encoding"
    FIELD_TOO_LONG = "field_too_long"
    LINE_BREAK_IN_FIELD = "line_break_in_field"
    ENCRYPTED_WORKBOOK = "encrypted_workbook"
    SYMLINK = "symlink"


class FileRejectedError(TerminalError):
    """A dropped file cannot be landed; it is moved to ``rejected/`` with this reason.

    Every file reader (:mod:`huiliu.sources`) raises it with a ``kind``, which
    :mod:`huiliu.sources.dropbox` turns into a Chinese explanation for the department's staff.

    Args:
        file: name of the rejected file.
        reason: what is wrong and how to fix it, in English, without any cell value.
        line: 1-based line (CSV) or row (XLSX) number, when the problem has one.
        column: the source (header) name of the column, when the problem has one.
        kind: the kind of problem; without one the Chinese explanation is a generic text.
        details: non-personal parameters of the problem (counts, header names, encodings) used to
            fill the Chinese message template.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        line: int | None = None,
        column: str | None = None,
        *,
        kind: RejectKind | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        self.kind = kind
        self.details: dict[str, object] = dict(details or {})
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with all fields (the base class's ``args`` hold only the message)."""
        state = {"kind": self.kind, "details": self.details}
        return (type(self), (self.file, self.reason, self.line, self.column), state)


class LakeError(TerminalError):
    """The lake could not be read or written as asked."""


class UnknownUnitError(TerminalError):
    """An administrative code that is not in the hierarchy."""


class LineageError(TerminalError):
    """A lineage name or event OpenLineage would not accept: a malformed job name, lake table or run id."""


class ReportError(TerminalError):
    """A report cannot be built as asked: a row wider than its table, a chart series that does not fit
    its categories, a link that is not allowed, a label redefined with other words, a page missing
    in one language, or data with no JSON form."""


def safe_message(error: BaseException) -> str:
    """A message fit for logs, lineage and the governance store.

    huiliu's own errors never carry data values; a third-party error (a driver, a PyArrow cast)
    may quote the value it failed on, so only its type is kept.
    """
    if isinstance(error, HuiliuError):
        return str(error)[:2000]
    return f"{type(error).__name__} (details withheld: they may contain data values)"


class SuiteError(TerminalError):
    """A quality suite file that cannot be used: unparsable, wrong columns, unknown expectation."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"quality suite {file}:\n{listed}")


class BatchHeldError(TerminalError):
    """The quality gate held a whole batch in quarantine; nothing of it reached curated."""


class StaleSourceError(TerminalError):
    """A source has not delivered within its contract's expected interval."""


class QuarantineError(TerminalError):
    """A quarantine action that cannot be applied (unknown row, already decided, failed re-validation)."""


class AccessError(TerminalError):
    """An account, role or grant does not allow what was asked (the message says which rule)."""


class NotFoundError(TerminalError):
    """No such account, grant or delivery visible to the caller ("not yours" reads the same)."""


class ExtractUnavailableError(TerminalError):
    """A unit's extract cannot be served now: the guard holds it for a compliance officer (``held``),
    or nothing of the unit's area is in the snapshot."""

    def __init__(self, *, dataset: str, held: bool) -> None:
        self.dataset = dataset
        self.held = held
        why = "held for a compliance officer's review" if held else "empty: no record of the unit's area"
        super().__init__(f"the extract of {dataset} is {why}")


class CorrectionError(TerminalError):
    """A correction that cannot be filed or decided; ``field`` names the input that is wrong.

    Messages are bilingual and never repeat the value proposed.
    """

    def __init__(self, field: str, message_zh: str, message_en: str) -> None:
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class CorrectionSheetError(TerminalError):
    """A returned 纠错 sheet refused whole: ``problems`` names each sheet row and what is wrong."""

    def __init__(self, problems: list[dict[str, object]]) -> None:
        self.problems = problems
        super().__init__(f"the 纠错 sheet is refused: {len(problems)} problem(s)")
