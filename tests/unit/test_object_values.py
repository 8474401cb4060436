"""Object ids, the content digest, the dump header and type-name checks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct

import pytest

from sg.adapters.postgres.catalog.type_names import check_type_name
from sg.domain.column_schema import columns_from_json
from sg.domain.content_digest import BLOCK_BYTES, BlockDigest, digest_of_images
from sg.domain.dump_header import FORMAT_VERSION, MAGIC, DumpHeader, read_header
from sg.domain.errors import CorruptDumpError, InvalidObjectIdError, SgError
from sg.domain.model import ColumnSpec
from sg.domain.object_id import ObjectId

VALID = "o" + "0123456789abcdef" * 3 + "0123456789abcd"
COLUMNS = (ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "sg_ud_flag", "boolean", False))


def test_object_id_validation() -> None:
    assert ObjectId(VALID) == VALID
    for bad in ["", VALID[:-1], VALID + "0", VALID.upper(), "x" + VALID[1:], VALID[:-1] + "g"]:
        with pytest.raises(InvalidObjectIdError):
            ObjectId(bad)
    assert issubclass(InvalidObjectIdError, SgError)
    assert ObjectId.parse("t") is None and ObjectId.parse(VALID) == VALID


def test_derived_ids_depend_on_schema_and_content() -> None:
    one = ObjectId.derive(COLUMNS, b"\x01" * 32)
    assert one == ObjectId.derive(list(COLUMNS), b"\x01" * 32)
    assert one != ObjectId.derive(COLUMNS, b"\x02" * 32)
    renamed = (COLUMNS[0]._replace(name="ID"), COLUMNS[1])
    unkeyed = (COLUMNS[0]._replace(is_pk=False), COLUMNS[1])
    retyped = (COLUMNS[0]._replace(type="bigint"), COLUMNS[1])
    others = {ObjectId.derive(c, b"\x01" * 32) for c in (renamed, unkeyed, retyped)}
    assert len(others | {one}) == 4


def test_block_digest_is_independent_of_how_the_body_is_fed() -> None:
    body = os.urandom(BLOCK_BYTES * 2 + 12345)
    blocks = [body[i : i + BLOCK_BYTES] for i in range(0, len(body), BLOCK_BYTES)]
    expected = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for b in blocks)).digest()
    for size in [1 << 20, 65536, 1000003, len(body)]:
        digest = BlockDigest()
        for start in range(0, len(body), size):
            digest.update(body[start : start + size])
        assert digest.digest() == expected
    assert BlockDigest().digest() == hashlib.sha256(b"").digest()


def test_content_digest_is_a_multiset_digest() -> None:
    rows = [b"\x00\x01a", b"\x00\x01b", b"\x00\x01b"]
    assert digest_of_images(rows) == digest_of_images(reversed(rows))
    assert digest_of_images(rows) != digest_of_images(rows[:2])
    assert digest_of_images(rows) != digest_of_images([b"\x00\x01a", b"\x00\x01c", b"\x00\x01b"])


def test_header_round_trip_consumes_exactly_the_header() -> None:
    header = DumpHeader(ObjectId(VALID), COLUMNS, 42)
    stream = io.BytesIO(header.encode() + b"BODY")
    assert read_header(stream) == header
    assert stream.read() == b"BODY"


def _raw(document: object, version: int = FORMAT_VERSION, magic: bytes = MAGIC) -> bytes:
    payload = json.dumps(document).encode()
    return struct.pack(">8sHI", magic, version, len(payload)) + payload


GOOD = {"object_id": VALID, "columns": [{"name": "a", "type": "integer", "key": True}], "rows": 1}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x89SGO",
        _raw(GOOD, magic=b"\x89SGOBJ\n\n"),
        _raw(GOOD, version=2),
        _raw(GOOD)[:-3],
        struct.pack(">8sHI", MAGIC, FORMAT_VERSION, 1 << 30),
        struct.pack(">8sHI", MAGIC, FORMAT_VERSION, 3) + b"\xff\xfe{",
        _raw([1, 2]),
        _raw({**GOOD, "extra": 1}),
        _raw({**GOOD, "rows": -1}),
        _raw({**GOOD, "rows": True}),
        _raw({**GOOD, "object_id": "o123"}),
        _raw({**GOOD, "columns": []}),
        _raw({**GOOD, "columns": [{"name": "a", "type": "int"}]}),
        _raw({**GOOD, "columns": [{"name": "", "type": "int", "key": False}]}),
        _raw({**GOOD, "columns": [{"name": "x" * 64, "type": "int", "key": False}]}),
        _raw({**GOOD, "columns": [{"name": "a", "type": "int", "key": 1}]}),
        _raw({**GOOD, "columns": [{"name": "a", "type": "int", "key": False}] * 2}),
    ],
)
def test_bad_headers_are_corrupt_dumps(data: bytes) -> None:
    with pytest.raises(CorruptDumpError):
        read_header(io.BytesIO(data))


def test_column_names_may_be_hostile() -> None:
    name = 'Co"l; DROP ünï 表'
    [column] = columns_from_json([{"name": name, "type": "text", "key": False}])
    assert column.name == name


@pytest.mark.parametrize(
    "name",
    ["integer", "numeric(12,2)", "timestamp(3) with time zone", "character varying(10)",
     "text[]", "numeric(5, 2)[][]", 'public.mood', '"My Schema"."odd ""type"""[]',
     "double precision", "interval day to second(3)", '"char"'],
)  # fmt: skip
def test_plain_type_names_pass(name: str) -> None:
    assert check_type_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["int); DROP TABLE t; --", "int DEFAULT 1", "int references t", "text COLLATE \"C\"",
     "int NOT NULL", "int CHECK (true)", "numeric(1+1)", "int generated always as identity",
     "text'", "int /* x */", "", "int -- x", 'x"'],
)  # fmt: skip
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(CorruptDumpError):
        check_type_name(name)
