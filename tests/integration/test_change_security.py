"""The capture machinery resists hostile sessions, keeps its log from writers, and works for a
non-superuser engine role (which cannot install event triggers)."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from psycopg import sql

from sg import (
    AuditTriggerChangeEngine,
    Change,
    ChangeKind,
    PermissionDeniedError,
    ResultShape,
)
from tests.support.engines import EngineFactory, tracked_engine
from tests.support.servers import TestServer


@contextmanager
def temporary_role(server: TestServer) -> Iterator[tuple[str, str]]:
    """A LOGIN role that is neither superuser nor owner of anything yet."""
    name, password = f"sg_role_{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(16)
    with server.admin_connect() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
    try:
        yield name, password
    finally:
        with server.admin_connect() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def as_role(params: dict[str, str], role: tuple[str, str]) -> dict[str, str]:
    return {**params, "SG_ENGINE_USER": role[0], "SG_ENGINE_PWD": role[1]}


@pytest.fixture
def tracker(make_engine: EngineFactory) -> AuditTriggerChangeEngine:
    return tracked_engine(
        make_engine,
        "CREATE TABLE t (id int PRIMARY KEY, v text)",
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    )


@pytest.fixture
def writer(tracker: AuditTriggerChangeEngine, server: TestServer) -> Iterator[tuple[str, str]]:
    """A role that may read and write `t`, and nothing else."""
    with temporary_role(server) as role:
        tracker.run_sql(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON t TO {}").format(
                sql.Identifier(role[0])
            )
        )
        tracker.commit()
        try:
            yield role
        finally:
            tracker.rollback()
            tracker.run_sql(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role[0])))
            tracker.commit()


def test_capture_functions_pin_search_path(tracker: AuditTriggerChangeEngine) -> None:
    functions = tracker.run_sql(
        "SELECT p.proname, p.prosecdef, p.proconfig FROM pg_proc p"
        " WHERE p.pronamespace = 'sg_audit'::regnamespace ORDER BY 1"
    )
    captures = [f for f in functions if re.fullmatch(r"capture_\d+_[a-z]+", f[0])]
    assert len(captures) == 4
    assert all(secdef for _, secdef, _ in captures)
    # Capture reads the table only on TRUNCATE: a row-level security policy fails it loudly.
    assert {tuple(config) for _, _, config in captures} == {
        ("search_path=pg_catalog, pg_temp", "row_security=off")
    }
    assert {config[0] for _, _, config in functions} == {"search_path=pg_catalog, pg_temp"}


def test_hostile_search_path_does_not_redirect_capture(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE SCHEMA evil")
    tracker.run_sql(
        "CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'hijacked'; END $$"
    )
    tracker.run_sql("CREATE TABLE evil.log_seq (x int)")
    tracker.run_sql("SET search_path = evil, pg_catalog, public")
    tracker.run_sql("INSERT INTO public.t VALUES (3, 'c')")
    tracker.run_sql("SET search_path = public")
    assert tracker.get_pending_changes("public", "t") == [
        Change((3,), ChangeKind.INSERT, {"id": 3, "v": "c"})
    ]


def test_writer_cannot_modify_or_delete_the_change_log(
    tracker: AuditTriggerChangeEngine, writer: tuple[str, str]
) -> None:
    log = tracker.run_sql(
        "SELECT format('sg_audit.%I', log_table) FROM sg_audit.tracked_tables",
        return_shape=ResultShape.ONE_ONE,
    )
    relid = tracker.run_sql("SELECT 't'::regclass::oid", return_shape=ResultShape.ONE_ONE)
    engine = AuditTriggerChangeEngine(as_role(tracker.conn_params, writer), "writer")
    try:
        engine.run_sql("INSERT INTO t VALUES (3, 'c')")
        engine.run_sql("UPDATE t SET v = 'bb' WHERE id = 2")
        engine.run_sql("DELETE FROM t WHERE id = 1")
        engine.commit()
        forbidden = [
            f"SELECT * FROM {log}",
            f"DELETE FROM {log}",
            f"UPDATE {log} SET sg_existed = false",
            f"INSERT INTO {log} SELECT * FROM {log}",
            f"TRUNCATE {log}",
            f"DROP TABLE {log}",
            "DELETE FROM sg_audit.tracked_tables",
            f"SELECT sg_audit.untrack({relid})",
            "SELECT sg_audit.forget_dropped()",
            "ALTER TABLE t DISABLE TRIGGER USER",
            "DROP TRIGGER sg_capture_insert ON t",
        ]
        for statement in forbidden:
            with pytest.raises(PermissionDeniedError):
                engine.run_sql(statement)
        engine.run_sql("TRUNCATE t")
        engine.commit()
    finally:
        engine.close()
    assert tracker.get_pending_changes("public", "t") == [
        Change((1,), ChangeKind.DELETE, {"id": 1, "v": "a"}),
        Change((2,), ChangeKind.DELETE, {"id": 2, "v": "b"}),
    ]


def test_engine_role_without_superuser_forgets_dropped_tables(server: TestServer) -> None:
    with temporary_role(server) as role:
        database = f"sgt_{uuid.uuid4().hex[:12]}"
        with server.admin_connect() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(role[0])
                )
            )
        engine = AuditTriggerChangeEngine(as_role(server.params(database), role), "owner")
        try:
            engine.initialize()
            assert (
                engine.run_sql(
                    "SELECT count(*) FROM pg_event_trigger", return_shape=ResultShape.ONE_ONE
                )
                == 0
            )
            engine.run_sql("CREATE TABLE t (id int PRIMARY KEY)")
            engine.track_tables([("public", "t")])
            engine.run_sql("INSERT INTO t VALUES (1)")
            engine.run_sql("DROP TABLE t")
            engine.commit()
            assert engine.get_tracked_tables() == []
            engine.run_sql("CREATE TABLE t (id int PRIMARY KEY)")
            engine.run_sql("INSERT INTO t VALUES (2)")
            assert engine.get_tracked_tables() == []
            engine.track_tables([("public", "t")])
            assert engine.get_pending_changes("public", "t") == []
            logs = engine.run_sql(
                "SELECT count(*) FROM pg_class WHERE relnamespace = 'sg_audit'::regnamespace"
                " AND relkind = 'r' AND relname LIKE 'log\\_%'",
                return_shape=ResultShape.ONE_ONE,
            )
            assert logs == 1
            engine.commit()
        finally:
            engine.close()
            server.drop_database(database)
