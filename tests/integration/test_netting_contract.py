"""The net-change rules, asserted once against the in-memory fake and PostgreSQL alike.

Each rule runs through the change-tracking service over the capture harness, so the rules
hold for the fake the unit tests rely on and for the audit triggers, from the same steps.
"""

from __future__ import annotations

import pytest

from sg.domain.model import Change, ChangeKind, TableRef
from sg.domain.netting import ChangeCounts
from sg.domain.services.change_tracking import ChangeTracking
from tests.support.capture_harness import Harness, harness

__all__ = ["harness"]  # the parametrized fixture every test here runs with

INSERT, DELETE, UPDATE = ChangeKind.INSERT, ChangeKind.DELETE, ChangeKind.UPDATE


@pytest.fixture
def t(harness: Harness) -> TableRef:
    """`public.t (id, v, w)` keyed by id, rows 1-3, tracked."""
    table = harness.create("t", ["id", "v", "w"], ["id"])
    harness.insert(table, *({"id": i, "v": i * 10, "w": i * 100} for i in (1, 2, 3)))
    harness.capture.track(table)
    return table


@pytest.fixture
def tracking(harness: Harness) -> ChangeTracking:
    return ChangeTracking(harness.capture)


def test_insert_then_update_is_an_insert_of_the_final_row(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.insert(t, {"id": 4, "v": 40, "w": 400})
    harness.update(t, {"id": 4}, {"v": 44})
    assert tracking.pending(t) == [Change((4,), INSERT, {"id": 4, "v": 44, "w": 400})]


def test_insert_then_delete_is_nothing(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.insert(t, {"id": 4, "v": 40, "w": 400})
    harness.update(t, {"id": 4}, {"w": 401})
    harness.delete(t, {"id": 4})
    assert tracking.pending(t) == []
    assert not tracking.has_pending("public")


def test_delete_then_identical_insert_is_nothing(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.delete(t, {"id": 1})
    harness.insert(t, {"id": 1, "v": 10, "w": 100})
    assert tracking.pending(t) == []


def test_update_and_update_back_is_nothing(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.update(t, {"id": 2}, {"v": 0, "w": 0})
    harness.update(t, {"id": 2}, {"v": 20})
    harness.update(t, {"id": 2}, {"w": 200})
    assert tracking.pending(t) == []
    assert tracking.changed_tables("public") == []


def test_update_then_delete_is_a_delete_of_the_original_row(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.update(t, {"id": 2}, {"v": 0})
    harness.delete(t, {"id": 2})
    assert tracking.pending(t) == [Change((2,), DELETE, {"id": 2, "v": 20, "w": 200})]


def test_delete_then_different_insert_is_an_update_of_the_changed_columns(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.delete(t, {"id": 3})
    harness.insert(t, {"id": 3, "v": 30, "w": 333})
    assert tracking.pending(t) == [Change((3,), UPDATE, {"w": 333})]


def test_update_carries_only_the_changed_columns(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.update(t, {"id": 1}, {"v": 11, "w": 100})
    harness.update(t, {"id": 2}, {"w": None})
    assert tracking.pending(t) == [
        Change((1,), UPDATE, {"v": 11}),
        Change((2,), UPDATE, {"w": None}),
    ]


def test_key_change_is_a_delete_and_an_insert(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.update(t, {"id": 1}, {"id": 5})
    assert tracking.pending(t) == [
        Change((1,), DELETE, {"id": 1, "v": 10, "w": 100}),
        Change((5,), INSERT, {"id": 5, "v": 10, "w": 100}),
    ]


def test_no_op_update_is_not_a_change(
    harness: Harness, t: TableRef, tracking: ChangeTracking
) -> None:
    harness.update(t, {"id": 1}, {"v": 10})
    assert tracking.pending(t) == []
    assert tracking.counts(t) == ChangeCounts(0, 0, 0)


def test_counts_are_net(harness: Harness, t: TableRef, tracking: ChangeTracking) -> None:
    harness.insert(t, {"id": 4, "v": 40, "w": 400}, {"id": 5, "v": 50, "w": 500})
    harness.delete(t, {"id": 5})
    harness.delete(t, {"id": 1})
    harness.update(t, {"id": 2}, {"w": 201})
    harness.update(t, {"id": 3}, {"w": 300})
    counts = tracking.counts(t)
    assert counts == ChangeCounts(added_rows=1, removed_rows=1, updated_rows=1)
    assert tracking.counts(t) == (1, 1, 1)


def test_changes_come_in_key_order(harness: Harness, t: TableRef, tracking: ChangeTracking) -> None:
    harness.insert(t, {"id": 100, "v": 0, "w": 0}, {"id": -5, "v": 0, "w": 0})
    harness.insert(t, {"id": 50, "v": 0, "w": 0})
    harness.update(t, {"id": 2}, {"w": 0})
    harness.insert(t, {"id": 7, "v": 0, "w": 0})
    keys = [change.primary_key for change in tracking.pending(t)]
    assert keys == [(-5,), (2,), (7,), (50,), (100,)]
