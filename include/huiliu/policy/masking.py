"""Masking and anonymising Arrow columns exactly as the PII gate does, fast enough for whole deliveries.

`mask` is the PII gate's ``cn_mask`` presidio-anonymizer operator with the registry's parameters
per entity type; values of the common shapes (plain ASCII, every name, every address) get the
operator's exact result from Arrow kernels, and the operator masks the rest once per distinct value.
A column holding several types masked in different ways is masked value by value, as the type
the PII gate's recognizers find each value to be.
Free text is returned only through the PII gate's anonymiser, once per distinct text; nulls stay null.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiliu import row_passes
from huiliu.arrow_text import text_buffers
from huiliu.identity.resident_id import LEGACY_LENGTH

Values: TypeAlias = pa.Array | pa.ChunkedArray
MaskParams: TypeAlias = Mapping[str, str | int | bool]

_PLAIN = pc.ascii_is_alnum
"""Non-empty and only ASCII letters and digits."""
_DIGITS = pc.ascii_is_decimal
"""Non-empty and only ASCII digits."""
# the bytes of each shape, for the compiled pass that masks plain values without Arrow kernels
_ALNUM_BYTES = np.zeros(256, dtype=bool)
_ALNUM_BYTES[[ord(c) for c in string.ascii_letters + string.digits]] = True
_DIGIT_BYTES = np.zeros(256, dtype=bool)
_DIGIT_BYTES[[ord(c) for c in string.digits]] = True


def as_text(values: Values) -> pa.Array:
    """One string array (numbers and codes as their text)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        return pc.cast(array, pa.string())
    return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())


def per_distinct(text: pa.Array, transform: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``transform`` applied once to the distinct non-null values, then spread back over the rows."""
    encoded = pc.dictionary_encode(text)
    return pc.take(transform(encoded.dictionary), encoded.indices)


def each(function: Callable[[str], str]) -> Callable[[pa.Array], pa.Array]:
    """A function of one text as a function of a (null-free) string array."""
    return lambda values: pa.array([function(v) for v in values.to_pylist()], pa.string())


def _keep_ends(text: pa.Array, start: int, end: int, char: str) -> pa.Array:
    """Keep the first ``start`` and last ``end`` characters, hide the others (the operator on plain text)."""
    hidden = pc.max_element_wise(pc.subtract(pc.utf8_length(text), start + end), 0)
    parts = [pc.utf8_slice_codeunits(text, 0, start), pc.binary_repeat(char, hidden)]
    if end:
        parts.append(pc.utf8_slice_codeunits(text, -end, sys.maxsize))
    return pc.binary_join_element_wise(*parts, "")


def _long_enough(text: pa.Array, shape: Callable[[pa.Array], pa.Array], length: int) -> pa.Array:
    """Rows whose value has the ``shape`` and at least ``length`` characters (nulls: true)."""
    shaped = pc.and_(shape(text), pc.greater_equal(pc.utf8_length(text), length))
    return pc.fill_null(shaped, True)


def _with_data(text: pa.Array, data: np.ndarray) -> pa.Array:
    """The text array with its UTF-8 data replaced by ``data`` of the same layout (same offsets,
    validity and slice)."""
    validity, offsets, _ = text.buffers()
    return pa.StringArray.from_buffers(
        len(text), offsets, pa.py_buffer(data), validity, text.null_count, text.offset
    )


def _hidden_in_place(
    text: pa.Array,
    shape: np.ndarray,
    keep: tuple[int, int],
    hidden: int,
    least: int,
    char: str,
) -> tuple[pa.Array, pa.Array] | None:
    """The plain values (only bytes ``shape`` marks, at least ``least``) with characters hidden
    between the ``keep`` first and last ones (only ``hidden`` of them, before the last, when it is
    not negative), in one compiled pass over a copy of the text data; and which values were plain
    (nulls: true). None when ``char`` is not one ASCII byte."""
    if len(char) != 1 or not char.isascii() or not len(text):
        return None
    offsets, data = text_buffers(text)
    out = data.copy()
    plain = np.empty(len(text), dtype=bool)
    row_passes.hide_in_plain_texts(
        offsets, data, shape, keep[0], keep[1], hidden, least, ord(char), out, plain
    )
    if text.null_count:
        plain |= ~np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return _with_data(text, out), pa.array(plain)


def _fast_middle(text: pa.Array, start: int, end: int, char: str) -> tuple[pa.Array, pa.Array]:
    in_place = _hidden_in_place(text, _ALNUM_BYTES, (start, end), -1, start + end, char)
    if in_place is not None:
        return in_place
    return _keep_ends(text, start, end, char), _long_enough(text, _PLAIN, start + end)


def _fast_mobile(text: pa.Array, char: str) -> tuple[pa.Array, pa.Array]:
    """Digits only, at least 11: everything before the last 8 kept, then 4 hidden, then the last 4."""
    in_place = _hidden_in_place(text, _DIGIT_BYTES, (0, 4), 4, 11, char)
    if in_place is not None:
        return in_place
    masked = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, -8),
        pc.binary_repeat(char, 4),
        pc.utf8_slice_codeunits(text, -4, sys.maxsize),
        "",
    )
    return masked, _long_enough(text, _DIGITS, 11)


def _name(text: pa.Array, char: str) -> pa.Array:
    """The first character, then one mask character for each other (at least one)."""
    hidden = pc.max_element_wise(pc.subtract(pc.utf8_length(text), 1), 1)
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, 1), pc.binary_repeat(char, hidden), ""
    )


@lru_cache(maxsize=1)
def _other_digit_codes() -> tuple[int, ...]:
    """Every non-ASCII code point Python's ``str.isdigit`` accepts."""
    return tuple(code for code in range(128, sys.maxunicode + 1) if chr(code).isdigit())


@lru_cache(maxsize=1)
def _other_digits() -> str:
    """A regular-expression class of every non-ASCII character Python's ``str.isdigit`` accepts."""
    ranges: list[tuple[int, int]] = []
    for code in _other_digit_codes():
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


@lru_cache(maxsize=1)
def _other_digit_leads() -> np.ndarray:
    """Per byte, whether a non-ASCII digit's UTF-8 encoding starts with it (no CJK ideograph's does)."""
    leads = np.zeros(256, dtype=bool)
    leads[[chr(code).encode("utf-8", "surrogatepass")[0] for code in _other_digit_codes()]] = True
    return leads


def _may_hold_other_digits(text: pa.Array) -> bool:
    """False when no value holds a byte a non-ASCII digit starts with (read off the UTF-8 data)."""
    if not len(text):
        return False
    offsets, data = text_buffers(text)
    return bool(row_passes.any_byte(data, offsets[0], offsets[-1], _other_digit_leads()))


def _ascii_digits_hidden(text: pa.Array, char: str) -> pa.Array:
    """ASCII digits replaced byte for byte in the UTF-8 data (they never occur inside another character)."""
    if text.buffers()[2] is None or not len(text):
        return text
    offsets, data = text_buffers(text)
    replaced = np.arange(256, dtype=np.uint8)  # each byte to itself, 0-9 to the mask character
    replaced[ord("0") : ord("9") + 1] = ord(char)
    hidden = np.empty_like(data)
    row_passes.translate_bytes(data, offsets[0], offsets[-1], replaced, hidden)
    return _with_data(text, hidden)


def _address(text: pa.Array, params: MaskParams, char: str) -> pa.Array:
    """Every digit hidden, as the operator sees digits (ASCII ones in place, others by the operator)."""
    if len(char.encode()) != 1:
        return per_distinct(text, _operator(params))
    masked = _ascii_digits_hidden(text, char)
    if not _may_hold_other_digits(text):
        return masked
    odd = pc.fill_null(pc.match_substring_regex(text, _other_digits()), False)
    if not pc.any(odd).as_py():
        return masked
    return pc.replace_with_mask(masked, odd, per_distinct(pc.filter(text, odd), _operator(params)))


def _operator(params: MaskParams) -> Callable[[pa.Array], pa.Array]:
    """The PII gate's ``cn_mask`` presidio-anonymizer operator, over an array of values."""
    from huiliu.pii.engine import CnMask

    operator, config = CnMask(), dict(params)
    operator.validate(config)
    return each(lambda value: operator.operate(value, config))


def mask_array(values: Values, params: MaskParams) -> pa.Array:
    """Values masked by ``cn_mask`` with the entity type's parameters (``style`` and its options)."""
    text = as_text(values)
    style, char = str(params.get("style", "middle")), str(params.get("masking_char", "*"))
    if style == "name":
        return _name(text, char)
    if style == "address":
        return _address(text, params, char)
    if style == "resident_id":
        masked, plain = _fast_middle(text, 6, 4, char)
        first_generation = pc.fill_null(pc.equal(pc.utf8_length(text), LEGACY_LENGTH), False)
        plain = pc.and_not(plain, first_generation)  # the operator keeps their last 3
    elif style == "card":
        masked, plain = _fast_middle(text, 0, 4, char)
    elif style == "mobile":
        masked, plain = _fast_mobile(text, char)
    elif style == "middle":
        masked, plain = _fast_middle(
            text, int(params.get("keep_start", 0)), int(params.get("keep_end", 0)), char
        )
    else:
        return per_distinct(text, _operator(params))
    odd = pc.invert(plain)
    if not pc.any(odd).as_py():
        return masked
    rest = per_distinct(pc.filter(text, odd), _operator(params))
    return pc.replace_with_mask(masked, odd, rest)


ValueTypes: TypeAlias = Callable[[list[str], tuple[str, ...]], list[str | None]]
"""Each value's entity type among the ones given, or None (the PII gate's classification of one value)."""


def mask_array_by_type(
    values: Values, masks: Mapping[str, MaskParams], value_types: ValueTypes | None = None
) -> pa.Array:
    """A column holding several entity types, each value masked as the type it is (``masks``: each
    type's ``cn_mask`` parameters); a value of none of them has every character hidden. Each distinct
    value is classified once, by the PII gate's recognizers unless ``value_types`` is given."""
    if value_types is None:
        from huiliu.pii.classify import value_entity_types

        value_types = value_entity_types
    entities = tuple(masks)
    char = str(next(iter(masks.values()), {}).get("masking_char", "*"))

    def masked(distinct: pa.Array) -> pa.Array:
        found = np.array(value_types(distinct.to_pylist(), entities), dtype=object)
        out = _keep_ends(distinct, 0, 0, char)
        for entity in entities:
            these = pa.array(found == entity)
            if pc.any(these).as_py():
                out = pc.replace_with_mask(out, these, mask_array(pc.filter(distinct, these), masks[entity]))
        return out

    return per_distinct(as_text(values), masked)


def anonymize_array(values: Values) -> pa.Array:
    """Free text through the PII gate's anonymiser (every finding replaced by its operator)."""
    from huiliu.pii.scanner import anonymize_texts

    return per_distinct(
        as_text(values), lambda texts: pa.array(anonymize_texts(texts.to_pylist()), pa.string())
    )
