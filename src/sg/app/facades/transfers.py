"""Wire a transfer between two engines: adapters from the container, the service, its errors."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from sg.adapters.postgres.session.session_state import is_between_transactions
from sg.app.container import Container
from sg.domain.engine_params import EngineParams
from sg.domain.errors import EngineConnectionError, RemoteEngineError, SgError
from sg.ports.progress import TransferProgress
from sg.ports.sql import SqlRunner
from sg.ports.transport import TransferRoute


@dataclass(frozen=True)
class TransferEnd:
    """One engine taking part in a transfer: its name, parameters and SQL port."""

    name: str
    params: EngineParams
    runner: SqlRunner


def move_objects(
    container: Container,
    objects: Sequence[str],
    source: TransferEnd,
    destination: TransferEnd,
    remote: TransferEnd,
    progress: TransferProgress | None,
    verify: bool,
) -> list[str]:
    """Move the objects the destination lacks; `RemoteEngineError` if `remote` is unreachable.

    The source is only read: a transaction it had open stays open; one the transfer's
    reads opened is ended, so that no locks linger there either.
    """
    _reach(remote)
    source_was_idle = is_between_transactions(source.runner)
    try:
        return _transfer(container, objects, source, destination, progress, verify)
    finally:
        if source_was_idle:
            with contextlib.suppress(SgError):
                source.runner.rollback()


def _transfer(
    container: Container,
    objects: Sequence[str],
    source: TransferEnd,
    destination: TransferEnd,
    progress: TransferProgress | None,
    verify: bool,
) -> list[str]:
    route = TransferRoute(source.runner, source.params, destination.runner, destination.params)
    service = container.object_transfer(
        source=container.object_registry(source.runner),
        destination=container.object_registry(destination.runner),
        destination_store=container.fragment_store(destination.runner),
        destination_work=destination.runner,
        transport=container.object_transport(route),
        progress=progress or container.transfer_progress(),
        verify=verify,
    )
    return [str(object_id) for object_id in service.transfer(objects)]


def _reach(remote: TransferEnd) -> None:
    """Open the remote's connection now, so that failing to reach it says so plainly."""
    try:
        remote.runner.native_connection()
    except EngineConnectionError as exc:
        # Built here, raised below: the new error carries no chain back to the driver.
        failure = RemoteEngineError(f"cannot reach the remote engine {remote.name!r}: {exc}")
    else:
        return
    raise failure
