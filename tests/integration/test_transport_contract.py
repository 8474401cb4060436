"""One contract for every transport: the fake, the COPY pipe and postgres_fdw alike."""

from __future__ import annotations

import pytest

from sg.domain.errors import EngineConnectionError, SgError
from sg.domain.object_id import ObjectId, object_table
from tests.fakes.database import Row
from tests.support.servers import TestServer
from tests.support.transfers import exception_texts, transfer_sessions
from tests.support.transport_harness import COLUMNS, ROWS, Harness, PostgresHarness, harness

__all__ = ["harness"]  # the parametrized fixture every test here runs with


def fake_rows(harness: Harness, rows: list[Row]) -> list[Row]:
    """Rows as the harness keeps them, flag column included, for comparison."""
    return sorted(((*r, True) for r in rows), key=repr)


def test_rows_arrive_unchanged_and_prove_their_id(harness: Harness) -> None:
    record = harness.make_object("t", ROWS)
    table = harness.prepare(record)
    moved: list[int] = []
    loaded = harness.transport().copy_rows(table, record.columns, moved.append)
    assert loaded.rows == len(ROWS)
    expected = sorted(ROWS, key=repr)
    assert [r[: len(COLUMNS)] for r in harness.destination_rows(table)] == expected
    if loaded.digest is not None:
        assert ObjectId.derive(record.columns, loaded.digest) == record.object_id
    digest = harness.destination_digest(table)
    assert ObjectId.derive(record.columns, digest.digest) == record.object_id
    assert moved and moved[-1] == len(ROWS) and moved == sorted(moved)


def test_an_empty_object_arrives_empty(harness: Harness) -> None:
    record = harness.make_object("empty", [])
    table = harness.prepare(record)
    loaded = harness.transport().copy_rows(table, record.columns, lambda rows: None)
    assert loaded.rows == 0 and harness.destination_rows(table) == []
    if loaded.digest is not None:
        assert ObjectId.derive(record.columns, loaded.digest) == record.object_id


def test_nothing_is_left_behind_on_either_engine(harness: Harness) -> None:
    record = harness.make_object("t", ROWS[:5])
    table = harness.prepare(record)
    harness.transport().copy_rows(table, record.columns, lambda rows: None)
    assert harness.leftovers() == []
    harness.commit_destination()
    assert harness.leftovers() == []
    if isinstance(harness, PostgresHarness):
        assert transfer_sessions(remote_server_of(harness)) == 0


def remote_server_of(harness: PostgresHarness) -> TestServer:
    params = harness.source.conn_params
    label = f"{params['SG_ENGINE_HOST']}:{params['SG_ENGINE_PORT']}"
    return TestServer(label, {k: v for k, v in params.items() if k != "SG_ENGINE_DB_NAME"})


def test_a_source_without_the_table_fails_and_leaves_nothing(harness: Harness) -> None:
    record = harness.make_object("t", ROWS[:3])
    missing = record._replace(object_id=ObjectId("o" + "e" * 62))
    table = harness.prepare(missing)
    with pytest.raises(SgError):
        harness.transport().copy_rows(table, missing.columns, lambda rows: None)
    assert harness.leftovers() == []


def test_an_unreachable_source_fails_fast_without_the_password(harness: Harness) -> None:
    record = harness.make_object("t", ROWS[:3])
    table = harness.prepare(record)
    with pytest.raises(EngineConnectionError) as raised:
        harness.unreachable_transport().copy_rows(table, record.columns, lambda rows: None)
    secret = getattr(harness, "secret", "")
    assert secret and not [t for t in exception_texts(raised.value) if secret in t]
    assert harness.leftovers() == []


def test_the_sources_open_transaction_survives_a_failed_copy(harness: Harness) -> None:
    record = harness.make_object("t", ROWS)
    harness.begin_source_work()
    not_prepared = object_table(record.object_id)  # the destination has no such table
    with pytest.raises(SgError):
        harness.transport().copy_rows(not_prepared, record.columns, lambda rows: None)
    assert harness.source_work_survives()
    assert harness.leftovers() == []


class StopRequestedError(Exception):
    pass


def test_the_sources_open_transaction_survives_an_interrupted_copy(harness: Harness) -> None:
    record = harness.make_large_object(100_000)  # more than the sockets buffer: mid-stream
    table = harness.prepare(record)
    harness.begin_source_work()

    def interrupt(rows: int) -> None:
        raise StopRequestedError(f"stopped after {rows} rows")

    with pytest.raises(StopRequestedError):
        harness.transport().copy_rows(table, record.columns, interrupt)
    assert harness.source_work_survives()
    assert harness.leftovers() == []
