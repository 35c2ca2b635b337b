"""Why a quarantined value failed its rule, and what to do about it (zh-CN first, English beside).

The gate records with each failure of a rule it can explain a reason code and a sentence for the
person who corrects the row, usually at the department or the street office: not only "the ID
rule failed", but "this is a first-generation 15-digit number: ask for the 18-digit one". The
codes come from the rules themselves (:mod:`huiliu.quality.rules`), so the reason given is the
check that failed, applied with the rule's own parameters (``as_of``, ``region_prefixes``).
Rules without a reason here are reported by name and values only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from huiliu.quality.rules.credit_code import (
    CODE_LENGTH,
    REGISTRATION_AUTHORITIES,
    USCC_ALPHABET,
    valid_credit_codes,
)
from huiliu.quality.rules.mobile import national_numbers, valid_cn_mobiles, valid_cn_phones
from huiliu.quality.rules.resident_id import resident_id_reasons
from huiliu.quality.rules.timestamps import as_of_date

RESIDENT_ID_RULE = "expect_column_values_to_be_valid_cn_resident_id"
CREDIT_CODE_RULE = "expect_column_values_to_be_valid_cn_credit_code"
MOBILE_RULE = "expect_column_values_to_be_valid_cn_mobile"


@dataclass(frozen=True)
class Reason:
    """One reason a value fails a rule: a stable code and what to do, in Chinese and in English."""

    code: str
    message: str
    message_en: str


_RESIDENT_ID = {
    reason.code: reason
    for reason in (
        Reason(
            "length",
            "身份证号码应为18位，此值位数不对：请对照证件核对后更正。",
            "A resident ID number has 18 characters and this one does not: check it against the card.",
        ),
        Reason(
            "first_generation",
            "这是第一代15位身份证号码（1984–2004年签发，已停止使用）：请向本人或户籍登记部门核实18位号码后更正。",
            "This is a first-generation 15-digit ID (issued 1984–2004, no longer in use): ask the "
            "holder or the registering office for the 18-digit number.",
        ),
        Reason(
            "format",
            "身份证号码只能是17位数字加一位数字或大写X：请去掉空格、横线，把小写x改为大写X。",
            "An ID number is 17 digits and a digit or capital X: remove spaces and dashes, write x as X.",
        ),
        Reason(
            "checksum",
            "校验位不符，号码中有数字录错或顺序颠倒：请对照证件逐位核对。",
            "The check character does not match: a digit was mistyped or two were swapped; "
            "compare it digit by digit with the card.",
        ),
        Reason(
            "birth_date",
            "号码中的出生日期不是真实日期，或晚于数据日期，或早于120年前：请核对第7–14位。",
            "The birth date inside the number is not a real day, is after the data's date or more "
            "than 120 years before it: check digits 7–14.",
        ),
        Reason(
            "region",
            "号码前6位地区码在持证人出生至今从未启用：请核对前6位。",
            "The first six digits are a region code never in use from the holder's birth to now: check them.",
        ),
        Reason(
            "outside_city",
            "号码的地区码不属于本数据集要求的地区：请确认此人是否属于本辖区，或更正号码。",
            "The region code lies outside the regions this dataset requires: check that the person "
            "belongs here, or correct the number.",
        ),
    )
}

_CREDIT_CODE = {
    reason.code: reason
    for reason in (
        Reason(
            "length",
            "统一社会信用代码应为18位，此值位数不对：请对照营业执照核对。",
            "A unified social credit code has 18 characters and this one does not: check the licence.",
        ),
        Reason(
            "format",
            "代码含有不允许的字符（只能用数字和除I、O、S、V、Z以外的大写字母，首位为登记管理部门代码）：请核对后更正。",
            "The code holds characters it may not (digits and capital letters other than I, O, S, V "
            "and Z; the first is the registrar's code): correct it.",
        ),
        Reason(
            "checksum",
            "校验位不符，代码中有字符录错：请对照营业执照逐位核对。",
            "The check character does not match: a character was mistyped; compare it with the licence.",
        ),
    )
}

_MOBILE = {
    reason.code: reason
    for reason in (
        Reason(
            "format",
            "手机号码去掉+86、空格和横线后应为以1开头的11位数字：请核对位数。",
            "Without +86, spaces and dashes a mobile number is 11 digits starting with 1: check the digits.",
        ),
        Reason(
            "range",
            "这11位数字不在任何手机号段内：请核对号码，或确认是否为座机号（座机需带区号）。",
            "These 11 digits lie in no mobile range: check the number, or whether it is a landline "
            "(a landline needs its area code).",
        ),
        Reason(
            "phone",
            "既不是手机号码（以1开头的11位数字），也不是带区号的座机号码（如0851-85551234）：请核对后更正。",
            "Neither a mobile number (11 digits starting with 1) nor a landline with its area code "
            "(such as 0851-85551234): check it and correct it.",
        ),
    )
}


def _texts(values: Sequence[Any]) -> list[str | None]:
    return [None if v is None else str(v) for v in values]


def _resident_id(values: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Reason | None]:
    prefixes = kwargs.get("region_prefixes") or ()
    reasons = resident_id_reasons(
        _texts(values),
        as_of=as_of_date(kwargs.get("as_of")),
        region_prefixes=tuple(prefixes) if isinstance(prefixes, list | tuple) else (),
    )
    return [None if code is None else _RESIDENT_ID[str(code)] for code in reasons]


def _credit_code_reason(value: str) -> Reason:
    if len(value) != CODE_LENGTH:
        return _CREDIT_CODE["length"]
    if value[0] not in REGISTRATION_AUTHORITIES or any(c not in USCC_ALPHABET for c in value):
        return _CREDIT_CODE["format"]
    return _CREDIT_CODE["checksum"]


def _credit_code(values: Sequence[Any], _kwargs: Mapping[str, Any]) -> list[Reason | None]:
    texts = _texts(values)
    valid = valid_credit_codes(texts)
    return [
        None if ok or text is None else _credit_code_reason(text)
        for text, ok in zip(texts, valid, strict=True)
    ]


def _mobile(values: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Reason | None]:
    texts = _texts(values)
    fixed_line = kwargs.get("allow_fixed_line") is True
    valid = (valid_cn_phones if fixed_line else valid_cn_mobiles)(texts)
    plain = national_numbers(texts) >= 0  # 11 digits starting with 1, after normalising
    return [
        None if ok or text is None else _MOBILE["phone" if fixed_line else "range" if eleven else "format"]
        for text, ok, eleven in zip(texts, valid.tolist(), plain.tolist(), strict=True)
    ]


_EXPLAINERS: dict[str, Callable[[Sequence[Any], Mapping[str, Any]], list[Reason | None]]] = {
    RESIDENT_ID_RULE: _resident_id,
    CREDIT_CODE_RULE: _credit_code,
    MOBILE_RULE: _mobile,
}


def explains(rule_type: str) -> bool:
    """Whether failures of an expectation type get a reason."""
    return rule_type in _EXPLAINERS


def reasons_for(rule_type: str, kwargs: Mapping[str, Any], values: Sequence[Any]) -> list[Reason | None]:
    """The reason each value (of the rule's ``column``) fails a rule, None where it passes or where
    the rule has no reasons; ``kwargs`` are the rule's, suite parameters resolved."""
    explain = _EXPLAINERS.get(rule_type)
    if explain is None:
        return [None] * len(values)
    return explain(values, kwargs)
