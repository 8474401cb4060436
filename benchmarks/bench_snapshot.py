"""Snapshot and checkout benchmark: sg vs `CREATE TABLE … AS SELECT` plus a primary key.

Run as `.venv/bin/python benchmarks/bench_snapshot.py [--rows N ...] [--patches N ...]
[--repeat N]` (default: 1M and 2M rows; base + 1 and base + 10 patches). Per size it
provisions nothing new: one throwaway cluster serves every size. It times `snapshot_table`
of a tracked table (the whole table as one object, id included; committed) against the
baseline `CREATE TABLE … AS SELECT` of it plus `ADD PRIMARY KEY` (committed); then, after
committing patches of 1% of the rows each (updates, deletes, inserts), `checkout_objects`
of base + N patches into a fresh table against the same baseline over the live table.
"""

from __future__ import annotations

import argparse

from measure import best, cluster, timed
from sg import PostgresEngine, ResultShape

TABLE = """CREATE TABLE t (
    id bigint PRIMARY KEY, label text, amount numeric(12, 2), at timestamptz, doc jsonb)"""
FILL = """INSERT INTO t SELECT g, md5(g::text), (g %% 100000) / 7.0,
    timestamptz '2024-01-01' + g * interval '1 second', jsonb_build_object('g', g)
    FROM generate_series(1, %s) g"""
PATCH = [
    "UPDATE t SET amount = amount + 1 WHERE id %% 100 = %s",
    "DELETE FROM t WHERE id %% 1000 = %s + 500",
    "INSERT INTO t SELECT -g * 100 - %s, 'new', 0, now(), '{}' FROM generate_series(1, %s) g",
]
COPY = ["CREATE TABLE copied AS SELECT * FROM t", "ALTER TABLE copied ADD PRIMARY KEY (id)"]


def baseline(engine: PostgresEngine) -> float:
    """CTAS of the live table plus its primary key, committed, then dropped."""
    spent = timed(lambda: ([engine.run_sql(s) for s in COPY], engine.commit()))
    engine.run_sql("DROP TABLE copied")
    engine.commit()
    return spent


def snapshot(engine: PostgresEngine, ids: list[str]) -> None:
    """snapshot_table, committed; its id is appended to `ids`."""
    ids.append(engine.snapshot_table("public", "t"))
    engine.commit()


def checkout(engine: PostgresEngine, ids: list[str]) -> float:
    """checkout_objects into a fresh table, committed, then dropped."""
    spent = timed(lambda: (engine.checkout_objects(ids, "public", "rebuilt"), engine.commit()))
    assert engine.run_sql(
        "SELECT count(*) FROM rebuilt", return_shape=ResultShape.ONE_ONE
    ) == engine.run_sql("SELECT count(*) FROM t", return_shape=ResultShape.ONE_ONE)
    engine.run_sql("DROP TABLE rebuilt")
    engine.commit()
    return spent


def main() -> None:
    """Print the timings and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--patches", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()

    with cluster() as server:
        engine = PostgresEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        print(f"best of {options.repeat} runs; baseline: CREATE TABLE AS SELECT + PRIMARY KEY")
        print(f"{'rows':>10}  {'operation':<22}  {'sg':>9}  {'baseline':>9}  {'ratio':>6}")
        for rows in options.rows:
            engine.run_sql("DROP TABLE IF EXISTS t")
            engine.run_sql(TABLE)
            engine.run_sql(FILL, [rows])
            engine.run_sql("ANALYZE t")
            engine.commit()
            snapshots, copies = [], []
            for _ in range(options.repeat):
                copies.append(baseline(engine))
                ids: list[str] = []
                snapshots.append(timed(lambda ids=ids: snapshot(engine, ids)))
            _report(rows, "snapshot", best(snapshots), best(copies))
            chain = ids[:1]
            engine.track_tables([("public", "t")])
            engine.commit()
            for patches in options.patches:
                while len(chain) < patches + 1:
                    step = len(chain)
                    engine.run_sql(PATCH[0], [step])
                    engine.run_sql(PATCH[1], [step])
                    engine.run_sql(PATCH[2], [step, rows // 100])
                    object_id = engine.commit_changes("public", "t")
                    engine.commit()
                    assert object_id is not None
                    chain.append(object_id)
                checkouts = [checkout(engine, chain) for _ in range(options.repeat)]
                copies = [baseline(engine) for _ in range(options.repeat)]
                _report(rows, f"checkout base + {patches}", best(checkouts), best(copies))
            engine.untrack_tables([("public", "t")])
            engine.commit()
        engine.close()


def _report(rows: int, label: str, sg_s: float, base_s: float) -> None:
    print(
        f"{rows:>10,}  {label:<22}  {sg_s * 1000:>6,.0f} ms  {base_s * 1000:>6,.0f} ms"
        f"  {sg_s / base_s:>5.2f}x",
        flush=True,
    )


if __name__ == "__main__":
    main()
