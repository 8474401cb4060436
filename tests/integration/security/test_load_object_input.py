"""`load_object` on hostile input: every malformed argument, header or body is a typed
`SgError`, reading stops soon after the rows the header promises, and nothing is left."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import IO, Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.support.fuzz  # noqa: F401 - registers and loads the hypothesis profiles
from sg import (
    CorruptDumpError,
    InvalidIdentifierError,
    InvalidStreamError,
    PostgresEngine,
    ResultShape,
    SgError,
)
from sg.adapters.postgres.objects.copy_codec import CHUNK_BYTES
from sg.domain.model import ColumnSpec, TableRef
from tests.integration.security.dump_bytes import (
    COPY_HEAD,
    SOME_ID,
    TRAILER,
    EndlessStream,
    field,
    header,
    int4,
    int4_array,
    raw_header,
    row,
    tuples,
)
from tests.support.engines import EngineFactory
from tests.support.objects import differences, ready

ID = ColumnSpec(1, "id", "integer", True)


def _columns(kind: str) -> list[ColumnSpec]:
    return [ID, ColumnSpec(2, "v", kind, False)]


@pytest.fixture
def engine(make_engine: EngineFactory) -> PostgresEngine:
    engine = ready(make_engine(PostgresEngine))
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO t SELECT g, 'value ' || g FROM generate_series(1, 300) g")
    engine.commit()
    engine.run_sql("CREATE TABLE mine (a int)")  # the caller's own uncommitted work
    return engine


def _dump(engine: PostgresEngine) -> tuple[str, bytes]:
    object_id = engine.snapshot_table("public", "t")
    stream = io.BytesIO()
    engine.dump_object("sg_meta", object_id, stream)
    return object_id, stream.getvalue()


def _assert_nothing_left(engine: PostgresEngine, *tables: tuple[str, str]) -> None:
    for schema, table in tables:
        assert engine.table_exists(schema, table) is False
    leftovers = engine.run_sql(
        "SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE 'sg\\_load\\_rows%%'"
        " OR relname LIKE 'sg\\_staging%%'",
        return_shape=ResultShape.ONE_ONE,
    )
    functions = engine.run_sql(
        "SELECT count(*) FROM pg_catalog.pg_proc WHERE proname LIKE 'sg\\_load\\_rows%%'",
        return_shape=ResultShape.ONE_ONE,
    )
    assert (leftovers, functions) == (0, 0)
    registered = engine.run_sql(
        "SELECT count(*) FROM sg_meta.objects", return_shape=ResultShape.ONE_ONE
    )
    assert registered == len(engine.list_objects())
    assert engine.table_exists("public", "mine")  # the caller's transaction goes on


def _load(engine: PostgresEngine, data: bytes, table: str = "loaded") -> None:
    engine.load_object("public", table, io.BytesIO(data))


# -- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "table"),
    [(1, "x"), ("public", None), (b"public", "x"), ("public", "\ud800"), ("\udfff", "x"),
     ("public", ""), ("public", "a\x00b"), ("public", "x" * 64)],
)  # fmt: skip
def test_bad_names_are_invalid_identifiers(engine: PostgresEngine, schema: Any, table: Any) -> None:
    _, data = _dump(engine)
    with pytest.raises(InvalidIdentifierError):
        engine.load_object(schema, table, io.BytesIO(data))
    with pytest.raises(InvalidIdentifierError):
        engine.dump_object(schema, table, io.BytesIO())
    _assert_nothing_left(engine)


class _FailingStream(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        raise OSError("disk on fire")


@pytest.mark.parametrize(
    "make_stream",
    [
        lambda data: None,
        lambda data: "some.sgdump",
        lambda data: data,  # bytes, not a stream
        lambda data: io.StringIO(data.decode("latin-1")),  # opened in text mode
        lambda data: _FailingStream(),
    ],
    ids=["none", "path", "bytes", "text stream", "failing read"],
)
def test_streams_that_are_not_binary_readers_are_refused(
    engine: PostgresEngine, make_stream: Callable[[bytes], Any]
) -> None:
    _, data = _dump(engine)
    with pytest.raises(InvalidStreamError):
        engine.load_object("public", "loaded", make_stream(data))
    _assert_nothing_left(engine, ("public", "loaded"))


# -- headers -----------------------------------------------------------------------------

_GOOD_COLUMNS = [
    {"name": "id", "type": "integer", "key": True},
    {"name": "v", "type": "text", "key": False},
]


def _document(**changes: Any) -> bytes:
    document = {"object_id": SOME_ID, "columns": _GOOD_COLUMNS, "rows": 0, **changes}
    return json.dumps(document).encode()


BAD_HEADERS: dict[str, bytes] = {
    "not json": raw_header(b"{nope"),
    "not utf-8": raw_header(b'{"a": "\xff"}'),
    "deeply nested": raw_header(b"[" * 100_000 + b"]" * 100_000),
    "a list": raw_header(b"[]"),
    "extra key": raw_header(_document(more=1)),
    "rows as text": raw_header(_document(rows="5")),
    "rows negative": raw_header(_document(rows=-1)),
    "rows beyond bigint": raw_header(_document(rows=1 << 64)),
    "rows a float": raw_header(_document(rows=1.0)),
    "rows true": raw_header(_document(rows=True)),
    "huge number": raw_header(b'{"object_id": 1, "columns": [], "rows": 1' + b"0" * 5000 + b"}"),
    "id a number": raw_header(_document(object_id=7)),
    "id malformed": raw_header(_document(object_id="o123")),
    "id with a surrogate": raw_header(_document(object_id="o\ud800" + "a" * 61)),
    "columns a dict": raw_header(_document(columns={"id": "integer"})),
    "no columns": raw_header(_document(columns=[])),
    "key not a bool": raw_header(_document(columns=[{"name": "id", "type": "int", "key": 1}])),
    "name a surrogate": raw_header(
        _document(columns=[{"name": "\udc80", "type": "integer", "key": True}])
    ),
    "type with a surrogate": raw_header(
        _document(columns=[{"name": "v", "type": '"t\ud800"', "key": False}])
    ),
    "type that does not exist": raw_header(
        _document(columns=[{"name": "v", "type": "no_such_type", "key": False}])
    ),
    "type modifier out of range": raw_header(
        _document(columns=[{"name": "v", "type": "numeric(5000)", "key": False}])
    ),
    "flag column not boolean": raw_header(
        _document(
            columns=[
                {"name": "id", "type": "integer", "key": True},
                {"name": "sg_ud_flag", "type": "text", "key": False},
            ]
        )
    ),
    "absurd length": raw_header(b"")[:10] + (0xFFFFFFFF).to_bytes(4, "big"),
    "length beyond the stream": raw_header(b"")[:10] + (1000).to_bytes(4, "big") + b"{}",
}


@pytest.mark.parametrize("case", sorted(BAD_HEADERS))
def test_bad_headers_are_corrupt_dumps(engine: PostgresEngine, case: str) -> None:
    data = BAD_HEADERS[case] + COPY_HEAD + TRAILER
    with pytest.raises(CorruptDumpError):
        _load(engine, data)
    _assert_nothing_left(engine, ("public", "loaded"))


# -- bodies ------------------------------------------------------------------------------

BAD_BODIES: dict[str, tuple[str, bytes]] = {
    "array of seven dimensions": (
        "integer[]",
        row(int4(1), int4_array(7, 0, [(1, 1)] * 7, field(int4(1)))),
    ),
    "array of 2^31 elements": (
        "integer[]",
        row(int4(1), int4_array(1, 0, [(0x7FFFFFFF, 1)], field(int4(1)))),
    ),
    "array with a negative size": (
        "integer[]",
        row(int4(1), int4_array(1, 0, [(-5, 1)], b"")),
    ),
    "array flags unknown": ("integer[]", row(int4(1), int4_array(1, 7, [(1, 1)], field(int4(1))))),
    "array element longer than the field": (
        "integer[]",
        row(int4(1), int4_array(1, 0, [(1, 1)], int4(1000) + int4(1))),
    ),
    "array of another element type": (
        "integer[]",
        row(int4(1), int4_array(1, 0, [(1, 1)], field(int4(1)))[:8] + int4(25) + int4(0)),
    ),
    "jsonb of version 2": ("jsonb", row(int4(1), b"\x02{}")),
    "jsonb that is not json": ("jsonb", row(int4(1), b"\x01{nope")),
    "jsonb empty": ("jsonb", row(int4(1), b"")),
    "text not utf-8": ("text", row(int4(1), b"\xff\xfe")),
    "text with a NUL": ("text", row(int4(1), b"a\x00b")),
    "int4 of 3 bytes": ("text", row(b"\x00\x00\x01", b"x")),
    "field of 2 GiB": (
        "text",
        row(int4(1))[:2] + b"\x00\x02" + field(int4(1)) + b"\x7f\xff\xff\xff",
    ),
    "field length -2": ("text", b"\x00\x02" + field(int4(1)) + b"\xff\xff\xff\xfe"),
    "too many fields": ("text", row(int4(1), b"x", b"y")),
    "too few fields": ("text", row(int4(1))),
    "numeric digit out of range": (
        "numeric",
        row(int4(1), b"\x00\x01\x00\x00\x00\x00\x00\x00" + (20000).to_bytes(2, "big")),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_are_corrupt_dumps(engine: PostgresEngine, case: str) -> None:
    kind, body = BAD_BODIES[case]
    data = header(_columns(kind), 1) + COPY_HEAD + body + TRAILER
    with pytest.raises(CorruptDumpError):
        _load(engine, data)
    _assert_nothing_left(engine, ("public", "loaded"))


def test_trailing_garbage_is_a_corrupt_dump(engine: PostgresEngine) -> None:
    _, data = _dump(engine)
    for garbage in [b"\x00", TRAILER, b"\x00\x02" + field(int4(1)) + field(b"x"), b"x" * 5000]:
        with pytest.raises(CorruptDumpError):
            _load(engine, data + garbage)
        _assert_nothing_left(engine, ("public", "loaded"))


def test_truncation_at_every_offset_is_a_corrupt_dump(engine: PostgresEngine) -> None:
    engine.run_sql("CREATE TABLE small (id int PRIMARY KEY, v text, a int[])")
    engine.run_sql("INSERT INTO small VALUES (1, 'a', '{1,NULL}'), (2, NULL, '{}')")
    object_id = engine.snapshot_table("public", "small")
    stream = io.BytesIO()
    engine.dump_object("sg_meta", object_id, stream)
    data = stream.getvalue()
    for size in range(len(data)):
        with pytest.raises(CorruptDumpError):
            _load(engine, data[:size])
    _assert_nothing_left(engine, ("public", "loaded"))
    _load(engine, data)  # the whole dump still loads


def test_reading_stops_soon_after_the_promised_rows(engine: PostgresEngine) -> None:
    object_id, data = _dump(engine)
    body_at = data.index(COPY_HEAD[:11])
    rows = tuples(data[body_at:])
    assert len(rows) == 300
    legit = data[:-2]  # all promised rows, no trailer
    stream = EndlessStream(legit, rows[-1], total=400 << 20)
    with pytest.raises(CorruptDumpError, match="more than the 300 rows"):
        engine.load_object("public", "loaded", cast(IO[bytes], stream))
    print(f"read {stream.read_bytes - len(legit)} bytes past the promised rows")
    assert stream.read_bytes <= len(legit) + 2 * CHUNK_BYTES
    _assert_nothing_left(engine, ("public", "loaded"))
    assert engine.list_objects() == [object_id]  # the snapshot itself, untouched


_DUMP_CACHE: dict[str, tuple[str, bytes]] = {}


@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["flip", "cut", "insert", "drop"]), st.integers(0, 10**6),
                  st.binary(min_size=1, max_size=6)),
        min_size=1, max_size=3,
    )
)  # fmt: skip
def test_corrupted_dumps_fail_typed_or_load_verified(
    engine: PostgresEngine, edits: list[tuple[str, int, bytes]]
) -> None:
    if "dump" not in _DUMP_CACHE:
        _DUMP_CACHE["dump"] = _dump(engine)
    object_id, data = _DUMP_CACHE["dump"]
    bad = bytearray(data)
    for kind, at, payload in edits:
        at %= len(bad) + 1
        if kind == "flip" and at < len(bad):
            bad[at] ^= payload[0] or 1
        elif kind == "cut":
            del bad[at:]
        elif kind == "insert":
            bad[at:at] = payload
        elif kind == "drop":
            del bad[at : at + len(payload)]
    try:
        _load(engine, bytes(bad), "fuzzed")
    except SgError:
        _assert_nothing_left(engine, ("public", "fuzzed"))
    else:  # a harmless edit (say, a flipped bit in an unused header flag): same content
        assert (
            differences(engine, TableRef("public", "fuzzed"), TableRef("sg_meta", object_id)) == 0
        )
        engine.run_sql("DROP TABLE public.fuzzed")
