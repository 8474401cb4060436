"""upload_objects / download_objects between two real servers, with either transport."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from psycopg.pq import TransactionStatus

from sg import (
    InvalidObjectIdError,
    ObjectIdMismatchError,
    ObjectNotFoundError,
    PostgresEngine,
    RemoteEngineError,
    ResultShape,
    SgError,
    TableNotFoundError,
)
from sg.adapters.provisioning.local_cluster import free_port
from sg.domain.model import TableRef
from tests.fakes.progress import RecordingProgress
from tests.support.engines import EngineFactory
from tests.support.objects import clone_empty, count, differences, objects_of, ready
from tests.support.servers import TestServer
from tests.support.transfers import (
    backend_pid,
    exception_texts,
    fdw_leftovers,
    relation_exists,
    transfer_sessions,
)

T = TableRef("public", "t")


@pytest.fixture(params=["copy", "fdw"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SG_TRANSPORT", request.param)
    return str(request.param)


@pytest.fixture
def local(make_engine: EngineFactory) -> PostgresEngine:
    return ready(make_engine(PostgresEngine))


@pytest.fixture
def remote(make_engine: EngineFactory, remote_server: TestServer) -> PostgresEngine:
    return ready(make_engine(PostgresEngine, on=remote_server))


def snapshot(
    engine: PostgresEngine, name: str, rows: int, start: int = 1, commit: bool = True
) -> str:
    """An object (committed unless told) holding rows `start..start+rows-1` of a new table."""
    table = sql.Identifier("public", name)
    engine.run_sql(sql.SQL("CREATE TABLE {} (id integer PRIMARY KEY, v text)").format(table))
    engine.run_sql(
        sql.SQL(
            "INSERT INTO {} SELECT g, 'value ' || g"
            " FROM generate_series(%s::integer, %s::integer) AS g"
        ).format(table),
        [start, start + rows - 1],
    )
    object_id = engine.snapshot_table("public", name)
    if commit:
        engine.commit()
    return object_id


def idle_without_locks(engine: PostgresEngine, server: TestServer) -> bool:
    """The engine's session holds no open transaction and no lock."""
    conn: Any = engine.connection
    if conn.info.transaction_status != TransactionStatus.IDLE:
        return False
    with server.admin_connect() as admin:
        row: Any = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s", [conn.info.backend_pid]
        ).fetchone()
    return int(row[0]) == 0


def test_objects_go_up_and_come_back_down(
    kind: str,
    local: PostgresEngine,
    remote: PostgresEngine,
    make_engine: EngineFactory,
    server: TestServer,
    remote_server: TestServer,
) -> None:
    first = snapshot(local, "t", 50)
    second = snapshot(local, "u", 20, start=40)
    assert local.upload_objects([first, second], remote) == [first, second]
    assert idle_without_locks(remote, remote_server)
    assert sorted(remote.list_objects()) == sorted([first, second])
    assert local.upload_objects([second, first], remote) == []
    third = ready(make_engine(PostgresEngine))
    assert third.download_objects([first, second], remote) == [first, second]
    assert idle_without_locks(third, server)
    third.run_sql("CREATE TABLE public.t (id integer PRIMARY KEY, v text)")
    third.apply_fragments(objects_of([first, second]), "public", "t")
    local.run_sql("CREATE TABLE public.both (LIKE public.t INCLUDING ALL)")
    local.apply_fragments(objects_of([first, second]), "public", "both")
    assert count(third, T) == 59
    rows = third.run_sql("SELECT id, v FROM public.t ORDER BY id")
    assert rows == local.run_sql("SELECT id, v FROM public.both ORDER BY id")
    for engine in (local, remote, third):
        assert fdw_leftovers(engine) == []
    assert transfer_sessions(server) == 0 and transfer_sessions(remote_server) == 0


def test_ids_are_checked_before_anything_moves(
    kind: str, local: PostgresEngine, remote: PostgresEngine
) -> None:
    real = snapshot(local, "t", 5)
    unknown = "o" + "0" * 62
    with pytest.raises(InvalidObjectIdError, match="o123"):
        local.upload_objects([real, "o123"], remote)
    with pytest.raises(ObjectNotFoundError, match=unknown):
        local.upload_objects([real, unknown], remote)
    with pytest.raises(ObjectNotFoundError, match=real):
        local.download_objects([real], remote)
    assert remote.list_objects() == []
    assert not relation_exists(remote, "sg_meta", real)


def test_rows_that_do_not_hash_to_their_id_leave_nothing(
    kind: str, local: PostgresEngine, remote: PostgresEngine, remote_server: TestServer
) -> None:
    kept = snapshot(local, "good", 5)
    damaged = snapshot(local, "t", 5, start=100)
    local.run_sql(
        sql.SQL("UPDATE {} SET v = 'tampered' WHERE id = 101").format(
            sql.Identifier("sg_meta", damaged)
        )
    )
    local.commit()
    with pytest.raises(ObjectIdMismatchError, match=damaged):
        local.upload_objects([kept, damaged], remote)
    assert idle_without_locks(remote, remote_server)
    assert remote.list_objects() == [kept]
    assert not relation_exists(remote, "sg_meta", damaged)
    assert fdw_leftovers(remote) == []


class Terminator(threading.Thread):
    """Terminates a backend once it is busy receiving rows for a transfer."""

    def __init__(self, server: TestServer, pid: int, kind: str) -> None:
        super().__init__(daemon=True)
        self.server, self.pid, self.kind = server, pid, kind
        self.terminated = False
        self.stop = threading.Event()

    def receiving(self, admin: Any) -> bool:
        if self.kind == "copy":
            row = admin.execute(
                "SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = %s", [self.pid]
            ).fetchone()
            return row is not None and int(row[0]) > 1_000  # mid-stream, well before its end
        row = admin.execute(
            "SELECT state = 'active' AND starts_with(query, 'INSERT')"
            " FROM pg_stat_activity WHERE pid = %s",
            [self.pid],
        ).fetchone()
        return row is not None and bool(row[0])

    def run(self) -> None:
        with self.server.admin_connect() as admin:
            deadline = time.monotonic() + 60
            while not self.stop.is_set() and time.monotonic() < deadline:
                if self.receiving(admin):
                    admin.execute("SELECT pg_terminate_backend(%s)", [self.pid])
                    self.terminated = True
                    return
                time.sleep(0.005)


def test_a_receiver_killed_mid_transfer_leaves_nothing_and_the_transfer_repeats(
    kind: str, local: PostgresEngine, remote: PostgresEngine, server: TestServer
) -> None:
    big = snapshot(remote, "big", 200_000)
    pid = backend_pid(local)
    terminator = Terminator(server, pid, kind)
    terminator.start()
    try:
        with pytest.raises(SgError):
            local.download_objects([big], remote)
    finally:
        terminator.stop.set()
        terminator.join()
    assert terminator.terminated
    assert local.list_objects() == []
    assert not relation_exists(local, "sg_meta", big)
    assert fdw_leftovers(local) == []
    assert backend_pid(local) != pid
    assert local.download_objects([big], remote) == [big]
    assert count(local, TableRef("sg_meta", big)) == 200_000


def test_concurrent_transfers_of_one_object_neither_fail_nor_duplicate(
    kind: str, local: PostgresEngine, remote: PostgresEngine
) -> None:
    shared = snapshot(remote, "t", 30_000)
    twins = (
        PostgresEngine(local.conn_params, "twin"),
        PostgresEngine(remote.conn_params, "twin-r"),
    )
    pairs = [(local, remote), twins]
    barrier = threading.Barrier(len(pairs))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def download(destination: PostgresEngine, source: PostgresEngine) -> None:
        try:
            barrier.wait()
            results.append(destination.download_objects([shared], source))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=download, args=pair) for pair in pairs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for twin in twins:
            twin.close()
    assert errors == []
    assert sorted(results) == [[], [shared]]
    assert local.list_objects() == [shared]
    assert count(local, TableRef("sg_meta", shared)) == 30_000


def test_unreachable_remotes_and_wrong_passwords_fail_fast_and_stay_secret(
    kind: str, local: PostgresEngine, remote: PostgresEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    object_id = snapshot(local, "t", 3)
    secret = "Wr0ng-pass-zq9-SECRET"
    closed = {**remote.conn_params, "SG_ENGINE_PORT": str(free_port()), "SG_ENGINE_PWD": secret}
    wrong = {**remote.conn_params, "SG_ENGINE_PWD": secret}
    for params in (closed, wrong):
        other = PostgresEngine(params, "elsewhere")
        assert secret not in repr(other)
        for move in (local.upload_objects, local.download_objects):
            started = time.monotonic()
            with pytest.raises(RemoteEngineError, match="elsewhere") as raised:
                move([object_id], other)
            assert time.monotonic() - started < 10
            assert not [text for text in exception_texts(raised.value) if secret in text]
    assert secret not in caplog.text
    assert remote.list_objects() == []


@pytest.mark.parametrize("fdw_port", ["closed", "other server", "silent"])
def test_a_source_the_destination_server_cannot_reach_is_a_remote_engine_error(
    fdw_port: str,
    local: PostgresEngine,
    remote: PostgresEngine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SG_TRANSPORT", "fdw")
    caplog.set_level(logging.DEBUG)
    object_id = snapshot(remote, "t", 3)
    # The other server knows the same user with another password: authentication fails.
    # The silent one accepts connections and never answers: the connect timeout must end it.
    silent = socket.create_server(("127.0.0.1", 0), backlog=8)
    port = {
        "closed": str(free_port()),
        "other server": local.conn_params["SG_ENGINE_PORT"],
        "silent": str(silent.getsockname()[1]),
    }[fdw_port]
    source = PostgresEngine({**remote.conn_params, "SG_ENGINE_FDW_PORT": port}, "behind-nat")
    started = time.monotonic()
    try:
        with pytest.raises(RemoteEngineError, match="SG_ENGINE_FDW_HOST") as raised:
            local.download_objects([object_id], source)
    finally:
        source.close()
        silent.close()
    assert time.monotonic() - started < 10
    secret = remote.params.password
    assert secret and not [text for text in exception_texts(raised.value) if secret in text]
    assert secret not in caplog.text
    assert local.list_objects() == [] and fdw_leftovers(local) == []


def test_without_postgres_fdw_the_fdw_transport_says_so(
    local: PostgresEngine, remote: PostgresEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SG_TRANSPORT", "fdw")
    object_id = snapshot(remote, "t", 3)
    local.run_sql("DROP EXTENSION postgres_fdw")
    local.commit()
    with pytest.raises(SgError, match="postgres_fdw is not installed"):
        local.download_objects([object_id], remote)
    assert local.list_objects() == []
    local.initialize()
    assert local.download_objects([object_id], remote) == [object_id]


def test_progress_reports_totals_first_and_everything_at_the_end(
    kind: str, local: PostgresEngine, remote: PostgresEngine
) -> None:
    first = snapshot(remote, "t", 4000)
    second = snapshot(remote, "u", 10, start=9000)
    progress = RecordingProgress()
    assert local.download_objects([first, second], remote, progress=progress) == [first, second]
    events = progress.events
    assert events[0] == ("started", 2, 4010)
    assert events[-2:] == [("advanced", 2, 4010), ("finished", 0, 0)]
    advanced = [(objects, rows) for name, objects, rows in events if name == "advanced"]
    assert advanced == sorted(advanced)


def test_transferred_objects_rebuild_the_same_table(
    kind: str, local: PostgresEngine, remote: PostgresEngine
) -> None:
    object_id = snapshot(local, "t", 300)
    local.upload_objects([object_id], remote)
    target = clone_empty(local, T, "rebuilt")
    remote.run_sql("CREATE TABLE public.t (id integer PRIMARY KEY, v text)")
    remote.apply_fragments(objects_of([object_id]), "public", "t")
    remote.commit()
    local.apply_fragments(objects_of([object_id]), "public", "rebuilt")
    assert differences(local, T, target) == 0
    assert remote.run_sql("SELECT count(*) FROM public.t", return_shape=ResultShape.ONE_ONE) == 300


def test_the_source_is_only_read(
    kind: str, local: PostgresEngine, remote: PostgresEngine, remote_server: TestServer
) -> None:
    committed = snapshot(remote, "t", 10)
    assert local.download_objects([committed], remote) == [committed]
    assert idle_without_locks(remote, remote_server)  # idle before: its reads were ended
    pending = snapshot(local, "u", 5, commit=False)
    if kind == "copy":
        assert local.upload_objects([pending], remote) == [pending]
    else:
        with pytest.raises(TableNotFoundError, match="commit on the source first"):
            local.upload_objects([pending], remote)
        assert fdw_leftovers(remote) == []
    # The source's own open transaction went on untouched: rolling it back forgets it.
    assert pending in local.list_objects()
    local.rollback()
    assert local.list_objects() == [committed]


def test_the_fdw_user_mapping_stays_out_of_the_server_log(
    local: PostgresEngine, remote: PostgresEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SG_TRANSPORT", "fdw")
    data_dir = local.run_sql("SHOW data_directory", return_shape=ResultShape.ONE_ONE)
    log = Path(str(data_dir)).parent / "server.log"  # where LocalCluster keeps it
    if not log.is_file():
        pytest.skip("the server log is not readable from here")
    object_id = snapshot(remote, "t", 3)
    local.run_sql("SET log_statement = 'all'")
    local.commit()
    logged_before = log.stat().st_size
    assert local.download_objects([object_id], remote) == [object_id]
    assert local.run_sql("SHOW log_statement", return_shape=ResultShape.ONE_ONE) == "all"
    with log.open("rb") as file:
        file.seek(logged_before)
        written = file.read().decode(errors="replace")
    assert "IMPORT FOREIGN SCHEMA" in written  # statements were being logged
    secret = remote.params.password
    assert secret and secret not in written
