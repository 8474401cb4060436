"""The harness itself: two independent servers, never running as root."""

from __future__ import annotations

import os

import pytest

from tests.support.servers import TestServer


def test_two_independent_servers(servers: list[TestServer]) -> None:
    first, second = servers[0], servers[1]
    if first is second:
        pytest.skip("SG_TEST_DSN gives one shared server")
    assert first.base_params["SG_ENGINE_PORT"] != second.base_params["SG_ENGINE_PORT"]
    with first.admin_connect() as a, second.admin_connect() as b:
        a.execute("CREATE TABLE harness_probe (x int)")
        try:
            found = b.execute("SELECT to_regclass('harness_probe') IS NULL").fetchone()
        finally:
            a.execute("DROP TABLE harness_probe")
    assert found == (True,)


def test_local_server_processes_do_not_run_as_root(server: TestServer) -> None:
    if not server.label.startswith("cluster"):
        pytest.skip("the server is not a local cluster")
    with server.admin_connect() as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        backend_uid = os.stat(f"/proc/{row[0]}").st_uid  # while the backend is alive
    assert backend_uid != 0
