"""Arrow text arrays' buffers read with NumPy: offsets and data as the values are."""

from __future__ import annotations

import pyarrow as pa
import pytest

from huiliu.arrow_text import is_plain_text, text_buffers


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_each_value_is_its_run_of_the_data(kind: pa.DataType) -> None:
    values = pa.array(["回流", None, "", "a=1", "南明区花果园"], type=kind)
    for array in (values, values.slice(1), values.slice(2, 2)):
        offsets, data = text_buffers(array)
        assert len(offsets) == len(array) + 1
        runs = [bytes(data[offsets[i] : offsets[i + 1]]).decode("utf-8") for i in range(len(array))]
        assert runs == [v or "" for v in array.to_pylist()]


def test_an_empty_array_has_one_offset_and_no_data() -> None:
    offsets, data = text_buffers(pa.array([], type=pa.string()))
    assert len(offsets) == 1 and len(data) == 0


def test_only_string_types_with_offsets_are_plain_text() -> None:
    assert is_plain_text(pa.string()) and is_plain_text(pa.large_string())
    assert not is_plain_text(pa.string_view())
    assert not is_plain_text(pa.binary())
    assert not is_plain_text(pa.dictionary(pa.int32(), pa.string()))
