"""Write overhead of change tracking, and the cost of reading pending changes.

Runs on a throwaway local cluster: the same workloads on a tracked and an untracked copy
of one table, each inside a transaction that is rolled back (and both tables vacuumed) so
every repetition starts from the same rows. Prints each slowdown, their geometric mean,
and `get_pending_changes` for N/10 changed rows against fetching those rows into Python.

    .venv/bin/python benchmarks/bench_tracking.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from psycopg import sql

from sg import AuditTriggerChangeEngine, ResultShape
from sg.adapters.provisioning.local_cluster import LocalCluster

TRACKED = "bench_tracked"
PLAIN = "bench_plain"
MEAN_TARGET = 2.0
READ_TARGET = 2.0

Workload = Callable[[AuditTriggerChangeEngine, str], None]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table")
    parser.add_argument("--repeat", type=int, default=5, help="runs per workload (best counts)")
    parser.add_argument(
        "--work-mem",
        help="work_mem of the writing session (default: the server's, 4MB); transition "
        "tables larger than it spill to disk",
    )
    return parser.parse_args()


def load(engine: AuditTriggerChangeEngine, rows: int) -> None:
    engine.run_sql(
        sql.SQL(
            """CREATE TABLE {} (id int PRIMARY KEY, name text, score float8, at timestamptz,
                doc jsonb)"""
        ).format(sql.Identifier(TRACKED))
    )
    engine.run_sql(
        sql.SQL(
            """INSERT INTO {} SELECT i, 'name ' || i, i * 0.5,
                timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second',
                jsonb_build_object('i', i, 'tag', 'tag' || (i %% 100), 'odd', i %% 2 = 1)
            FROM generate_series(1, %s) AS i"""
        ).format(sql.Identifier(TRACKED)),
        [rows],
    )
    engine.run_sql(
        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
            sql.Identifier(PLAIN), sql.Identifier(TRACKED)
        )
    )
    engine.run_sql(
        sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
            sql.Identifier(PLAIN), sql.Identifier(TRACKED)
        )
    )
    engine.track_tables([("public", TRACKED)])
    engine.commit()
    vacuum(engine, TRACKED, PLAIN)


def quiet_server(engine: AuditTriggerChangeEngine) -> None:
    """No autovacuum or timed checkpoints in the middle of a measurement (both tables alike)."""
    conn = engine.connection
    engine.commit()
    conn.autocommit = True
    try:
        conn.execute("ALTER SYSTEM SET autovacuum = off")
        conn.execute("ALTER SYSTEM SET checkpoint_timeout = '1h'")
        conn.execute("SELECT pg_reload_conf()")
    finally:
        conn.autocommit = False


def vacuum(engine: AuditTriggerChangeEngine, *tables: str) -> None:
    conn = engine.connection
    engine.commit()
    conn.autocommit = True
    try:
        for table in tables:
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
        for (log,) in conn.execute(
            "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables"
            " WHERE schemaname = 'sg_audit' AND relname LIKE 'log\\_%'"
        ).fetchall():
            conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(log)))
        conn.execute("CHECKPOINT")
    finally:
        conn.autocommit = False


def workloads(rows: int) -> dict[str, Workload]:
    batch = max(rows // 10, 1)
    few = max(rows // 100, 1)

    def insert(engine: AuditTriggerChangeEngine, table: str) -> None:
        engine.run_sql(
            sql.SQL(
                """INSERT INTO {} SELECT i, 'new ' || i, i * 0.25, now(),
                    jsonb_build_object('i', i) FROM generate_series(%s, %s) AS i"""
            ).format(sql.Identifier(table)),
            [rows + 1, rows + batch],
        )

    def update(engine: AuditTriggerChangeEngine, table: str) -> None:
        engine.run_sql(
            sql.SQL("UPDATE {} SET score = score + 1, name = name || '!' WHERE id <= %s").format(
                sql.Identifier(table)
            ),
            [batch],
        )

    def delete(engine: AuditTriggerChangeEngine, table: str) -> None:
        engine.run_sql(
            sql.SQL("DELETE FROM {} WHERE id > %s AND id <= %s").format(sql.Identifier(table)),
            [batch, 2 * batch],
        )

    def single_updates(engine: AuditTriggerChangeEngine, table: str) -> None:
        statement = sql.SQL("UPDATE {} SET score = %s WHERE id = %s").format(sql.Identifier(table))
        with engine.connection.cursor() as cursor:
            for i in range(few):
                cursor.execute(statement, [i * 0.1, 1 + (i * 7919) % rows])

    def key_change(engine: AuditTriggerChangeEngine, table: str) -> None:
        engine.run_sql(
            sql.SQL("UPDATE {} SET id = id + %s WHERE id > %s AND id <= %s").format(
                sql.Identifier(table)
            ),
            [10 * rows, 3 * batch, 3 * batch + few],
        )

    return {
        f"insert {batch:,} rows": insert,
        f"update {batch:,} rows": update,
        f"delete {batch:,} rows": delete,
        f"{few:,} single-row updates": single_updates,
        f"key-changing update of {few:,} rows": key_change,
    }


def timed(engine: AuditTriggerChangeEngine, workload: Workload, table: str) -> float:
    engine.rollback()
    start = time.perf_counter()
    workload(engine, table)
    elapsed = time.perf_counter() - start
    engine.rollback()
    return elapsed


def measure_writes(engine: AuditTriggerChangeEngine, rows: int, repeat: int) -> list[float]:
    ratios = []
    print(f"{'workload':<36}{'untracked':>12}{'tracked':>12}{'slowdown':>10}")
    for name, workload in workloads(rows).items():
        best = {TRACKED: math.inf, PLAIN: math.inf}
        for run in range(repeat):
            order = (PLAIN, TRACKED) if run % 2 == 0 else (TRACKED, PLAIN)
            for table in order:
                best[table] = min(best[table], timed(engine, workload, table))
            vacuum(engine, TRACKED, PLAIN)
        ratio = best[TRACKED] / best[PLAIN]
        ratios.append(ratio)
        print(f"{name:<36}{ms(best[PLAIN]):>12}{ms(best[TRACKED]):>12}{ratio:>9.2f}x")
    return ratios


def measure_read(engine: AuditTriggerChangeEngine, rows: int, repeat: int) -> float:
    batch = max(rows // 10, 1)
    engine.run_sql(
        sql.SQL("UPDATE {} SET score = score + 1 WHERE id <= %s").format(sql.Identifier(TRACKED)),
        [batch],
    )
    engine.commit()
    fetch = sql.SQL("SELECT * FROM {} WHERE id <= %s").format(sql.Identifier(TRACKED))
    pending = plain = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        changes = engine.get_pending_changes("public", TRACKED)
        pending = min(pending, time.perf_counter() - start)
        start = time.perf_counter()
        fetched = engine.run_sql(fetch, [batch], ResultShape.MANY_MANY)
        plain = min(plain, time.perf_counter() - start)
        engine.rollback()
        assert len(changes) == len(fetched) == batch, (len(changes), len(fetched))
    ratio = pending / plain
    print(
        f"\nget_pending_changes for {batch:,} changed rows: {ms(pending)}; "
        f"fetching those rows: {ms(plain)}; ratio {ratio:.2f}x (target <= {READ_TARGET}x)"
    )
    return ratio


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> int:
    args = parse_args()
    base = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    cluster = LocalCluster.create(base)
    try:
        cluster.start()
        params = cluster.conn_params("sg_bench")
        engine = AuditTriggerChangeEngine(params, "bench")
        engine.initialize()
        quiet_server(engine)
        if args.work_mem:
            engine.run_sql("SELECT set_config('work_mem', %s, false)", [args.work_mem])
        print(f"loading {args.rows:,} rows into two tables ...", flush=True)
        load(engine, args.rows)
        ratios = measure_writes(engine, args.rows, args.repeat)
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"{'geometric mean':<60}{mean:>9.2f}x (target <= {MEAN_TARGET}x)")
        read_ratio = measure_read(engine, args.rows, args.repeat)
        engine.close()
        met = mean <= MEAN_TARGET and read_ratio <= READ_TARGET
        print("targets met" if met else "targets missed")
        return 0
    finally:
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
