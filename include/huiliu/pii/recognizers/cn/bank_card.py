"""``BANK_CARD``: 16 to 19 digit card numbers, Luhn-validated, grouped by four or not.

A run of 18 digits that is a resident ID number as issued (:mod:`huiliu.identity.resident_id`,
whatever its grouping and whether or not its check character holds) is not a card, even when it
passes the Luhn check, as about one ID number in eleven does. A number failing the Luhn check scores
low: it is reported only after a context word such as 银行卡 (a typo in a card number is still a
card number). A number right after a label of another kind of number (订单号, 快递单号) is not a card.
"""

from __future__ import annotations

from typing import ClassVar

from stdnum import luhn

from huiliu.identity.resident_id import plausible_resident_id
from huiliu.pii.recognizers import (
    CnPatternRecognizer,
    after_other_number_label,
    builtin_context,
    builtin_patterns,
)

_CARD_WORDS = ("卡", "账", "帐")


def card_digits(text: str) -> str:
    """The digits of a card number written with spaces or dashes."""
    return text.replace(" ", "").replace("-", "")


class BankCardRecognizer(CnPatternRecognizer):
    """Bank card numbers with the Luhn check."""

    KIND: ClassVar[str] = "bank_card"
    PATTERNS = builtin_patterns("bank_card")
    CONTEXT = builtin_context("bank_card")
    HAS_CHECKSUM: ClassVar[bool] = True

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """A resident ID number, or a run of one repeated digit, is not a card."""
        digits = card_digits(pattern_text)
        return plausible_resident_id(digits) or len(set(digits)) == 1

    def reject_span(self, text: str, start: int, end: int) -> bool:  # noqa: ARG002 (the hook's signature)
        """Not a card: a number right after a label of another kind of number (快递单号, 订单号,
        流水号), unless the label names a card or an account (银行卡编号)."""
        return after_other_number_label(text, start, unless=_CARD_WORDS)

    def validate_result(self, pattern_text: str) -> bool | None:
        """The Luhn check digit."""
        return luhn.checksum(card_digits(pattern_text)) == 0
