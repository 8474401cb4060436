"""Run a transfer between two engine graphs: reach the remote, move, leave the source as it was."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from sg.app.container import Container, transfer_graph
from sg.domain.errors import EngineConnectionError, RemoteEngineError, SgError
from sg.ports.progress import TransferProgress


@dataclass(frozen=True)
class TransferEnd:
    """One engine taking part in a transfer: its name and its graph."""

    name: str
    graph: Container


def move_objects(
    template: Container,
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
    source_runner = source.graph.sql_runner()
    source_was_idle = source_runner.idle()
    try:
        graph = transfer_graph(template, source.graph, destination.graph)
        service = graph.object_transfer(progress=progress, verify=verify)
        return [str(object_id) for object_id in service.transfer(objects)]
    finally:
        if source_was_idle:
            with contextlib.suppress(SgError):
                source_runner.rollback()


def _reach(remote: TransferEnd) -> None:
    """Open the remote's connection now, so that failing to reach it says so plainly."""
    try:
        remote.graph.sql_runner().connect()
    except EngineConnectionError as exc:
        # Built here, raised below: the new error carries no chain back to the driver.
        failure = RemoteEngineError(f"cannot reach the remote engine {remote.name!r}: {exc}")
    else:
        return
    raise failure
