"""Registry and codec contract: the in-memory fakes and PostgreSQL behave alike."""

from __future__ import annotations

import io

import pytest

from sg.domain.errors import CorruptDumpError, DuplicateObjectError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from tests.support.contract_harness import KEYED, Harness, harness

__all__ = ["harness"]  # the parametrized fixture every test here runs with

T = TableRef("public", "t")
U = TableRef("public", "u")


def test_registry(harness: Harness) -> None:
    ids = [ObjectId("o" + c * 62) for c in "b1a"]
    columns = (ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "sg_ud_flag", "boolean", False))
    for object_id in ids:
        harness.registry.lock(object_id)
        harness.registry.add(ObjectRecord(object_id, columns, 3, 1, 8192))
    assert harness.registry.ids() == sorted(ids)
    record = harness.registry.get(ids[0])
    assert record is not None
    assert (record.columns, record.rows, record.size_bytes) == (columns, 4, 8192)
    assert harness.registry.get(ObjectId("o" + "c" * 62)) is None
    with pytest.raises(DuplicateObjectError):
        harness.registry.add(ObjectRecord(ids[0], columns, 0, 0, 0))


def test_codec_round_trip_proves_the_digest_from_the_stream(harness: Harness) -> None:
    harness.create(T, KEYED, [(i, f"value {i}" if i % 3 else None) for i in range(40, 0, -1)])
    obj = TableRef("public", "obj")
    info = harness.store.create_snapshot(obj, T)
    stream = io.BytesIO()
    assert harness.codec.write_body(obj, info.columns, stream) == 40
    stream.seek(0)
    reader = harness.codec.open_body(stream)
    harness.store.create_table(U, info.columns, with_key=False)
    loaded = reader.load_into(U, info.columns)
    assert loaded.rows == 40
    assert loaded.digest == harness.store.content_digest(obj).digest
    assert harness.rows(U) == harness.rows(obj)


def test_codec_refuses_bad_bodies(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b")])
    obj = TableRef("public", "obj")
    info = harness.store.create_snapshot(obj, T)
    stream = io.BytesIO()
    harness.codec.write_body(obj, info.columns, stream)
    body = stream.getvalue()
    with pytest.raises(CorruptDumpError):
        harness.codec.open_body(io.BytesIO(b"garbage" * 5))
    with pytest.raises(CorruptDumpError):
        harness.codec.open_body(io.BytesIO(body[:5]))
    reader = harness.codec.open_body(io.BytesIO(body[:-3]))
    harness.store.create_table(U, info.columns, with_key=False)
    with pytest.raises(CorruptDumpError):
        reader.load_into(U, info.columns)


def test_stream_and_store_agree_on_rows_spanning_digest_blocks(harness: Harness) -> None:
    sizes = [700_000, 10, 2_600_000, 0, 900_000, 1]  # images cross and span 1 MiB blocks
    harness.create(T, KEYED, [(i, "x" * size) for i, size in enumerate(sizes)])
    obj = TableRef("public", "obj")
    info = harness.store.create_snapshot(obj, T)
    stream = io.BytesIO()
    harness.codec.write_body(obj, info.columns, stream)
    stream.seek(0)
    reader = harness.codec.open_body(stream)
    harness.store.create_table(U, info.columns, with_key=False)
    assert reader.load_into(U, info.columns).digest == harness.store.content_digest(obj).digest
