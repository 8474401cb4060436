"""Net changes follow the order in which statements took effect, not the order their
triggers fired: the parts of one query (its data-modifying WITH clauses) act together."""

from __future__ import annotations

from sg import AuditTriggerChangeEngine, Change, ChangeKind, ResultShape
from tests.support.engines import EngineFactory


def test_a_query_that_deletes_and_reinserts_through_with_nets_right(
    make_engine: EngineFactory,
) -> None:
    e = make_engine(AuditTriggerChangeEngine)
    e.initialize()
    e.run_sql("CREATE TABLE public.t (k int PRIMARY KEY, v text)")
    e.run_sql("INSERT INTO public.t VALUES (1, 'a'), (2, 'b')")
    e.track_tables([("public", "t")])
    e.commit()
    e.run_sql(
        "WITH d AS (DELETE FROM public.t WHERE k IN (1, 2) RETURNING k)"
        " INSERT INTO public.t SELECT k, 'a' FROM d LIMIT 1"
    )
    assert e.run_sql("SELECT k FROM public.t", return_shape=ResultShape.MANY_ONE) == [1]
    assert e.get_pending_changes("public", "t") == [
        Change((2,), ChangeKind.DELETE, {"k": 2, "v": "b"})
    ]
    # Separate statements in one transaction keep their order: insert, then delete = nothing.
    e.run_sql("INSERT INTO public.t VALUES (7, 'x')")
    e.run_sql("DELETE FROM public.t WHERE k = 7")
    e.run_sql(
        "WITH u AS (UPDATE public.t SET v = 'z' WHERE k = 1 RETURNING k)"
        " INSERT INTO public.t SELECT k + 10, 'n' FROM u"
    )
    assert e.get_pending_changes("public", "t") == [
        Change((1,), ChangeKind.UPDATE, {"v": "z"}),
        Change((2,), ChangeKind.DELETE, {"k": 2, "v": "b"}),
        Change((11,), ChangeKind.INSERT, {"k": 11, "v": "n"}),
    ]
    e.commit()
