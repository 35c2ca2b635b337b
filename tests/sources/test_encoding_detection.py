"""Detecting and verifying the text encoding of dropped CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.encoding import canonical_encoding, detect_encoding


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("姓名,张三\n", id="two-words"),  # charset-normalizer alone says utf_16_be
        pytest.param("身份证号\n", id="one-header"),
        pytest.param(
            "XX市失业保险待遇发放明细（2026年10月）\n业务流水号,身份证号,姓名\n", id="title-and-header"
        ),
        pytest.param("社区代码,积分规则\r\n520102001001,R01\r\n", id="crlf"),
    ],
)
def test_short_gbk_chinese_is_gb18030(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("gbk"))

    assert detect_encoding(path) == "gb18030"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "utf-8", id="empty"),
        pytest.param(b"a,b\r\n1,2\r\n", "utf-8", id="ascii"),
        pytest.param("姓名\n张三\n".encode(), "utf-8", id="utf-8"),
        pytest.param("\ufeff姓名\n张三\n".encode(), "utf-8-sig", id="utf-8-bom"),
    ],
)
def test_utf8_variants(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)

    assert detect_encoding(path) == expected


def test_gbk_after_a_long_ascii_head_is_not_taken_for_utf8(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,code\r\n" + b"12345,67890\r\n" * 10_000 + "99,张三\r\n".encode("gbk"))

    assert detect_encoding(path) == "gb18030"


def test_single_byte_code_page_falls_back_to_charset_normalizer(tmp_path: Path) -> None:
    text = "name,city\nCafé Zoë,Genève\nJosé Müller,Zürich\n"
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("cp1252"))

    encoding = detect_encoding(path)

    assert encoding not in {"utf-8", "gb18030"}
    assert "Café Zoë" in path.read_bytes().decode(encoding)  # cp1250 and cp1252 agree on these


@pytest.mark.parametrize(
    ("declared", "data", "expected"),
    [
        pytest.param("gbk", "姓名\n".encode("gbk"), "gb18030", id="gbk-as-gb18030"),
        pytest.param("utf-8", "\ufeff姓名\n".encode(), "utf-8-sig", id="utf-8-with-bom"),
        pytest.param("utf-8-sig", "姓名\n".encode(), "utf-8-sig", id="utf-8-sig-without-bom"),
    ],
)
def test_declared_encoding_is_used(tmp_path: Path, declared: str, data: bytes, expected: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)

    assert detect_encoding(path, declared) == expected


def test_declared_utf8_but_gbk_is_rejected_with_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n" + "张三,3\n".encode("gbk"))

    with pytest.raises(FileRejectedError) as caught:
        detect_encoding(path, "utf-8")

    assert (caught.value.kind, caught.value.line, caught.value.file) == (RejectKind.UNDECODABLE, 3, "f.csv")
    assert "contract declares encoding utf-8" in str(caught.value)


def test_utf16_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("姓名\t身份证号\n".encode("utf-16"))

    with pytest.raises(FileRejectedError) as caught:
        detect_encoding(path)

    assert caught.value.kind is RejectKind.UNSUPPORTED_ENCODING


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GBK", "gb18030"),
        ("gb2312", "gb18030"),
        ("cp936", "gb18030"),
        ("UTF8", "utf-8"),
        ("utf_8_sig", "utf-8-sig"),
    ],
)
def test_canonical_encoding(name: str, expected: str) -> None:
    assert canonical_encoding(name) == expected
