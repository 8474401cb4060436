"""Concurrency benchmark: pgbench's TPC-B-like script on tracked vs untracked tables.

Run as `.venv/bin/python benchmarks/bench_concurrency.py [--clients N] [--scale N]
[--seconds N] [--repeat N]` (default: 50 clients, scale 10, 20 s per run, 3 runs each). It
provisions a throwaway cluster, initialises pgbench's tables, and alternates runs with the
four tables untracked and tracked (pending changes discarded between runs), printing the
best throughput of each and their ratio. pgbench is taken from the cluster's binaries.

Two floors run in the same rotation, to say what any statement-level capture costs here:
`bare triggers` puts on each table the statement triggers sg uses (a BEFORE trigger and
AFTER triggers with the same transition tables) with bodies that do nothing; `log only`
has them append the transition rows to an unindexed table, as sg's capture does, without
sg's guards (SECURITY DEFINER, pinned settings, the column check) or its log position.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from collections.abc import Callable

from psycopg import sql

from measure import cluster
from sg import AuditTriggerChangeEngine, ResultShape
from sg.adapters.provisioning.local_cluster import LocalCluster

TABLES = [("public", f"pgbench_{name}") for name in ("accounts", "branches", "tellers", "history")]
TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")


def pgbench(server: LocalCluster, *args: str) -> str:
    """Run pgbench against the cluster's `bench` database; return its output."""
    params = server.conn_params("bench")
    env = {**os.environ, "PGPASSWORD": params["SG_ENGINE_PWD"]}
    command = [
        str(server.bin_dir / "pgbench"),
        *("-h", params["SG_ENGINE_HOST"], "-p", params["SG_ENGINE_PORT"]),
        *("-U", params["SG_ENGINE_USER"], *args, params["SG_ENGINE_DB_NAME"]),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def throughput(server: LocalCluster, clients: int, seconds: int) -> float:
    """Transactions per second of one run (initial connection time excluded)."""
    output = pgbench(server, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds))
    found = TPS.search(output)
    assert found is not None, output
    return float(found.group(1))


def _with_engine(server: LocalCluster, action: Callable[[AuditTriggerChangeEngine], None]) -> None:
    """Run `action` on an engine of the bench database and commit it."""
    engine = AuditTriggerChangeEngine(server.conn_params("bench"), "bench")
    try:
        action(engine)
        engine.commit()
    finally:
        engine.close()


def _execute(server: LocalCluster, statements: list[sql.Composable]) -> None:
    def run(engine: AuditTriggerChangeEngine) -> None:
        for statement in statements:
            engine.run_sql(statement, return_shape=ResultShape.NONE)

    _with_engine(server, run)


def _floor_triggers(server: LocalCluster, log_rows: bool) -> None:
    """Put the floor variant's triggers on the pgbench tables."""
    statements: list[sql.Composable] = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS bench_floor"),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION bench_floor.nothing() RETURNS trigger "
            "LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$"
        ),
    ]
    for schema, name in TABLES:
        table = sql.Identifier(schema, name)
        log = sql.Identifier("bench_floor", f"log_{name}")
        statements.append(sql.SQL("CREATE TABLE IF NOT EXISTS {} (LIKE {})").format(log, table))
        statements.append(
            sql.SQL(
                "CREATE TRIGGER floor_begin BEFORE INSERT OR UPDATE OR DELETE ON {} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bench_floor.nothing()"
            ).format(table)
        )
        for op, referencing, body in (
            ("INSERT", "NEW TABLE AS sg_new", "INSERT INTO {log} SELECT * FROM sg_new;"),
            (
                "UPDATE",
                "OLD TABLE AS sg_old NEW TABLE AS sg_new",
                "INSERT INTO {log} SELECT * FROM sg_old; INSERT INTO {log} SELECT * FROM sg_new;",
            ),
            ("DELETE", "OLD TABLE AS sg_old", "INSERT INTO {log} SELECT * FROM sg_old;"),
        ):
            function = sql.Identifier("bench_floor", f"{name}_{op.lower()}")
            code = sql.SQL(body).format(log=log) if log_rows else sql.SQL("")
            statements.append(
                sql.SQL(
                    "CREATE OR REPLACE FUNCTION {} () RETURNS trigger LANGUAGE plpgsql AS {}"
                ).format(
                    function,
                    sql.Literal(f"BEGIN {code.as_string(None)} RETURN NULL; END"),
                )
            )
            statements.append(
                sql.SQL(
                    "CREATE TRIGGER {} AFTER {} ON {} REFERENCING {} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {}()"
                ).format(
                    sql.Identifier(f"floor_{op.lower()}"),
                    sql.SQL(op),
                    table,
                    sql.SQL(referencing),
                    function,
                )
            )
    _execute(server, statements)


def _drop_floor(server: LocalCluster) -> None:
    # CASCADE: the triggers go with the functions they call.
    _execute(server, [sql.SQL("DROP SCHEMA IF EXISTS bench_floor CASCADE")])


def main() -> None:
    """Print the throughputs of each variant and their ratios to the untracked one."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    with cluster() as server:
        engine = AuditTriggerChangeEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        engine.commit()
        pgbench(server, "-i", "-q", "-s", str(options.scale))
        engine.close()

        def track() -> None:
            _with_engine(server, lambda e: e.track_tables(TABLES))

        def untrack() -> None:
            def drop(e: AuditTriggerChangeEngine) -> None:
                assert e.has_pending_changes("public")
                e.untrack_tables(TABLES)

            _with_engine(server, drop)

        variants: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
            "untracked": (lambda: None, lambda: None),
            "bare triggers": (lambda: _floor_triggers(server, False), lambda: _drop_floor(server)),
            "log only": (lambda: _floor_triggers(server, True), lambda: _drop_floor(server)),
            "tracked by sg": (track, untrack),
        }
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(options.repeat):
            for name, (setup, teardown) in variants.items():
                setup()
                runs[name].append(throughput(server, options.clients, options.seconds))
                teardown()
    print(f"pgbench TPC-B-like, {options.clients} clients, scale {options.scale}, "
          f"{options.seconds} s per run; best of {options.repeat}")  # fmt: skip
    base = max(runs["untracked"])
    for name, values in runs.items():
        print(f"{name:<16}{max(values):>8,.0f} tps  {max(values) / base:.2f}x")


if __name__ == "__main__":
    main()
