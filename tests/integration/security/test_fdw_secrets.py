"""The fdw transport leaves no lasting secret on the destination: not in its server log, not in
`pg_stat_statements`, not in a user mapping. Its mapping logs in as a short-lived role made on
the source for one object, which is gone when the transfer ends."""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from sg import PostgresEngine, RemoteEngineError, SgError
from sg.adapters.fdw.credential import transfer_login
from sg.adapters.provisioning.local_cluster import free_port
from sg.domain.engine_params import EngineParams
from sg.domain.errors import TransportUnavailableError
from sg.domain.model import TableRef
from tests.support.servers import TestServer, provision_cluster
from tests.support.transfers import fdw_leftovers

WATCHED = {
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.track_utility": "on",
    "log_statement": "'all'",
}
_MAPPING_PASSWORD = re.compile(r"CREATE USER MAPPING .*?\"password\" '([^']*)'")


@dataclass
class Watched:
    """A server that logs every statement and keeps `pg_stat_statements`."""

    server: TestServer

    def traces(self, dbname: str) -> str:
        """Everything a reader of its log, statistics or user mappings could see."""
        assert self.server.log_file is not None
        found = [self.server.log_file.read_text(errors="replace")]
        with self.server.admin_connect(dbname) as conn:
            for query in (
                "SELECT query FROM public.pg_stat_statements",
                "SELECT umoptions::text FROM pg_catalog.pg_user_mapping",
                "SELECT srvoptions::text FROM pg_catalog.pg_foreign_server",
            ):
                found += [str(row[0]) for row in conn.execute(query).fetchall()]
        return "\n".join(found)

    def transfer_roles(self) -> list[str]:
        with self.server.admin_connect() as conn:
            rows = conn.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE 'sg\\_transfer\\_%'"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def database(self, owner: str | None = None) -> str:
        name = f"sgt_{uuid.uuid4().hex[:12]}"
        with self.server.admin_connect() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name),
                    sql.Identifier(owner or self.server.base_params["SG_ENGINE_USER"]),
                )
            )
        with self.server.admin_connect(name) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements SCHEMA public")
        return name

    def role(self, *options: str) -> tuple[str, str]:
        name, password = f"sgt_role_{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(16)
        with self.server.admin_connect() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} {}").format(
                    sql.Identifier(name), sql.Literal(password), sql.SQL(" ".join(options))
                )
            )
        return name, password

    def engine(self, dbname: str, role: tuple[str, str] | None = None) -> PostgresEngine:
        params = self.server.params(dbname)
        if role is not None:
            params = {**params, "SG_ENGINE_USER": role[0], "SG_ENGINE_PWD": role[1]}
        engine = PostgresEngine(params, dbname)
        engine.initialize()
        return engine


@pytest.fixture(scope="module")
def watched() -> Iterator[tuple[Watched, Watched]]:
    """A source and a destination server that log everything."""
    if os.environ.get("SG_TEST_DSN") or os.environ.get("SG_TEST_BACKEND") == "docker":
        pytest.skip("needs throwaway local clusters with extra settings")
    started: list[TestServer] = []
    try:
        for label in ("-source", "-destination"):
            started.append(provision_cluster(label, WATCHED))
        yield Watched(started[0]), Watched(started[1])
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def fdw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SG_TRANSPORT", "fdw")


def an_object(engine: PostgresEngine) -> str:
    engine.run_sql("CREATE TABLE public.t (id integer PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO public.t SELECT g, 'row ' || g FROM generate_series(1, 50) g")
    object_id = engine.snapshot_table("public", "t")
    engine.commit()
    return object_id


def cannot_log_in(server: TestServer, user: str, password: str, dbname: str) -> bool:
    try:
        psycopg.connect(
            host=server.base_params["SG_ENGINE_HOST"],
            port=int(server.base_params["SG_ENGINE_PORT"]),
            user=user,
            password=password,
            dbname=dbname,
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return True
    return False


def test_a_superuser_destination_keeps_no_secret(
    watched: tuple[Watched, Watched], fdw: None
) -> None:
    source, destination = watched
    source_db, destination_db = source.database(), destination.database()
    origin = source.engine(source_db)
    object_id = an_object(origin)
    receiver = destination.engine(destination_db)
    assert receiver.download_objects([object_id], origin) == [object_id]
    secret = origin.params.password
    assert secret
    seen = destination.traces(destination_db)
    assert "IMPORT FOREIGN SCHEMA" in seen  # its statements were being recorded
    assert secret not in seen
    assert secret not in source.traces(source_db)
    assert source.transfer_roles() == []
    assert fdw_leftovers(receiver) == []


def test_a_non_superuser_destination_logs_only_a_dead_password(
    watched: tuple[Watched, Watched], fdw: None
) -> None:
    source, destination = watched
    source_db = source.database()
    origin = source.engine(source_db)
    object_id = an_object(origin)
    role = destination.role()
    destination_db = destination.database(owner=role[0])
    receiver = destination.engine(destination_db, role)
    with destination.server.admin_connect(destination_db) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw SCHEMA sg_meta")
        conn.execute(
            sql.SQL("GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO {}").format(
                sql.Identifier(role[0])
            )
        )
    assert receiver.download_objects([object_id], origin) == [object_id]
    seen = destination.traces(destination_db)
    logged = _MAPPING_PASSWORD.findall(seen)
    assert logged, "a non-superuser cannot silence its statement log: the mapping is there"
    secret = origin.params.password
    assert secret and secret not in seen
    users = re.findall(r"CREATE USER MAPPING .*?\"user\" '([^']*)'", seen)
    for user, password in zip(users, logged, strict=True):
        assert user.startswith("sg_transfer_")
        assert cannot_log_in(source.server, user, password, source_db)
        assert password not in source.traces(source_db)  # only its verifier went there
    assert source.transfer_roles() == []
    assert fdw_leftovers(receiver) == []


def test_a_source_role_that_cannot_create_roles_refuses_fdw_and_copy_still_works(
    watched: tuple[Watched, Watched], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, destination = watched
    role = source.role()
    source_db = source.database(owner=role[0])
    origin = source.engine(source_db, role)
    object_id = an_object(origin)
    receiver = destination.engine(destination.database())
    monkeypatch.setenv("SG_TRANSPORT", "fdw")
    with pytest.raises(TransportUnavailableError, match="CREATEROLE, or set SG_TRANSPORT=copy"):
        receiver.download_objects([object_id], origin)
    assert receiver.list_objects() == []
    with source.server.admin_connect() as conn:
        conn.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(role[0])))
    assert receiver.download_objects([object_id], origin) == [object_id]
    assert source.transfer_roles() == []
    monkeypatch.setenv("SG_TRANSPORT", "copy")
    other = destination.engine(destination.database())
    assert other.download_objects([object_id], origin) == [object_id]


def test_a_failed_transfer_drops_its_login_too(watched: tuple[Watched, Watched], fdw: None) -> None:
    source, destination = watched
    source_db = source.database()
    params = {**source.server.params(source_db), "SG_ENGINE_FDW_PORT": str(free_port())}
    origin = PostgresEngine(params, "unreachable")
    origin.initialize()
    object_id = an_object(origin)
    receiver = destination.engine(destination.database())
    with pytest.raises(RemoteEngineError):
        receiver.download_objects([object_id], origin)
    assert source.transfer_roles() == []
    assert receiver.list_objects() == [] and fdw_leftovers(receiver) == []


def test_the_login_reads_only_its_object_and_expires_soon(watched: tuple[Watched, Watched]) -> None:
    source, _ = watched
    source_db = source.database()
    origin = source.engine(source_db)
    object_id = an_object(origin)
    origin.run_sql("CREATE TABLE public.private (secret text)")
    origin.commit()
    params = EngineParams.from_mapping(source.server.params(source_db))
    with transfer_login(params, TableRef("sg_meta", object_id), "sg_transfer_probe") as login:
        conn: Any = psycopg.connect(
            host=params.host,
            port=params.port,
            user=login.user,
            password=login.password,
            dbname=source_db,
            autocommit=True,
        )
        with conn:
            rows = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("sg_meta", object_id))
            ).fetchone()
            assert rows == (50,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT * FROM public.private")
            attributes = conn.execute(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolinherit,"
                " rolvaliduntil - now() BETWEEN interval '1 minute' AND interval '10 minutes'"
                " FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            assert attributes == (False, False, False, False, True)
        assert login.password not in repr(login)
    assert source.transfer_roles() == []
    assert cannot_log_in(source.server, login.user, login.password, source_db)


def test_an_object_missing_on_the_source_makes_no_login(watched: tuple[Watched, Watched]) -> None:
    source, _ = watched
    params = EngineParams.from_mapping(source.server.params(source.database()))
    with (
        pytest.raises(SgError, match="commit on the source first"),
        transfer_login(params, TableRef("sg_meta", "o" + "e" * 62), "sg_transfer_probe"),
    ):
        pass
    assert source.transfer_roles() == []
