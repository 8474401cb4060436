"""The version service against in-memory fakes of its ports."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sg.domain.errors import (
    AmbiguousVersionError,
    DuplicateObjectError,
    InvalidIdentifierError,
    NotVersionedError,
    PendingChangesError,
    VersionNotFoundError,
)
from sg.domain.model import ChangeKind, TableRef
from sg.domain.versions import CompactionPolicy, TableCounts
from tests.fakes.versions import World, version_service

S = "shop"
T = TableRef(S, "t")
U = TableRef(S, "u")


def _world() -> World:
    world = World()
    world.create(T, ["id", "v"], key=["id"])
    world.create(U, ["a"])
    world.insert(T, {"id": 1, "v": "a"}, {"id": 2, "v": "b"})
    world.insert(U, {"a": "x"}, {"a": "x"})
    return world


def test_init_snapshots_and_tracks_every_table_in_one_version() -> None:
    world = _world()
    service, services = version_service(world)
    version = service.init(S)
    assert [t.name for t in version.tables] == ["t", "u"]
    assert all(len(t.chain) == 1 for t in version.tables)
    assert version.table("t") is not None and version.table("t").counts == TableCounts(2)  # type: ignore[union-attr]
    assert services.tracked() == [T, U]
    assert set(services.locked) == {T, U}
    assert service.head(S) == version
    assert version.author == "alice" and version.parent is None
    with pytest.raises(DuplicateObjectError):
        service.init(S)


def test_commit_appends_patches_to_changed_tables_only() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.update(T, {"id": 1}, {"v": "z"})
    world.insert(T, {"id": 3, "v": "c"})
    second = service.commit(S, "edit", author="bob")
    assert second is not None and second.parent == first.version_id
    t1, t2 = first.table("t"), second.table("t")
    assert t1 is not None and t2 is not None
    assert t2.chain[:1] == t1.chain and len(t2.chain) == 2
    assert t2.counts == TableCounts(added=1, removed=0, updated=1)
    u1, u2 = first.table("u"), second.table("u")
    assert u1 is not None and u2 is not None
    assert (u2.chain, u2.shape, u2.counts) == (u1.chain, u1.shape, TableCounts())
    assert second.author == "bob" and second.message == "edit"


def test_commit_with_no_change_records_nothing() -> None:
    service, _ = version_service(_world())
    first = service.init(S)
    assert service.commit(S, "nothing") is None
    assert service.log(S) == [first]


def test_new_tables_get_a_base_and_dropped_tables_leave() -> None:
    world = _world()
    service, services = version_service(world)
    service.init(S)
    new = TableRef(S, "n")
    world.create(new, ["k"], key=["k"])
    world.insert(new, {"k": 1})
    del world.tables[U]
    version = service.commit(S, "reshape")
    assert version is not None
    assert [t.name for t in version.tables] == ["n", "t"]
    assert new in services.tracked()


def test_commit_without_init_is_refused() -> None:
    service, _ = version_service(_world())
    with pytest.raises(NotVersionedError):
        service.commit(S, "x")


def test_a_failing_commit_records_nothing() -> None:
    world = _world()
    service, services = version_service(world)
    first = service.init(S)
    world.update(T, {"id": 2}, {"v": "q"})
    new = TableRef(S, "n")
    world.create(new, ["k"])
    services.fail_snapshot_of = new
    with pytest.raises(RuntimeError):
        service.commit(S, "boom")
    assert service.log(S) == [first]
    assert service.head(S) == first
    assert services.changed_tables(S) == ["t"]


def test_log_is_newest_first_and_filters_by_table() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.insert(U, {"a": "y"})
    second = service.commit(S, "u only")
    assert second is not None
    assert service.log(S) == [second, first]
    assert service.log(S, "t") == [first]
    assert service.log(S, "u") == [second, first]


def test_versions_resolve_by_latest_tag_id_and_unique_prefix() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.insert(U, {"a": "y"})
    second = service.commit(S, "more")
    assert second is not None
    assert service.resolve(S, "latest") == second
    service.tag(S, first.version_id[:8], "v1")
    assert service.resolve(S, "v1") == first
    assert service.resolve(S, first.version_id) == first
    assert service.resolve(S, second.version_id[:6]) == second
    with pytest.raises(VersionNotFoundError):
        service.resolve(S, "nope")
    with pytest.raises(VersionNotFoundError):
        service.resolve(S, "0000" if not first.version_id.startswith("0000") else "ffff")
    with pytest.raises(InvalidIdentifierError):
        service.tag(S, "v1", "latest")


def test_an_ambiguous_prefix_is_refused() -> None:
    world = _world()
    service, _ = version_service(world)
    service.init(S)
    version = service.head(S)
    assert version is not None
    twin = version._replace(version_id=type(version.version_id)(version.version_id[:4] + "f" * 60))
    if twin.version_id == version.version_id:
        twin = version._replace(
            version_id=type(version.version_id)(version.version_id[:4] + "e" * 60)
        )
    world.versions[(S, twin.version_id)] = twin
    with pytest.raises(AmbiguousVersionError):
        service.resolve(S, version.version_id[:4])


def test_checkout_in_place_restores_rows_and_refuses_pending_changes() -> None:
    world = _world()
    service, services = version_service(world)
    first = service.init(S)
    original = [dict(r) for r in world.tables[T].rows]
    world.delete(T, {"id": 1})
    second = service.commit(S, "delete")
    assert second is not None
    world.insert(T, {"id": 9, "v": "pending"})
    with pytest.raises(PendingChangesError):
        service.checkout(S, first.version_id)
    service.checkout(S, first.version_id, force=True)
    assert sorted(world.tables[T].rows, key=repr) == sorted(original, key=repr)
    assert service.head(S) == first
    assert services.changed_tables(S) == []
    assert T in services.tracked()


def test_checkout_into_another_schema_builds_copies() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.insert(T, {"id": 5, "v": "e"})
    service.commit(S, "five")
    service.checkout(S, first.version_id, into="copy")
    copy = world.tables[TableRef("copy", "t")]
    assert sorted(r["id"] for r in copy.rows) == [1, 2]
    assert copy.shape == world.tables[T].shape
    assert len(world.tables[TableRef("copy", "u")].rows) == 2
    with pytest.raises(DuplicateObjectError):
        service.checkout(S, first.version_id, into="copy")


def test_diff_between_versions_and_against_live_tables() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.update(T, {"id": 2}, {"v": "B"})
    world.insert(T, {"id": 0, "v": "zero"})
    second = service.commit(S, "edit")
    assert second is not None
    diffs = {d.table: d for d in service.diff(S, first.version_id, second.version_id)}
    assert diffs["u"].status == "unchanged"
    assert [(c.primary_key, c.change_type) for c in diffs["t"].changes] == [
        ((0,), ChangeKind.INSERT),
        ((2,), ChangeKind.UPDATE),
    ]
    assert diffs["t"].counts == TableCounts(1, 0, 1)
    world.delete(U, {"a": "x"})
    live = {d.table: d for d in service.diff(S, "latest")}
    assert live["t"].status == "unchanged"
    assert live["u"].counts == TableCounts(0, 2, 0)


def test_gc_removes_only_unreferenced_objects() -> None:
    world = _world()
    service, services = version_service(world)
    version = service.init(S)
    stray = services.snapshot(U)
    world.insert(U, {"a": "new"})
    orphan = services.snapshot(U)
    assert set(service.garbage()) == {orphan} - version.objects() | ({stray} - version.objects())
    result = service.gc()
    assert orphan in result.removed and result.freed_bytes > 0
    assert version.objects() <= set(world.objects)
    assert service.gc().removed == []


def test_long_chains_are_compacted_into_a_fresh_base() -> None:
    world = _world()
    service, _ = version_service(world, policy=CompactionPolicy(max_patch_ratio=1.0))
    service.init(S)
    world.insert(T, {"id": 3, "v": "c"})
    small = service.commit(S, "small")
    assert small is not None and len(small.table("t").chain) == 2  # type: ignore[union-attr]
    world.insert(T, *({"id": i, "v": "x"} for i in range(10, 20)))
    big = service.commit(S, "big")
    assert big is not None and len(big.table("t").chain) == 1  # type: ignore[union-attr]
    assert big.table("t").counts == TableCounts(10, 0, 0)  # type: ignore[union-attr]
    service.checkout(S, small.version_id, into="old")
    assert len(world.tables[TableRef("old", "t")].rows) == 3


def test_history_moves_to_another_store_with_tags() -> None:
    world = _world()
    service, _ = version_service(world)
    service.init(S)
    world.insert(T, {"id": 3, "v": "c"})
    service.commit(S, "more")
    service.tag(S, "latest", "release")
    other = World(objects=dict(world.objects))
    remote, _ = version_service(other)
    history = service.history(S)
    assert remote.missing("mirror", history.versions) == history.versions
    added = remote.receive("mirror", history)
    assert added == [v.version_id for v in history.versions]
    assert remote.missing("mirror", history.versions) == []
    assert remote.resolve("mirror", "release").version_id == history.versions[-1].version_id
    assert remote.receive("mirror", history) == []
    remote.checkout("mirror", "release", into="m")
    assert len(other.tables[TableRef("m", "t")].rows) == 3


def test_storage_counts_each_object_once_as_its_own() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.insert(T, {"id": 3, "v": "c"})
    second = service.commit(S, "more")
    assert second is not None
    storage = service.storage(S)
    assert [s.version_id for s in storage] == [second.version_id, first.version_id]
    assert storage[1].own_bytes == storage[1].total_bytes == 200
    assert storage[0].total_bytes == 300 and storage[0].own_bytes == 100


def test_diff_of_versions_sharing_objects_reads_only_the_touched_keys() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.update(T, {"id": 2}, {"v": "B"})
    second = service.commit(S, "edit")
    assert second is not None
    world.diffs.clear()
    diffs = {d.table: d for d in service.diff(S, first.version_id, second.version_id)}
    assert [(c.primary_key, c.change_data) for c in diffs["t"].changes] == [((2,), {"v": "B"})]
    assert world.diffs == ["touched"]  # u is unchanged without reading a row
    world.insert(U, {"a": "x"})
    world.diffs.clear()
    live = {d.table: d for d in service.diff(S, first.version_id)}
    assert live["u"].counts == TableCounts(1, 0, 0) and live["t"].counts == TableCounts(0, 0, 1)
    assert world.diffs == ["touched", "touched"]
    assert world.staged == {}  # every staged key set is released


def test_diff_builds_both_sides_only_when_chains_share_no_object() -> None:
    world = _world()
    service, _ = version_service(world, policy=CompactionPolicy(max_patch_ratio=0.5))
    first = service.init(S)
    world.insert(T, *({"id": i, "v": "x"} for i in range(10, 20)))
    compacted = service.commit(S, "big")
    assert compacted is not None and len(compacted.table("t").chain) == 1  # type: ignore[union-attr]
    world.diffs.clear()
    (t_diff,) = [d for d in service.diff(S, first.version_id, "latest") if d.table == "t"]
    assert t_diff.counts == TableCounts(10, 0, 0)
    assert world.diffs == ["built"]
    world.diffs.clear()
    service.diff(S, first.version_id, "latest", materialize=True)
    assert world.diffs == ["built"]  # u's chains are equal: nothing to build


def test_diff_after_checking_out_an_older_version_and_committing_uses_the_shared_base() -> None:
    world = _world()
    service, _ = version_service(world)
    first = service.init(S)
    world.update(T, {"id": 1}, {"v": "one"})
    left = service.commit(S, "left")
    service.checkout(S, first.version_id)
    world.delete(T, {"id": 2})
    right = service.commit(S, "right")
    assert left is not None and right is not None
    world.diffs.clear()
    (t_diff,) = [d for d in service.diff(S, left.version_id, right.version_id) if d.table == "t"]
    assert [(c.primary_key, c.change_type) for c in t_diff.changes] == [
        ((1,), ChangeKind.UPDATE),
        ((2,), ChangeKind.DELETE),
    ]
    assert world.diffs == ["touched"]


STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["insert", "update", "delete"]),
            st.sampled_from([T, U]),
            st.integers(0, 4),
            st.sampled_from([None, "a", "b"]),
        ),
        st.tuples(
            st.sampled_from(["commit", "checkout", "compact"]),
            st.just(T),
            st.integers(0, 4),
            st.none(),
        ),
    ),
    max_size=30,
)


def _apply_step(world: World, service: Any, step: tuple[str, TableRef, int, str | None]) -> None:
    kind, table, n, value = step
    if table == T:
        if kind == "insert" and not any(r["id"] == n for r in world.tables[T].rows):
            world.insert(T, {"id": n, "v": value})
        elif kind == "update":
            world.update(T, {"id": n}, {"v": value})
        elif kind == "delete":
            world.delete(T, {"id": n})
    elif kind == "insert":
        world.insert(U, {"a": value})
    elif kind == "delete":
        world.delete(U, {"a": value})
    if kind == "commit":
        service.commit(S, "step")
    elif kind == "compact":
        service.policy = CompactionPolicy(max_patch_ratio=0.0)
        service.commit(S, "compact")
        service.policy = CompactionPolicy(max_patch_ratio=1e9)
    elif kind == "checkout":
        versions = service.log(S)
        service.checkout(S, versions[n % len(versions)].version_id, force=True)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_diff_from_objects_equals_the_diff_of_built_versions(
    steps: list[tuple[str, TableRef, int, str | None]],
) -> None:
    world = _world()
    service, _ = version_service(world)
    service.init(S)
    for step in steps:
        _apply_step(world, service, step)
    versions = [v.version_id for v in service.log(S)]
    for old in versions:
        assert service.diff(S, old) == service.diff(S, old, materialize=True)
        for new in versions:
            assert service.diff(S, old, new) == service.diff(S, old, new, materialize=True)


def test_history_bytes_count_every_object_of_the_schema_once() -> None:
    world = _world()
    service, services = version_service(world)
    service.init(S)
    world.insert(T, {"id": 3, "v": "c"})
    service.commit(S, "more")
    storage = service.storage(S)
    assert service.history_bytes(S) == sum(s.own_bytes for s in storage) == 300
    assert service.garbage() == {}
    stray = services.snapshot(TableRef(S, "t"))
    assert service.history_bytes(S) == 300 and service.garbage() == {stray: 100}
