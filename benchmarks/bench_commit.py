"""commit_changes benchmark: committing changed rows vs `CREATE TABLE … AS SELECT` of them.

Run as `.venv/bin/python benchmarks/bench_commit.py [--rows N] [--changed N ...] [--repeat N]`
(default: 1M rows; 100k and 500k changed). It provisions a throwaway cluster, tracks a table,
and per run and size updates that many rows, then times `commit_changes` (resolve the net
changes, store the object, compute its id, register it, discard exactly those changes;
committed) against the baseline: copying the same rows into a new table with
`CREATE TABLE … AS SELECT` (committed). The cluster is removed after.
"""

from __future__ import annotations

import argparse

from measure import best, cluster, timed
from sg import PostgresEngine

TABLE = """CREATE TABLE t (
    id bigint PRIMARY KEY, label text, amount numeric(12, 2), at timestamptz, doc jsonb)"""
FILL = """INSERT INTO t SELECT g, md5(g::text), (g %% 100000) / 7.0,
    timestamptz '2024-01-01' + g * interval '1 second', jsonb_build_object('g', g)
    FROM generate_series(1, %s) g"""
CHANGE = "UPDATE t SET amount = amount + 1, label = label || %s WHERE id %% %s = 0"
COPY = "CREATE TABLE copied AS SELECT * FROM t WHERE id %% %s = 0"


def commit(engine: PostgresEngine) -> str | None:
    """commit_changes, then commit the transaction (releasing the table lock)."""
    object_id = engine.commit_changes("public", "t")
    engine.commit()
    return object_id


def measure(engine: PostgresEngine, rows: int, changed: int, repeat: int) -> tuple[float, float]:
    """Best times of commit_changes and of the baseline for `changed` updated rows."""
    every = rows // changed
    committed, copied = [], []
    for run in range(repeat):
        engine.run_sql(CHANGE, [f"-{run}", every])
        engine.commit()
        copied.append(timed(lambda: (engine.run_sql(COPY, [every]), engine.commit())))
        engine.run_sql("DROP TABLE copied")
        engine.commit()
        ids: list[str | None] = []
        committed.append(timed(lambda ids=ids: ids.append(commit(engine))))
        assert ids[0] is not None and not engine.get_pending_changes("public", "t")
        record = engine.describe_object(ids[0])
        assert record.rows_upserted == changed, record
    return best(committed), best(copied)


def main() -> None:
    """Print the timings and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    with cluster() as server:
        engine = PostgresEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        engine.run_sql(TABLE)
        engine.run_sql(FILL, [options.rows])
        engine.run_sql("ANALYZE t")
        engine.track_tables([("public", "t")])
        engine.commit()

        print(f"rows: {options.rows:,}; best of {options.repeat} runs per size")
        print(f"{'changed rows':>12}  {'commit_changes':>14}  {'CTAS of them':>12}  {'ratio':>6}")
        for changed in options.changed:
            sg_s, base_s = measure(engine, options.rows, changed, options.repeat)
            print(
                f"{changed:>12,}  {sg_s * 1000:>11,.0f} ms  {base_s * 1000:>9,.0f} ms"
                f"  {sg_s / base_s:>5.2f}x"
            )
        engine.close()


if __name__ == "__main__":
    main()
