"""Connecting: make_conn, bad passwords, unreachable servers, and secrets kept out of sight."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from sg import EngineConnectionError, PsycopgEngine, ResultShape, SgError, make_conn
from tests.support.servers import TestServer

SECRET = "s3cr3t-Pa55-do-not-show"


def test_make_conn_opens_a_transactional_connection(server: TestServer) -> None:
    p = server.params("postgres")
    conn = make_conn(
        p["SG_ENGINE_HOST"],
        int(p["SG_ENGINE_PORT"]),
        p["SG_ENGINE_USER"],
        p["SG_ENGINE_PWD"],
        "postgres",
    )
    try:
        assert conn.autocommit is False
        assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        conn.close()


def _assert_hidden(
    error: BaseException, engine: PsycopgEngine, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [str(error), repr(error), repr(engine), repr(engine.params), caplog.text]
    cause = error.__cause__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__
    assert all(SECRET not in text for text in texts)


def test_wrong_password_fails_fast_without_showing_it(
    server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = PsycopgEngine({**server.params("postgres"), "SG_ENGINE_PWD": SECRET}, "bad")
    started = time.monotonic()
    with pytest.raises(EngineConnectionError, match="password authentication failed") as caught:
        engine.run_sql("SELECT 1")
    assert time.monotonic() - started < 5
    _assert_hidden(caught.value, engine, caplog)


def test_unreachable_server_fails_fast(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = {
        "SG_ENGINE_HOST": "127.0.0.1",
        "SG_ENGINE_PORT": str(port),
        "SG_ENGINE_USER": "sg",
        "SG_ENGINE_PWD": SECRET,
        "SG_ENGINE_DB_NAME": "x",
    }
    engine = PsycopgEngine(params, "gone")
    started = time.monotonic()
    with pytest.raises(EngineConnectionError, match=str(port)) as caught:
        engine.initialize()
    assert time.monotonic() - started < 6
    _assert_hidden(caught.value, engine, caplog)


def test_silent_server_times_out(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        params = {
            "SG_ENGINE_HOST": "127.0.0.1",
            "SG_ENGINE_PORT": str(silent.getsockname()[1]),
            "SG_ENGINE_USER": "sg",
            "SG_ENGINE_PWD": SECRET,
            "SG_ENGINE_DB_NAME": "x",
        }
        engine = PsycopgEngine(params, "silent")
        started = time.monotonic()
        with pytest.raises(SgError) as caught:
            engine.run_sql("SELECT 1")
        assert time.monotonic() - started < 12
    _assert_hidden(caught.value, engine, caplog)


def test_engine_recovers_after_its_backend_is_terminated(
    engine: PsycopgEngine, server: TestServer
) -> None:
    pid = engine.run_sql("SELECT pg_backend_pid()", return_shape=ResultShape.ONE_ONE)
    with server.admin_connect() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(EngineConnectionError):
        engine.run_sql("SELECT 1")
    assert engine.run_sql("SELECT 1", return_shape=ResultShape.ONE_ONE) == 1
