"""Attacks 2, 3 and 7: a table owner's domains, casts, triggers and views, and schema changes
that reach a tracked table, never run the owner's code as the engine role."""

from __future__ import annotations

import io

import pytest

from sg import DatabaseError, ResultShape, SgError, TrackingBrokenError, UntrustedObjectError
from tests.integration.security.attackers import Setting


def _victim(s: Setting) -> None:
    """The attacker's table with a domain whose CHECK, and an enum whose cast, run payloads."""
    s.payload("public.evil_check", "v int", "boolean", "true")
    a = s.attacker
    a.run_sql("CREATE TYPE public.mood AS ENUM ('sad', 'happy')")
    s.payload("public.evil_cast", "v public.mood", "text", "'x'")
    a.run_sql("CREATE CAST (public.mood AS text) WITH FUNCTION public.evil_cast AS IMPLICIT")
    a.run_sql("CREATE DOMAIN public.checked AS int CHECK (public.evil_check(VALUE))")
    a.run_sql(
        "CREATE TABLE public.victim (id int PRIMARY KEY, d public.checked, m public.mood, v text)"
    )
    a.run_sql("INSERT INTO public.victim VALUES (1, 1, 'sad', 'a'), (2, 2, 'happy', 'b')")
    a.run_sql(f"GRANT SELECT, UPDATE, TRIGGER ON public.victim TO {s.engine_role}")
    a.commit()


def test_domains_and_casts_of_a_table_owner_never_run_as_the_engine(setting: Setting) -> None:
    _victim(setting)
    e = setting.engine
    base = e.snapshot_table("public", "victim")
    e.commit()
    # Capture would store values of the owner's domain, running its CHECK: refused.
    with pytest.raises(UntrustedObjectError, match=r"public\.checked"):
        e.track_tables([("public", "victim")])
    assert e.get_tracked_tables() == []
    stream = io.BytesIO()
    e.dump_object("sg_meta", base, stream)
    # Receiving values of the owner's domain would run its CHECK: refused, nothing left.
    with pytest.raises(UntrustedObjectError, match=r"public\.checked"):
        e.load_object("public", "received", io.BytesIO(stream.getvalue()))
    with pytest.raises(UntrustedObjectError, match=r"public\.checked"):
        e.checkout_objects([base], "public", "rebuilt")
    assert not e.table_exists("public", "received")
    assert not e.table_exists("public", "rebuilt")
    # The enum's cast to text never runs either: a table of it is stored, changed, committed.
    a = setting.attacker
    a.run_sql("CREATE TABLE public.moods (id int PRIMARY KEY, m public.mood)")
    a.run_sql("INSERT INTO public.moods VALUES (1, 'sad'), (2, 'happy')")
    a.run_sql(f"GRANT SELECT, UPDATE, TRIGGER ON public.moods TO {setting.engine_role}")
    a.commit()
    first = e.snapshot_table("public", "moods")
    e.track_tables([("public", "moods")])
    e.commit()
    a.run_sql("UPDATE public.moods SET m = 'happy' WHERE id = 1")
    a.commit()
    assert e.get_pending_changes("public", "moods", aggregate=True) == (0, 0, 1)
    patch = e.commit_changes("public", "moods")
    assert patch is not None
    e.checkout_objects([first, patch], "public", "moods_rebuilt")
    assert e.run_sql(
        "SELECT pg_catalog.concat(m) FROM public.moods_rebuilt ORDER BY id",
        return_shape=ResultShape.MANY_ONE,
    ) == [
        "happy",
        "happy",
    ]
    e.commit()
    setting.assert_safe()


def test_checkout_into_a_table_of_another_role_is_refused(setting: Setting) -> None:
    e = setting.engine
    e.run_sql("CREATE TABLE public.src (id int PRIMARY KEY, v text)")
    e.run_sql("INSERT INTO public.src VALUES (1, 'a')")
    object_id = e.snapshot_table("public", "src")
    e.commit()
    setting.payload("public.evil_trigger", returns="trigger", result="NULL")
    a = setting.attacker
    a.run_sql("CREATE TABLE public.target (id int PRIMARY KEY, v text)")
    a.run_sql(
        "CREATE TRIGGER t BEFORE INSERT OR DELETE ON public.target"
        " FOR EACH ROW EXECUTE FUNCTION public.evil_trigger()"
    )
    a.run_sql(f"GRANT ALL ON public.target TO {setting.engine_role}")
    a.commit()
    with pytest.raises(UntrustedObjectError, match="belongs to role"):
        e.checkout_objects([object_id], "public", "target")
    # The engine's own table, with a trigger calling the attacker's function: refused too.
    e.run_sql("CREATE TABLE public.own (id int PRIMARY KEY, v text)")
    e.run_sql(
        "CREATE TRIGGER t BEFORE INSERT ON public.own"
        " FOR EACH ROW EXECUTE FUNCTION public.evil_trigger()"
    )
    with pytest.raises(UntrustedObjectError, match="evil_trigger"):
        e.apply_fragments([("sg_meta", object_id)], "public", "own")
    setting.assert_safe()


def test_snapshot_of_a_view_is_refused(setting: Setting) -> None:
    setting.payload("public.evil_view", returns="int", result="1")
    setting.attacker.run_sql("CREATE VIEW public.v AS SELECT public.evil_view() AS id")
    setting.attacker.run_sql(f"GRANT SELECT ON public.v TO {setting.engine_role}")
    setting.attacker.commit()
    with pytest.raises(UntrustedObjectError, match="not a table"):
        setting.engine.snapshot_table("public", "v")
    with pytest.raises(UntrustedObjectError, match="not a table"):
        setting.engine.dump_table_sql("public", "v", io.StringIO())
    setting.assert_safe()


def test_column_change_through_a_parent_never_runs_the_owners_cast(setting: Setting) -> None:
    _victim(setting)
    e, a = setting.engine, setting.attacker
    setting.tracked_table("kid")
    a.run_sql("CREATE TABLE public.parent (id int, v text)")
    a.commit()
    if setting.superuser_engine:
        # The engine's event trigger refuses the inheritance outright.
        with pytest.raises(SgError, match="inheritance"):
            a.run_sql("ALTER TABLE public.kid INHERIT public.parent")
        a.rollback()
        return
    a.run_sql("ALTER TABLE public.kid INHERIT public.parent")
    a.run_sql("ALTER TABLE public.parent ALTER COLUMN v TYPE public.mood USING 'sad'")
    a.commit()
    # The capture function sees columns it was not written for and refuses the write.
    with pytest.raises(DatabaseError, match="columns or partitions of tracked table"):
        a.run_sql("INSERT INTO public.kid VALUES (9, 'sad')")
    a.rollback()
    a.run_sql("ALTER TABLE public.parent ADD COLUMN extra int")
    a.run_sql("UPDATE public.parent SET extra = 1")
    a.commit()
    with pytest.raises(TrackingBrokenError, match="inheritance"):
        e.get_pending_changes("public", "kid")
    setting.assert_safe()


def test_disabled_or_dropped_capture_is_an_error_not_silence(setting: Setting) -> None:
    e, a = setting.engine, setting.attacker
    setting.tracked_table("w")
    a.run_sql("INSERT INTO public.w VALUES (1, 'a')")
    a.commit()
    if setting.superuser_engine:
        with pytest.raises(SgError, match="disabled"):
            a.run_sql("ALTER TABLE public.w DISABLE TRIGGER USER")
        a.rollback()
    else:
        a.run_sql("ALTER TABLE public.w DISABLE TRIGGER USER")
        a.run_sql("INSERT INTO public.w VALUES (2, 'b')")
        a.commit()
        for read in (
            lambda: e.get_pending_changes("public", "w"),
            lambda: e.get_pending_changes("public", "w", aggregate=True),
            lambda: e.has_pending_changes("public"),
            lambda: e.commit_changes("public", "w"),
            lambda: e.discard_pending_changes("public", "w"),
        ):
            with pytest.raises(TrackingBrokenError, match="disabled"):
                read()
        a.run_sql("ALTER TABLE public.w ENABLE TRIGGER USER")
        a.commit()
    a.run_sql("DROP TRIGGER sg_capture_delete ON public.w")
    a.commit()
    with pytest.raises(TrackingBrokenError, match="sg_capture_delete"):
        e.get_pending_changes("public", "w")
    # Nothing was discarded: the table is still listed, and its log still holds the insert.
    assert e.get_tracked_tables() == [("public", "w")]
    relid = e.run_sql("SELECT 'public.w'::regclass::oid", return_shape=ResultShape.ONE_ONE)
    assert (
        e.run_sql(f"SELECT count(*) FROM sg_audit.log_{relid}", return_shape=ResultShape.ONE_ONE)
        >= 1
    )
    if setting.superuser_engine:
        # Tracking it again starts afresh (dropping triggers needs the table's owner or a
        # superuser).
        e.track_tables([("public", "w")])
        assert e.get_pending_changes("public", "w") == []
        e.commit()


def test_a_partition_is_not_tracked_on_its_own(setting: Setting) -> None:
    e = setting.engine
    e.run_sql("CREATE TABLE public.p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)")
    e.run_sql("CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (100)")
    e.commit()
    with pytest.raises(SgError, match=r"partition of public\.p: track that table"):
        e.track_tables([("public", "p1")])
    assert e.get_tracked_tables() == []


def test_row_security_policies_never_run_as_the_engine(setting: Setting) -> None:
    setting.payload("public.evil_policy", "id int", "boolean", "true")
    a = setting.attacker
    a.run_sql("CREATE TABLE public.secret (id int PRIMARY KEY, v text)")
    a.run_sql("INSERT INTO public.secret VALUES (1, 'a'), (2, 'b')")
    a.run_sql("ALTER TABLE public.secret ENABLE ROW LEVEL SECURITY")
    a.run_sql("CREATE POLICY p ON public.secret USING (public.evil_policy(id))")
    a.run_sql(f"GRANT SELECT, UPDATE, TRIGGER, TRUNCATE ON public.secret TO {setting.engine_role}")
    a.commit()
    e = setting.engine
    if setting.superuser_engine:
        # A superuser bypasses row security: the whole table, and no policy runs.
        object_id = e.snapshot_table("public", "secret")
        assert e.describe_object(object_id).rows_upserted == 2
    else:
        # Filtered rows would be lost silently: sg refuses instead of running the policy.
        with pytest.raises(UntrustedObjectError, match="row-level security"):
            e.snapshot_table("public", "secret")
        with pytest.raises(UntrustedObjectError, match="row-level security"):
            e.track_tables([("public", "secret")])
        setting.assert_safe()
        return
    e.track_tables([("public", "secret")])
    e.commit()
    a.run_sql("TRUNCATE public.secret")
    a.commit()
    assert e.get_pending_changes("public", "secret", aggregate=True) == (0, 2, 0)
    setting.assert_safe()


def test_a_capture_trigger_replaced_by_the_owner_is_detected(setting: Setting) -> None:
    e, a = setting.engine, setting.attacker
    setting.tracked_table("r")
    setting.payload("public.evil_capture", returns="trigger", result="NULL")
    a.run_sql(
        "CREATE OR REPLACE TRIGGER sg_capture_update AFTER UPDATE ON public.r"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.evil_capture()"
    )
    a.commit()
    with pytest.raises(TrackingBrokenError, match="sg_capture_update"):
        e.get_pending_changes("public", "r")
    setting.assert_safe()
