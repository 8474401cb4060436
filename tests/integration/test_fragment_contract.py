"""Fragment-store contract: the in-memory fake and PostgreSQL behave alike."""

from __future__ import annotations

from typing import Any

import pytest

from sg.domain.errors import (
    CorruptDumpError,
    DuplicateObjectError,
    IntegrityViolationError,
    TableNotFoundError,
)
from sg.domain.model import ColumnSpec, TableRef
from tests.fakes.database import Row
from tests.support.contract_harness import KEYED, UNKEYED, Harness, harness

__all__ = ["harness"]  # the parametrized fixture every test here runs with

T = TableRef("public", "t")
U = TableRef("public", "u")


def test_columns_and_missing_tables(harness: Harness) -> None:
    harness.create(T, KEYED, [])
    assert [(c.name, c.type, c.is_pk) for c in harness.store.columns(T)] == KEYED
    with pytest.raises(TableNotFoundError):
        harness.store.columns(U)
    assert harness.store.missing([U, T, TableRef("nowhere", "t")]) == [U, TableRef("nowhere", "t")]


def test_keyed_fragment_holds_the_current_state_of_each_key(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b"), (3, None)])
    keys: list[tuple[Any, ...]] = [(1,), (3,), (4,), (1,), (2,)]
    info = harness.store.create_fragment(U, T, keys)
    assert (info.rows_upserted, info.rows_deleted) == (3, 1)
    assert [(c.name, c.type, c.is_pk) for c in info.columns] == [
        *KEYED,
        ("sg_ud_flag", "boolean", False),
    ]
    assert harness.rows(U) == [(1, "a", True), (2, "b", True), (3, None, True), (4, None, False)]
    with pytest.raises(DuplicateObjectError), harness.transaction.savepoint():
        harness.store.create_fragment(U, T, keys)
    assert harness.rows(U)[0] == (1, "a", True)


def test_unkeyed_fragment_keeps_every_copy(harness: Harness) -> None:
    rows: list[Row] = [(1, None), (1, None), (2, "x"), (3, "y")]
    harness.create(T, UNKEYED, rows)
    info = harness.store.create_fragment(U, T, [(1, None), (9, None), (1, None)])
    assert (info.rows_upserted, info.rows_deleted) == (2, 2)
    assert harness.rows(U) == [(1, None, False), (1, None, True), (1, None, True), (9, None, False)]


def test_staged_keys_give_the_fragment_key_lists_give(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b"), (3, None)])
    staged = harness.stage(T, ["id"], [((1,), True), ((3,), True), ((4,), False)])
    info = harness.store.create_staged_fragment(U, T, staged)
    assert (info.rows_upserted, info.rows_deleted) == (2, 1)
    assert harness.rows(U) == [(1, "a", True), (3, None, True), (4, None, False)]


def test_staged_whole_rows_keep_every_copy(harness: Harness) -> None:
    harness.create(T, UNKEYED, [(1, None), (1, None), (2, "x"), (3, "y")])
    staged = harness.stage(T, ["a", "b"], [((1, None), True), ((9, None), False)])
    info = harness.store.create_staged_fragment(U, T, staged)
    assert (info.rows_upserted, info.rows_deleted) == (2, 2)
    assert harness.rows(U) == [(1, None, False), (1, None, True), (1, None, True), (9, None, False)]


def test_digests_ignore_order_and_count_copies(harness: Harness) -> None:
    harness.create(T, UNKEYED, [(1, "a"), (2, None), (2, None)])
    harness.create(U, UNKEYED, [(2, None), (1, "a"), (2, None)])
    harness.create(TableRef("public", "fewer"), UNKEYED, [(1, "a"), (2, None)])
    harness.create(TableRef("public", "other"), UNKEYED, [(1, "a"), (2, ""), (2, None)])
    digests = [
        harness.store.content_digest(TableRef("public", name))
        for name in ["t", "u", "fewer", "other"]
    ]
    assert digests[0] == digests[1] and digests[0].rows == 3
    assert len({d.digest for d in digests}) == 3


def test_a_written_fragment_reports_the_digest_of_what_it_holds(harness: Harness) -> None:
    harness.create(T, UNKEYED, [(1, None), (1, None), (2, "x"), (3, "y")])
    staged = harness.stage(T, ["a", "b"], [((1, None), True), ((9, None), False)])
    written = {
        "snapshot": harness.store.create_snapshot(TableRef("public", "snapshot"), T),
        "keys": harness.store.create_fragment(TableRef("public", "keys"), T, [(1, None), (2, "x")]),
        "staged": harness.store.create_staged_fragment(TableRef("public", "staged"), T, staged),
    }
    for name, info in written.items():
        assert info.content == harness.store.content_digest(TableRef("public", name)), name
    assert written["snapshot"].content is not None and written["snapshot"].content.rows == 4


def test_apply_equals_applying_one_fragment_at_a_time(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b"), (3, "c")])
    harness.store.create_snapshot(TableRef("public", "f0"), T)
    harness.create(TableRef("public", "f1"), [*KEYED, ("sg_ud_flag", "boolean", False)],
                   [(1, None, False), (2, "B", True), (5, "e", True)])  # fmt: skip
    harness.create(TableRef("public", "f2"), [*KEYED, ("sg_ud_flag", "boolean", False)],
                   [(5, None, False), (1, "A", True), (6, "f", True)])  # fmt: skip
    frags = [TableRef("public", f) for f in ["f0", "f1", "f2"]]
    harness.create(U, KEYED, [(3, "old"), (7, "kept")])
    harness.store.apply(frags, U, None, None)
    assert harness.rows(U) == [(1, "A"), (2, "B"), (3, "c"), (6, "f"), (7, "kept")]
    target = TableRef("public", "filtered")
    harness.create(target, KEYED, [(1, "gone"), (9, "kept")])
    harness.store.apply(frags, target, None, harness.greater_than("id", 2))
    unkeyed = TableRef("public", "unkeyed")
    harness.create(unkeyed, [("id", "integer", False), ("v", "text", False)], [(1, "gone")])
    harness.store.apply(frags, unkeyed, ["id"], None)
    assert harness.rows(unkeyed) == harness.rows(U)[:-1]
    assert harness.rows(target) == [(3, "c"), (6, "f"), (9, "kept")]


def test_apply_unkeyed_keeps_multiplicity(harness: Harness) -> None:
    flagged = [*UNKEYED, ("sg_ud_flag", "boolean", False)]
    harness.create(TableRef("public", "f0"), flagged,
                   [(1, None, True), (1, None, True), (2, "x", True)])  # fmt: skip
    harness.create(TableRef("public", "f1"), flagged,
                   [(1, None, False), (1, None, True), (1, None, True), (1, None, True),
                    (2, "x", False), (3, None, True)])  # fmt: skip
    harness.create(U, UNKEYED, [(2, "x"), (2, "x"), (4, "w")])
    harness.store.apply([TableRef("public", "f0"), TableRef("public", "f1")], U, None, None)
    assert harness.rows(U) == [(1, None)] * 3 + [(3, None), (4, "w")]


def test_fragment_bookkeeping(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b")])
    harness.store.create_fragment(U, T, [(1,), (8,)])
    assert harness.store.flag_counts(U) == (1, 1)
    assert harness.store.table_size(U) > 0
    with pytest.raises(TableNotFoundError):
        harness.store.table_size(TableRef("public", "nowhere"))
    harness.store.block_writers(U)
    harness.store.rename(U, "renamed")
    assert harness.store.missing([U, TableRef("public", "renamed")]) == [U]
    with pytest.raises(DuplicateObjectError), harness.transaction.savepoint():
        harness.store.rename(TableRef("public", "renamed"), "t")
    harness.store.drop(TableRef("public", "renamed"))
    assert harness.store.missing([TableRef("public", "renamed")]) == [TableRef("public", "renamed")]


def test_create_table_takes_only_plain_type_names(harness: Harness) -> None:
    columns = [ColumnSpec(1, "id", "integer", True), ColumnSpec(2, 'v"; x', "text[]", False)]
    harness.store.create_table(U, columns, with_key=True)
    assert [(c.name, c.type, c.is_pk) for c in harness.store.columns(U)] == [
        ("id", "integer", True),
        ('v"; x', "text[]", False),
    ]
    with pytest.raises(CorruptDumpError):
        harness.store.create_table(T, [ColumnSpec(1, "id", "int); DROP TABLE u; --", False)], True)
    assert harness.store.missing([T, U]) == [T]


def test_a_primary_key_added_after_the_rows(harness: Harness) -> None:
    columns = [("a", "integer", False), ("b", "integer", False), ("v", "text", False)]
    harness.create(T, columns, [(1, 1, "x"), (1, 2, "y")])
    harness.store.add_primary_key(T, ["b", "a"])
    assert [(c.name, c.is_pk) for c in harness.store.columns(T)] == [
        ("a", True),
        ("b", True),
        ("v", False),
    ]
    harness.create(U, columns, [(1, 1, "x"), (1, 1, "y")])
    with pytest.raises(IntegrityViolationError), harness.transaction.savepoint():
        harness.store.add_primary_key(U, ["a", "b"])
    assert [c.is_pk for c in harness.store.columns(U)] == [False, False, False]
