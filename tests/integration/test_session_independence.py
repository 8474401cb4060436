"""sg's reads and writes mean the same under any session settings, and leave the user's alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sg import Change, ChangeKind, PostgresEngine, ResultShape
from tests.support.engines import EngineFactory


@pytest.fixture
def engine(make_engine: EngineFactory) -> Iterator[PostgresEngine]:
    e = make_engine(PostgresEngine)
    e.initialize()
    yield e


SETTINGS = [
    "SET client_encoding = 'SQL_ASCII'",
    "SET client_encoding = 'LATIN1'",
    "SET DateStyle = 'German, DMY'",
    "SET DateStyle = 'SQL, DMY'",
    "SET IntervalStyle = 'sql_standard'",
    "SET extra_float_digits = -15",
    "SET TimeZone = 'Pacific/Chatham'",
    "SET search_path = pg_temp, public",
    "SET bytea_output = 'escape'",
    "SET array_nulls = off",
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_tracking_and_objects_work_under_any_session_setting(
    engine: PostgresEngine, setting: str
) -> None:
    engine.run_sql(
        'CREATE TABLE public.t (id int PRIMARY KEY, "wert ä" text, at timestamptz,'
        " f float8, b bytea, a text[], i interval)"
    )
    engine.run_sql(
        "INSERT INTO public.t VALUES (1, 'x', '2025-02-13 08:39:00+00', 0.1, '\\x00ff',"
        " '{a,NULL}', '1 day 2 hours')"
    )
    engine.commit()
    before = engine.snapshot_table("public", "t")
    engine.track_tables([("public", "t")])
    engine.commit()
    engine.run_sql(setting)
    shown = engine.run_sql("SHOW " + setting.split()[1], return_shape=ResultShape.ONE_ONE)
    engine.run_sql("UPDATE public.t SET f = 0.30000000000000004 WHERE id = 1")
    engine.run_sql("INSERT INTO public.t SELECT 2, 'y', at, f, b, a, i FROM public.t")
    assert engine.snapshot_table("public", "t") != before
    changes = engine.get_pending_changes("public", "t")
    inserted = {
        "id": 2,
        "wert ä": "y",
        "at": datetime(2025, 2, 13, 8, 39, tzinfo=UTC),
        "f": 0.30000000000000004,
        "b": b"\x00\xff",
        "a": ["a", None],
        "i": timedelta(days=1, hours=2),
    }
    assert changes == [
        Change((1,), ChangeKind.UPDATE, {"f": 0.30000000000000004}),
        Change((2,), ChangeKind.INSERT, inserted),
    ]
    assert engine.get_pending_changes("public", "t", aggregate=True) == (1, 0, 1)
    patch = engine.commit_changes("public", "t")
    assert patch is not None
    engine.checkout_objects([before, patch], "public", "rebuilt")
    # The user's setting is back for the user's own statements.
    assert engine.run_sql("SHOW " + setting.split()[1], return_shape=ResultShape.ONE_ONE) == shown
    engine.run_sql("RESET ALL")
    same = engine.run_sql(
        "SELECT count(*) FROM (SELECT * FROM public.t EXCEPT SELECT * FROM public.rebuilt) d",
        return_shape=ResultShape.ONE_ONE,
    )
    assert same == 0
    engine.commit()


def test_object_ids_do_not_depend_on_session_settings(engine: PostgresEngine) -> None:
    engine.run_sql(
        "CREATE TABLE public.t (id int PRIMARY KEY, at timestamptz, f float8, i interval)"
    )
    engine.run_sql(
        "INSERT INTO public.t VALUES (1, %s, 0.1, '1 day')", [datetime(2025, 1, 1, tzinfo=UTC)]
    )
    ids = set()
    for setting in SETTINGS:
        engine.run_sql("RESET ALL")
        engine.run_sql(setting)
        ids.add(engine.snapshot_table("public", "t"))
    assert len(ids) == 1
    engine.commit()
