"""Untrusted dump input in pure Python: header parser, stream reads and name checks."""

from __future__ import annotations

import contextlib
import io
import json
import struct
from typing import IO, Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.support.fuzz  # noqa: F401 - registers and loads the hypothesis profiles
from sg.domain.byte_streams import check_reader, read_exactly, read_some
from sg.domain.dump_header import FORMAT_VERSION, MAGIC, DumpHeader, read_header
from sg.domain.errors import CorruptDumpError, InvalidIdentifierError, InvalidStreamError
from sg.domain.identifiers import check_name
from sg.domain.model import ColumnSpec

GOOD = DumpHeader(
    "o" + "1" * 62,  # type: ignore[arg-type]
    (ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "sg_ud_flag", "boolean", False)),
    3,
)


def _framed(document: bytes) -> bytes:
    return MAGIC + struct.pack(">HI", FORMAT_VERSION, len(document)) + document


def _with(**changes: Any) -> bytes:
    document = json.loads(GOOD.encode()[14:])
    return _framed(json.dumps({**document, **changes}).encode())


@pytest.mark.parametrize(
    "data",
    [
        _framed(b"[" * 50_000 + b"]" * 50_000),
        _framed(b'{"object_id": "o", "columns": [], "rows": 1' + b"0" * 5000 + b"}"),
        _with(rows=1 << 63),
        _with(rows=-1),
        _with(rows=2.5),
        _with(rows=None),
        _with(object_id=12),
        _with(object_id=["o"]),
        _with(object_id="o\ud800" + "0" * 61),
        _with(columns=[{"name": "\ud800", "type": "integer", "key": True}]),
        _with(columns=[{"name": "v", "type": "\udfff", "key": True}]),
        _with(columns=[{"name": "v", "type": "", "key": True}]),
        _with(columns=[{"name": "v", "type": 5, "key": True}]),
        _with(columns=[{"name": "v", "type": "int", "key": "yes"}]),
        _with(columns="id integer"),
    ],
    ids=lambda data: repr(data[14:40]),
)
def test_headers_that_lie_about_their_fields_are_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptDumpError):
        read_header(io.BytesIO(data))


def test_the_largest_row_count_postgresql_counts_is_accepted() -> None:
    assert read_header(io.BytesIO(_with(rows=(1 << 63) - 1))).rows == (1 << 63) - 1


@given(st.binary(max_size=200))
def test_any_bytes_after_the_magic_are_a_header_or_corrupt(tail: bytes) -> None:
    for data in (MAGIC + tail, _framed(tail), GOOD.encode()[:20] + tail):
        with contextlib.suppress(CorruptDumpError):
            read_header(io.BytesIO(data))


@given(st.recursive(st.none() | st.integers() | st.text() | st.booleans(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))  # fmt: skip
def test_any_json_document_is_a_header_or_corrupt(document: object) -> None:
    with contextlib.suppress(CorruptDumpError):
        read_header(io.BytesIO(_framed(json.dumps(document).encode("utf-8", "surrogatepass"))))


@pytest.mark.parametrize(
    "stream", [io.StringIO("abc"), cast(Any, object()), cast(Any, "path")], ids=repr
)
def test_reads_need_a_binary_reader(stream: Any) -> None:
    with pytest.raises(InvalidStreamError):
        check_reader(stream)
        read_some(stream, 10)


def test_failing_and_short_reads_are_typed() -> None:
    closed = io.BytesIO(b"abc")
    closed.close()
    with pytest.raises(InvalidStreamError, match="failed"):
        read_some(closed, 1)
    with pytest.raises(CorruptDumpError, match="ends inside the header"):
        read_exactly(io.BytesIO(b"ab"), 3, "header")
    assert read_exactly(cast(IO[bytes], io.BufferedReader(io.BytesIO(b"abcd"))), 3, "x") == b"abc"


@pytest.mark.parametrize(
    "name", [None, 3, b"t", "", "a\x00", "\ud800", "x" * 64, "é" * 32], ids=repr
)
def test_unusable_names_are_invalid_identifiers(name: object) -> None:
    with pytest.raises(InvalidIdentifierError):
        check_name(name, "table name")


@pytest.mark.parametrize("name", ["t", "fo'o", 'ba"r', "wert ä", "x" * 63, "表" * 21])
def test_usable_names_pass(name: str) -> None:
    assert check_name(name, "table name") == name
