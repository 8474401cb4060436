"""Every fake port over one fake database, installed in the container in place of the adapters.

Like cosmicpython's `FakeUnitOfWork`, the bundle is state to assert on: the rows in `db`,
the statements each `FakeSqlRunner` saw (`runners`), the changes `capture` recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from dependency_injector import providers

from sg.app.container import Container, container
from sg.domain.engine_params import EngineParams
from sg.domain.services.objects import ObjectService
from sg.ports.capture import ChangeCapture
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import SqlRunner
from tests.fakes.capture import FakeChangeCapture
from tests.fakes.codec import FakeObjectCodec
from tests.fakes.database import FakeDatabase
from tests.fakes.fragments import FakeFragmentStore
from tests.fakes.registry import FakeObjectRegistry
from tests.fakes.sql import FakeSqlRunner
from tests.fakes.transaction import FakeTransaction


@dataclass
class FakePorts:
    """The fakes every engine built while `installed()` is in force works on; `store`,
    `registry`, `codec` and `transaction` are the object fakes over `db`."""

    db: FakeDatabase = field(default_factory=FakeDatabase)
    capture: FakeChangeCapture = field(default_factory=FakeChangeCapture)
    runners: list[FakeSqlRunner] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = FakeFragmentStore(self.db)
        self.registry = FakeObjectRegistry(self.db)
        self.codec = FakeObjectCodec(self.db)
        self.transaction = FakeTransaction(self.db)

    def object_service(self) -> ObjectService:
        """An object service over these fakes, as the container wires the real one."""
        return ObjectService(self.store, self.registry, self.codec, self.transaction)

    def runner(self, params: EngineParams, name: str) -> FakeSqlRunner:
        """A new fake session for one engine, remembered in `runners`."""
        runner = FakeSqlRunner(params, name)
        self.runners.append(runner)
        return runner

    @contextmanager
    def installed(self, template: Container = container) -> Iterator[FakePorts]:
        """Override the adapter providers of `template` with these fakes for the block."""
        # Closures, not `providers.Object`: an engine's graph is a deep copy of the template,
        # and the fakes must stay shared between engines.
        with ExitStack() as stack:
            stack.enter_context(
                template.sql_runner.override(
                    providers.Singleton[SqlRunner](self.runner, template.params, template.name)
                )
            )
            stack.enter_context(
                template.change_capture.override(
                    providers.Singleton[ChangeCapture](lambda: self.capture)
                )
            )
            stack.enter_context(
                template.fragment_store.override(
                    providers.Singleton[FragmentStore](lambda: self.store)
                )
            )
            stack.enter_context(
                template.object_registry.override(
                    providers.Singleton[ObjectRegistry](lambda: self.registry)
                )
            )
            stack.enter_context(
                template.object_codec.override(providers.Singleton[ObjectCodec](lambda: self.codec))
            )
            yield self
