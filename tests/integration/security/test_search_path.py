"""Attack 1: functions that match sg's unqualified calls better than the built-ins, planted in
`public` or in a schema named after the engine role, never run as the engine role."""

from __future__ import annotations

import io

import pytest
from psycopg import sql

from tests.integration.security.attackers import Setting

# Each matches a call sg makes better than the variadic or polymorphic built-in does.
SHADOWS = [
    ("concat", "a text, b text", "text", "a || b"),
    ("concat", "a text, b text, c text", "text", "a || b || c"),
    ("concat", "a text", "text", "a"),
    ("format", "f text, a text", "text", "a"),
    ("format", "f text, a text, b text", "text", "a"),
    ("unnest", "a text[]", "SETOF text", ""),
]


def _plant(s: Setting, schema: str) -> None:
    for name, args, returns, result in SHADOWS:
        s.payload(f"{schema}.{name}", args, returns, result)
    s.attacker.commit()


def _work(s: Setting) -> None:
    e = s.engine
    e.run_sql("CREATE TABLE public.t (id int PRIMARY KEY, v text, w text)")
    e.run_sql("INSERT INTO public.t VALUES (1, 'a', 'x'), (2, 'b', 'y')")
    e.commit()
    base = e.snapshot_table("public", "t")
    e.track_tables([("public", "t")])
    e.run_sql("UPDATE public.t SET v = 'c' WHERE id = 1")
    e.run_sql("INSERT INTO public.t VALUES (3, 'd', 'z')")
    assert e.get_pending_changes("public", "t", aggregate=True) == (1, 0, 1)
    assert len(e.get_pending_changes("public", "t")) == 2
    assert e.has_pending_changes("public")
    patch = e.commit_changes("public", "t")
    assert patch is not None
    e.checkout_objects([base, patch], "public", "rebuilt")
    stream = io.BytesIO()
    e.dump_object("sg_meta", patch, stream)
    e.commit()


@pytest.mark.parametrize("where", ["public", "engine-named schema"])
def test_shadowing_functions_never_run_as_the_engine(setting: Setting, where: str) -> None:
    if where == "public":
        schema = "public"
    else:
        schema = sql.Identifier(setting.engine_role).as_string(None)
        setting.attacker.run_sql(
            sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(setting.engine_role))
        )
    _plant(setting, schema)
    _work(setting)
    setting.assert_safe()
