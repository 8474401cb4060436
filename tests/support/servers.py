"""PostgreSQL servers for the integration tests: SG_TEST_DSN, local clusters or containers."""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from sg.adapters.provisioning.local_cluster import LocalCluster, reap_orphans
from sg.adapters.provisioning.pg_binaries import find_bin_dir

CLUSTER_PREFIX = "sg-test-"
DOCKER_PING_TIMEOUT_S = 2


@dataclass
class TestServer:
    """One server the tests may create databases on."""

    __test__ = False  # not a pytest test class

    label: str
    base_params: dict[str, str]
    psql: str | None = None
    log_file: Path | None = None
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def params(self, dbname: str) -> dict[str, str]:
        """`SG_ENGINE_*` parameters for database `dbname` on this server."""
        return {**self.base_params, "SG_ENGINE_DB_NAME": dbname}

    def admin_connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit superuser connection to `dbname`."""
        p = self.params(dbname)
        return psycopg.connect(
            host=p["SG_ENGINE_HOST"],
            port=int(p["SG_ENGINE_PORT"]),
            user=p["SG_ENGINE_USER"],
            password=p.get("SG_ENGINE_PWD"),
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self) -> str:
        """A new, empty database with a unique name."""
        name = f"sgt_{uuid.uuid4().hex[:12]}"
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing its sessions; missing is fine."""
        with self.admin_connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop and remove the server if the tests own it."""
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def provision_servers(count: int = 2) -> list[TestServer]:
    """`count` independent servers (or one shared server when SG_TEST_DSN is set)."""
    dsn = os.environ.get("SG_TEST_DSN")
    if dsn:
        return [_dsn_server(dsn)] * count
    backend = os.environ.get("SG_TEST_BACKEND", "auto")
    if backend == "docker" or (backend == "auto" and not _local_binaries() and _docker_answers()):
        return [_container_server(i) for i in range(count)]
    reap_orphans(CLUSTER_PREFIX)
    servers: list[TestServer] = []
    try:
        for i in range(count):
            servers.append(_cluster_server(i))
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def _dsn_server(dsn: str) -> TestServer:
    info = conninfo_to_dict(dsn)
    params = {
        "SG_ENGINE_HOST": str(info.get("host", "localhost")),
        "SG_ENGINE_PORT": str(info.get("port", 5432)),
        "SG_ENGINE_USER": str(info.get("user", "postgres")),
        "SG_ENGINE_PWD": str(info.get("password", "")),
        "SG_ENGINE_DB_NAME": str(info.get("dbname", "postgres")),
        "SG_ENGINE_POSTGRES_DB_NAME": str(info.get("dbname", "postgres")),
    }
    return TestServer("dsn", params, psql=_psql_path())


def provision_cluster(label: str, settings: Mapping[str, str]) -> TestServer:
    """A throwaway local cluster with extra `postgresql.conf` settings (values spelt as that
    file spells them); the caller stops it."""
    return _cluster_server(label, settings)


def _cluster_server(index: int | str, settings: Mapping[str, str] | None = None) -> TestServer:
    base = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX))
    cluster = LocalCluster.create(base, settings=settings)
    try:
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    atexit.register(cluster.destroy)  # a last resort if the session ends without teardown
    psql = cluster.bin_dir / "psql"
    return TestServer(
        f"cluster{index}",
        cluster.conn_params(),
        psql=str(psql) if psql.is_file() else _psql_path(),
        log_file=cluster.log_file,
        _stop=cluster.destroy,
    )


def _container_server(index: int) -> TestServer:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        "postgres:16-alpine", username="sg", password="sg-test", dbname="postgres"
    )
    container.start()
    atexit.register(container.stop)
    params = {
        "SG_ENGINE_HOST": container.get_container_host_ip(),
        "SG_ENGINE_PORT": str(container.get_exposed_port(5432)),
        "SG_ENGINE_USER": "sg",
        "SG_ENGINE_PWD": "sg-test",
        "SG_ENGINE_DB_NAME": "postgres",
        "SG_ENGINE_POSTGRES_DB_NAME": "postgres",
    }
    return TestServer(f"container{index}", params, psql=_psql_path(), _stop=container.stop)


def _local_binaries() -> bool:
    try:
        find_bin_dir()
    except Exception:
        return False
    return True


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=DOCKER_PING_TIMEOUT_S)
        return bool(client.ping())
    except Exception:
        return False


def _psql_path() -> str | None:
    import shutil

    return shutil.which("psql")
