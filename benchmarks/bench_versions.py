"""Version benchmarks: commit, checkout of a long chain, log of many versions, storage.

Run as `.venv/bin/python benchmarks/bench_versions.py [--rows N] [--repeat N] [--versions N]`.
It provisions a throwaway cluster and prints sg, the baseline and their ratio for:
- commit of a schema whose `--rows`-row table had 10% of its rows changed, vs
  `CREATE TABLE … AS SELECT` of the changed rows;
- checkout (into a new schema) of a version whose chain is a base and 10 patches of 1% each,
  vs `CREATE TABLE … (LIKE … INCLUDING ALL)` + `INSERT … SELECT` of the final rows;
- `log` of `--versions` versions: the library call, and a new process that imports sg,
  connects and lists them (start-up included);
- storage of those 10 versions (the whole history) vs 10 full copies of the table;
- diff of the last two of those versions (1% of the rows changed) from the objects, vs the
  same diff with both versions built whole (`materialize=True`);
- with `--sweep`, checkout vs `INSERT … SELECT` as the patches grow (0.1 to 0.6 of the base's
  rows, in patches of 10%) and as the chain grows (8, 16 and 32 patches of 1%): the
  measurements behind `CompactionPolicy`'s defaults.
`--only commit,chain,threshold,log,sweep` runs some sections. The cluster is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from psycopg import sql

from measure import best, cluster, timed
from sg import PostgresEngine, VersionedSchema
from sg.domain.versions import Version, VersionId, derive_version_id

TABLE = """CREATE TABLE {s}.t (
    id bigint PRIMARY KEY, label text, amount numeric(12, 2), at timestamptz, doc jsonb)"""
FILL = """INSERT INTO {s}.t SELECT g, md5(g::text), (g %% 100000) / 7.0,
    timestamptz '2024-01-01' + g * interval '1 second', jsonb_build_object('g', g)
    FROM generate_series(1, %s) g"""
CHANGE = "UPDATE {s}.t SET amount = amount + 1, label = label || %s WHERE id %% %s = %s"
LOG_CHILD = """
import json, sys, time
start = time.perf_counter()
from sg import PostgresEngine, VersionedSchema
engine = PostgresEngine(json.loads(sys.argv[1]), "log")
count = len(VersionedSchema(engine, "history").log())
print(count, time.perf_counter() - start)
"""


def schema_with_table(engine: PostgresEngine, schema: str, rows: int) -> VersionedSchema:
    engine.run_sql(f"CREATE SCHEMA {schema}")
    engine.run_sql(TABLE.format(s=schema))
    engine.run_sql(FILL.format(s=schema), [rows])
    engine.run_sql(f"ANALYZE {schema}.t")
    versioned = VersionedSchema(engine, schema)
    versioned.init()
    engine.commit()
    return versioned


def bench_commit(engine: PostgresEngine, rows: int, repeat: int) -> None:
    versioned = schema_with_table(engine, "c", rows)
    committed, copied = [], []
    for run in range(repeat):
        engine.run_sql(CHANGE.format(s="c"), [f"-{run}", 10, run])
        engine.commit()
        copy = f"CREATE TABLE c.copied AS SELECT * FROM c.t WHERE id % 10 = {run}"
        copied.append(timed(lambda copy=copy: (engine.run_sql(copy), engine.commit())))
        engine.run_sql("DROP TABLE c.copied")
        engine.commit()
        committed.append(timed(lambda: (versioned.commit("ten percent"), engine.commit())))
    report("commit, 10% of rows changed", best(committed), "CREATE TABLE AS SELECT", best(copied))


def chain_of(engine: PostgresEngine, schema: str, rows: int, patches: int, every: int) -> None:
    """A versioned table whose latest chain is a base and `patches` patches of 1/`every`."""
    versioned = schema_with_table(engine, schema, rows)
    for patch in range(patches):
        engine.run_sql(CHANGE.format(s=schema), [f"-{patch}", every, patch])
        versioned.commit(f"patch {patch}")
        engine.commit()
    chain = versioned.show("latest").tables[0].chain
    assert len(chain) == patches + 1, f"expected {patches} patches, got {len(chain) - 1}"


def bench_checkout(engine: PostgresEngine, schema: str, repeat: int, what: str) -> None:
    versioned = VersionedSchema(engine, schema)
    checked, copied = [], []
    for run in range(repeat):
        into = f"{schema}_out{run}"
        checked.append(timed(lambda into=into: (versioned.checkout(into=into), engine.commit())))
        plain = sql.SQL(
            "CREATE SCHEMA {p}; CREATE TABLE {t} (LIKE {s} INCLUDING ALL);"
            " INSERT INTO {t} SELECT * FROM {s}"
        ).format(
            p=sql.Identifier(f"{schema}_plain{run}"),
            t=sql.Identifier(f"{schema}_plain{run}", "t"),
            s=sql.Identifier(schema, "t"),
        )
        copied.append(timed(lambda plain=plain: (engine.run_sql(plain), engine.commit())))
    report(what, best(checked), "INSERT … SELECT", best(copied))


def bench_chain(engine: PostgresEngine, rows: int, repeat: int) -> None:
    chain_of(engine, "h", rows, patches=10, every=100)
    bench_checkout(engine, "h", repeat, "checkout of a 10-patch chain")
    versioned = VersionedSchema(engine, "h")

    history = sum(s.own_bytes for s in versioned.storage())
    table = engine.get_table_size("h", "t")
    print(
        f"{'storage of 10 versions, 1% each':38} {history / 2**20:8,.1f} MiB | "
        f"{'10 full copies':24} {10 * table / 2**20:8,.1f} MiB | "
        f"ratio {history / (10 * table):6.2f}x"
    )
    bench_diff(engine, versioned, repeat)


def bench_diff(engine: PostgresEngine, versioned: VersionedSchema, repeat: int) -> None:
    """Diff of two consecutive versions (1% of the rows changed): from the objects vs built."""
    newer, older = (v.version_id for v in versioned.log()[:2])
    service = engine.versions
    changed = len(service.diff(versioned.schema, older, newer)[0].changes)
    from_objects, built = [], []
    for _ in range(repeat):
        from_objects.append(timed(lambda: service.diff(versioned.schema, older, newer)))
        engine.commit()
        built.append(timed(lambda: service.diff(versioned.schema, older, newer, materialize=True)))
        engine.commit()
    report(f"diff, 2 versions, {changed:,} changed", best(from_objects), "both built", best(built))


def bench_threshold(engine: PostgresEngine, rows: int, repeat: int) -> None:
    """Checkout at the default compaction threshold: patches of 0.4 of the base's rows."""
    chain_of(engine, "w", rows, patches=4, every=10)
    bench_checkout(engine, "w", repeat, "checkout, 4 patches of 10% (threshold)")


def bench_sweep(engine: PostgresEngine, rows: int, repeat: int) -> None:
    """Checkout vs `INSERT … SELECT` as patches and chains grow (compaction kept off)."""
    policy = engine.versions.policy
    engine.versions.policy = policy._replace(max_patch_ratio=1e9, max_chain=1_000)
    try:
        for patches in range(1, 7):
            schema = f"sweep_r{patches}"
            chain_of(engine, schema, rows, patches=patches, every=10)
            bench_checkout(engine, schema, repeat, f"checkout, patches {patches / 10:.1f} of base")
            drop_copies(engine, schema, repeat)
        for patches in (8, 16, 32):
            schema = f"sweep_n{patches}"
            chain_of(engine, schema, rows, patches=patches, every=100)
            bench_checkout(engine, schema, repeat, f"checkout, {patches} patches of 1%")
            drop_copies(engine, schema, repeat)
    finally:
        engine.versions.policy = policy


def drop_copies(engine: PostgresEngine, schema: str, repeat: int) -> None:
    """Drop the tables a sweep step made (its objects stay, for the versions)."""
    for run in range(repeat):
        for copy in (f"{schema}_out{run}", f"{schema}_plain{run}"):
            engine.run_sql(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(copy)))
    engine.run_sql(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    engine.commit()


def bench_log(engine: PostgresEngine, versions: int) -> None:
    versioned = schema_with_table(engine, "history", 10)
    first = versioned.show("latest")
    parent, created = first.version_id, first.created_at
    for n in range(versions - 1):
        created += timedelta(seconds=1)
        tables = first.tables
        version_id = derive_version_id("history", parent, created, "bench", f"v{n}", tables)
        engine.versions._store.add(
            Version(version_id, "history", parent, created, "bench", f"v{n}", tables)
        )
        parent = VersionId(version_id)
    engine.commit()
    runs = [timed(versioned.log) for _ in range(5)]
    assert len(versioned.log()) == versions
    label = f"log of {versions:,} versions (library)"
    print(f"{label:38} {best(runs) * 1000:8,.1f} ms")
    params = json.dumps(engine.conn_params)
    outer = []
    for _ in range(3):
        out = ""

        def child() -> None:
            nonlocal out
            out = subprocess.run(
                [sys.executable, "-c", LOG_CHILD, params],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ},
            ).stdout

        outer.append(timed(child))
        assert int(out.split()[0]) == versions
    print(f"{'log, new process incl. start-up':38} {best(outer) * 1000:8,.1f} ms")


def report(what: str, sg_s: float, baseline: str, base_s: float) -> None:
    print(
        f"{what:38} {sg_s * 1000:8,.0f} ms | {baseline:24} {base_s * 1000:8,.0f} ms | "
        f"ratio {sg_s / base_s:6.2f}x"
    )


def main() -> None:
    """Print the timings and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--only", default="commit,chain,threshold,log")
    parser.add_argument("--sweep", action="store_true", help="also run the threshold sweep")
    options = parser.parse_args()
    sections = set(options.only.split(",")) | ({"sweep"} if options.sweep else set())
    print(f"rows: {options.rows:,}; best of {options.repeat}; {datetime.now(UTC):%Y-%m-%d}")
    with cluster() as server:
        engine = PostgresEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        engine.commit()
        if "commit" in sections:
            bench_commit(engine, options.rows, options.repeat)
        if "chain" in sections:
            bench_chain(engine, options.rows, options.repeat)
        if "threshold" in sections:
            bench_threshold(engine, options.rows, options.repeat)
        if "sweep" in sections:
            bench_sweep(engine, options.rows, options.repeat)
        if "log" in sections:
            bench_log(engine, options.versions)
        engine.close()


if __name__ == "__main__":
    main()
