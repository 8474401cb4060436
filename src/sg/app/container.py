"""The composition root: the graph of one engine's adapters and services, and of a transfer.

`container` is the template every facade copies for its own engine (`engine_graph`), with
the overrides in force at that moment: a test overrides one provider, e.g.
`container.sql_runner.override(providers.Singleton[SqlRunner](Fake, container.params,
container.name))`, and every service an engine built inside the block receives is wired
around it. A transfer's graph (`transfer_graph`) joins two engine graphs.
"""

from __future__ import annotations

from typing import cast

from dependency_injector import containers, providers

from sg.adapters.fdw.transport import FdwTransport
from sg.adapters.postgres.capture.change_capture import PostgresChangeCapture
from sg.adapters.postgres.catalog.admin import PostgresDatabaseAdmin
from sg.adapters.postgres.catalog.catalog import PostgresCatalog
from sg.adapters.postgres.catalog.schema_installer import PostgresSchemaInstaller
from sg.adapters.postgres.catalog.sql_dump import PostgresTableSqlDumper
from sg.adapters.postgres.objects.copy_codec import CopyObjectCodec
from sg.adapters.postgres.objects.fragments import PostgresFragmentStore
from sg.adapters.postgres.objects.registry import PostgresObjectRegistry
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.adapters.postgres.transfer.copy_transport import CopyStreamTransport
from sg.adapters.postgres.versions.table_shapes import PostgresTableShapes
from sg.adapters.postgres.versions.version_store import PostgresVersionStore
from sg.app.transfer_settings import transport_kind
from sg.domain.engine_params import EngineParams
from sg.domain.services.change_tracking import ChangeTracking
from sg.domain.services.commits import ChangeCommitter
from sg.domain.services.objects import ObjectService
from sg.domain.services.transfer import ObjectTransfer
from sg.domain.services.versions import VersionService
from sg.ports.admin import DatabaseAdmin, SchemaInstaller
from sg.ports.capture import ChangeCapture
from sg.ports.catalog import Catalog
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import SqlRunner
from sg.ports.transport import ObjectTransport, TransferRoute
from sg.ports.versions import TableShapes, VersionStore


class Container(containers.DeclarativeContainer):
    """One engine's graph: its session, the adapters on it and the services over them.

    Providers are typed with the port they provide, so an override of the wrong type fails
    `mypy --strict`. Within one graph every provider but the transfer's is a singleton: the
    services of one engine share its one session.
    """

    params = providers.Dependency(instance_of=EngineParams)
    name = providers.Dependency(instance_of=str)

    sql_runner: providers.Provider[SqlRunner] = providers.Singleton(PostgresSession, params, name)
    catalog: providers.Provider[Catalog] = providers.Singleton(PostgresCatalog, sql_runner)
    database_admin: providers.Provider[DatabaseAdmin] = providers.Singleton(
        PostgresDatabaseAdmin, params
    )
    schema_installer: providers.Provider[SchemaInstaller] = providers.Singleton(
        PostgresSchemaInstaller, sql_runner
    )
    table_sql_dumper: providers.Provider[PostgresTableSqlDumper] = providers.Singleton(
        PostgresTableSqlDumper, sql_runner
    )

    fragment_store: providers.Provider[FragmentStore] = providers.Singleton(
        PostgresFragmentStore, sql_runner
    )
    object_registry: providers.Provider[ObjectRegistry] = providers.Singleton(
        PostgresObjectRegistry, sql_runner
    )
    object_codec: providers.Provider[ObjectCodec] = providers.Singleton(CopyObjectCodec, sql_runner)
    object_service: providers.Provider[ObjectService] = providers.Singleton(
        ObjectService,
        store=fragment_store,
        registry=object_registry,
        codec=object_codec,
        transaction=sql_runner,
    )

    change_capture: providers.Provider[ChangeCapture] = providers.Singleton(
        PostgresChangeCapture, sql_runner
    )
    change_tracking: providers.Provider[ChangeTracking] = providers.Singleton(
        ChangeTracking, change_capture
    )
    change_committer: providers.Provider[ChangeCommitter] = providers.Singleton(
        ChangeCommitter,
        changes=change_tracking,
        objects=object_service,
        lock=catalog,
        transaction=sql_runner,
    )

    version_store: providers.Provider[VersionStore] = providers.Singleton(
        PostgresVersionStore, sql_runner
    )
    table_shapes: providers.Provider[TableShapes] = providers.Singleton(
        PostgresTableShapes, sql_runner
    )
    version_service: providers.Provider[VersionService] = providers.Singleton(
        VersionService,
        store=version_store,
        shapes=table_shapes,
        tracker=change_tracking,
        objects=object_service,
        committer=change_committer,
        lock=catalog,
        transaction=sql_runner,
    )

    # A transfer's two ends are engine graphs, given by `transfer_graph`.
    source = providers.DependenciesContainer()
    destination = providers.DependenciesContainer()
    transfer_route: providers.Provider[TransferRoute] = providers.Factory(
        TransferRoute, source.sql_runner, source.params, destination.sql_runner, destination.params
    )
    # `SG_TRANSPORT` picks the adapter each time a transfer is built.
    object_transport: providers.Provider[ObjectTransport] = providers.Selector(
        transport_kind,
        copy=providers.Factory(CopyStreamTransport, transfer_route),
        fdw=providers.Factory(FdwTransport, transfer_route),
    )
    object_transfer: providers.Provider[ObjectTransfer] = providers.Factory(
        ObjectTransfer,
        source=source.object_registry,
        destination=destination.object_registry,
        destination_store=destination.fragment_store,
        destination_work=destination.sql_runner,
        transport=object_transport,
    )


container = Container()
"""The template the facades copy unless they are given another."""


def engine_graph(template: Container, params: EngineParams, name: str) -> Container:
    """A fresh copy of `template`'s graph for one engine, with the overrides now in force."""
    graph = cast(Container, providers.deepcopy(template))
    graph.params.override(providers.Object(params))
    graph.name.override(providers.Object(name))
    return graph


def transfer_graph(template: Container, source: Container, destination: Container) -> Container:
    """A fresh copy of `template`'s graph for one transfer from `source` to `destination`."""
    graph = cast(Container, providers.deepcopy(template))
    graph.source.override(source)
    graph.destination.override(destination)
    return graph
