"""The `AuditTriggerChangeEngine` facade delegates to the service over the container's capture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg import AuditTriggerChangeEngine, Change, ChangeKind, TableNotTrackedError
from sg.domain.model import TableRef
from tests.fakes.bundle import FakePorts
from tests.fakes.capture import FakeChangeCapture

PARAMS = {
    "SG_ENGINE_HOST": "db.invalid",
    "SG_ENGINE_PORT": "5432",
    "SG_ENGINE_USER": "u",
    "SG_ENGINE_DB_NAME": "d",
}
T = TableRef("s", "t")


@pytest.fixture
def capture() -> Iterator[FakeChangeCapture]:
    fakes = FakePorts()
    fakes.capture.create_table(T, ["id", "v"], key=["id"])
    with fakes.installed():
        yield fakes.capture


def test_facade_methods_reach_the_capture(capture: FakeChangeCapture) -> None:
    engine = AuditTriggerChangeEngine(PARAMS, "unit")
    engine.track_tables([("s", "t")])
    assert engine.get_tracked_tables() == [("s", "t")]
    capture.insert(T, {"id": 1, "v": "a"})
    assert engine.has_pending_changes("s")
    assert not engine.has_pending_changes("other")
    assert engine.get_changed_tables("s") == ["t"]
    assert engine.get_pending_changes("s", "t") == [
        Change((1,), ChangeKind.INSERT, {"id": 1, "v": "a"})
    ]
    assert engine.get_pending_changes("s", "t", aggregate=True) == (1, 0, 0)
    engine.discard_pending_changes("s", "t")
    assert engine.get_pending_changes("s", "t") == []
    engine.untrack_tables([("s", "t")])
    with pytest.raises(TableNotTrackedError):
        engine.get_pending_changes("s", "t")
