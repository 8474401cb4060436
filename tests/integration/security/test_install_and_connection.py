"""sg's schemas must be its own, and a dropped connection is reopened, never half-used."""

from __future__ import annotations

import pytest
from psycopg import sql

from sg import EngineConnectionError, PermissionDeniedError, ResultShape
from tests.integration.security.attackers import attack_setting
from tests.support.servers import TestServer


@pytest.mark.parametrize("schema", ["sg_meta", "sg_audit"])
def test_a_schema_planted_before_initialize_is_refused(server: TestServer, schema: str) -> None:
    with attack_setting(server, superuser_engine=True) as s:
        s.attacker.run_sql(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        s.attacker.commit()
        with pytest.raises(PermissionDeniedError, match=f"schema {schema} belongs to role"):
            s.engine.initialize()
        s.assert_safe()


def _terminate(server: TestServer, engine_pid: int) -> None:
    with server.admin_connect() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [engine_pid])


def test_an_idle_connection_dropped_by_the_server_is_reopened(server: TestServer) -> None:
    with attack_setting(server, superuser_engine=True) as s:
        e = s.engine
        e.initialize()
        e.run_sql("CREATE TABLE public.t (id int PRIMARY KEY)")
        e.track_tables([("public", "t")])
        e.commit()
        pid = e.run_sql("SELECT pg_backend_pid()", return_shape=ResultShape.ONE_ONE)
        e.commit()
        _terminate(server, pid)
        assert e.get_tracked_tables() == [("public", "t")]
        e.commit()
        _terminate(server, e.run_sql("SELECT pg_backend_pid()", return_shape=ResultShape.ONE_ONE))
        e.rollback()
        assert e.run_sql("SELECT 1", return_shape=ResultShape.ONE_ONE) == 1


def test_a_connection_dropped_inside_a_transaction_fails_once(server: TestServer) -> None:
    with attack_setting(server, superuser_engine=True) as s:
        e = s.engine
        e.initialize()
        e.run_sql("CREATE TABLE public.t (id int PRIMARY KEY)")
        e.commit()
        e.run_sql("INSERT INTO public.t VALUES (1)")
        pid = e.run_sql("SELECT pg_backend_pid()", return_shape=ResultShape.ONE_ONE)
        _terminate(server, pid)
        with pytest.raises(EngineConnectionError, match="rolled back"):
            e.run_sql("INSERT INTO public.t VALUES (2)")
        # The lost transaction's insert is gone; the engine works again.
        assert e.run_sql("SELECT count(*) FROM public.t", return_shape=ResultShape.ONE_ONE) == 0
        e.commit()
