"""Status benchmark: counting pending changes and `has_pending_changes` vs plain log reads.

Run as `.venv/bin/python benchmarks/bench_status.py [--rows N] [--changed N ...] [--repeat N]`
(default: 1M rows; 100k and 500k changed). It provisions a throwaway cluster, tracks a table
and per size updates that many rows, then times `get_pending_changes(aggregate=True)` (the
net counts) against `SELECT count(*)` over the table's change log and against the floor of
any net count (each key's first log entry: a sort of the log by key), then
`has_pending_changes` with those changes logged, with all of them cancelled out (the log
holds twice as many rows, no net change) and with an empty log, and `compact_pending_changes`
of that log. Then the hot-row case: `--hot-updates` single-row UPDATE statements spread over
`--hot-keys` keys (run server-side, one statement each), the log's size after them, the
compaction's time (commits of the table wait that long; writers do not) and the log's size
after a VACUUM. The cluster is removed after.
"""

from __future__ import annotations

import argparse

import psycopg
from psycopg import sql

from measure import best, cluster, timed
from sg import AuditTriggerChangeEngine, ResultShape

TABLE = """CREATE TABLE t (
    id bigint PRIMARY KEY, label text, amount numeric(12, 2), at timestamptz, doc jsonb)"""
FILL = """INSERT INTO t SELECT g, md5(g::text), (g %% 100000) / 7.0,
    timestamptz '2024-01-01' + g * interval '1 second', jsonb_build_object('g', g)
    FROM generate_series(1, %s) g"""
CHANGE = "UPDATE t SET amount = amount + %s WHERE id %% %s = 0"
LOG = """SELECT format('sg_audit.%I', log_table) FROM sg_audit.tracked_tables
    WHERE relid = 't'::regclass"""
# A DO block takes no parameters: the counts go in as literals.
HOT = sql.SQL("""DO $$ BEGIN FOR i IN 1..{} LOOP
    UPDATE t SET amount = amount + 1 WHERE id = i % {} + 1; END LOOP; END $$""")


def main() -> None:
    """Print the timings and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hot-updates", type=int, default=100_000)
    parser.add_argument("--hot-keys", type=int, default=100)
    options = parser.parse_args()

    with cluster() as server:
        engine = AuditTriggerChangeEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        engine.run_sql(TABLE)
        engine.run_sql(FILL, [options.rows])
        engine.run_sql("ANALYZE t")
        engine.track_tables([("public", "t")])
        engine.commit()
        log = engine.run_sql(LOG, return_shape=ResultShape.ONE_ONE)
        count_log = f"SELECT count(*) FROM {log}"
        # The floor of any net count: finding each key's first entry, a sort of the log by
        # key (c1 is the key), under the settings sg's reads use.
        first_entries = f"""SELECT count(*) FROM (SELECT DISTINCT ON (c1) c1, sg_existed
            FROM {log} ORDER BY c1, sg_seq, sg_existed DESC) AS first"""

        def floor() -> float:
            engine.run_sql("SET work_mem = '256MB'")
            engine.run_sql("SET jit = off")
            spent = best([timed(lambda: engine.run_sql(first_entries))
                          for _ in range(options.repeat)])  # fmt: skip
            engine.rollback()  # the settings go with the transaction
            return spent

        log_bytes = f"SELECT pg_total_relation_size('{log}')"
        params = server.conn_params("bench")
        vacuum = psycopg.connect(
            host=params["SG_ENGINE_HOST"],
            port=int(params["SG_ENGINE_PORT"]),
            user=params["SG_ENGINE_USER"],
            password=params["SG_ENGINE_PWD"],
            dbname="bench",
            autocommit=True,
        )

        def compact() -> float:
            return timed(lambda: (engine.compact_pending_changes("public", "t"), engine.commit()))

        def has_pending() -> float:
            return best([timed(lambda: engine.has_pending_changes("public"))
                         for _ in range(options.repeat)])  # fmt: skip

        print(f"rows: {options.rows:,}; best of {options.repeat} runs")
        print(f"{'changed rows':>12}  {'net counts':>10}  {'count(*) of log':>15}  {'ratio':>6}"
              f"  {'first entries':>13}  {'ratio':>6}"
              f"  {'has_pending':>11}  {'cancelled':>9}  {'compact':>9}")  # fmt: skip
        for changed in options.changed:
            every = options.rows // changed
            engine.run_sql(CHANGE, [1, every])
            engine.commit()
            counted = best([timed(lambda: engine.get_pending_changes("public", "t", True))
                            for _ in range(options.repeat)])  # fmt: skip
            baseline = best([timed(lambda: engine.run_sql(count_log))
                             for _ in range(options.repeat)])  # fmt: skip
            sorted_log = floor()
            assert engine.get_pending_changes("public", "t", aggregate=True) == (0, 0, changed)
            pending = has_pending()
            engine.run_sql(CHANGE, [-1, every])
            engine.commit()
            assert not engine.has_pending_changes("public")
            cancelled = has_pending()
            compacted = compact()
            engine.discard_pending_changes("public")
            engine.commit()
            print(f"{changed:>12,}  {counted * 1000:>7,.0f} ms  {baseline * 1000:>12,.0f} ms"
                  f"  {counted / baseline:>5.2f}x  {sorted_log * 1000:>10,.0f} ms"
                  f"  {counted / sorted_log:>5.2f}x  {pending * 1000:>8,.1f} ms"
                  f"  {cancelled * 1000:>6,.1f} ms  {compacted * 1000:>6,.0f} ms")  # fmt: skip
        print(f"has_pending_changes with an empty log: {has_pending() * 1000:,.1f} ms")

        engine.run_sql(HOT.format(sql.Literal(options.hot_updates), sql.Literal(options.hot_keys)))
        engine.commit()
        grown = engine.run_sql(log_bytes, return_shape=ResultShape.ONE_ONE)
        entries = engine.run_sql(count_log, return_shape=ResultShape.ONE_ONE)
        pending = engine.get_pending_changes("public", "t", aggregate=True)
        compacted = compact()
        assert engine.get_pending_changes("public", "t", aggregate=True) == pending
        kept = engine.run_sql(count_log, return_shape=ResultShape.ONE_ONE)
        engine.rollback()
        vacuum.execute(f"VACUUM {log}")
        shrunk = engine.run_sql(log_bytes, return_shape=ResultShape.ONE_ONE)
        print(f"hot rows: {options.hot_updates:,} single-row updates of {options.hot_keys:,}"
              f" keys: log {grown / 2**20:,.1f} MiB ({entries:,} entries); compaction"
              f" {compacted * 1000:,.0f} ms, {kept:,} entries left; after VACUUM"
              f" {shrunk / 2**10:,.0f} KiB")  # fmt: skip
        vacuum.close()
        engine.close()


if __name__ == "__main__":
    main()
