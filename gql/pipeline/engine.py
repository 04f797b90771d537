"""The executable schema: the types of ``gql.schema`` built into a Federation 2 subgraph with the
engine's executor, its lean resolvers and its extensions.

Every error leaves through ``gql.pipeline.errors``: the gateway's own failures with their code,
anything else (a bug) logged with its traceback and masked as ``INTERNAL_SERVER_ERROR``.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.apollo_federation import ApolloFederationTracingExtension
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, Info

from gql.pipeline import lean_resolvers
from gql.pipeline.documents import PreparedDocumentExtension
from gql.pipeline.errors import GatewayErrors, log_errors
from gql.pipeline.execution import Engine
from gql.pipeline.row_form import RowFormExecutor
from gql.schema.federated import ENTITY_TYPES
from gql.schema.live import Subscription
from gql.schema.root import Query
from gql.schema.scalars import SCALARS
from resolvers.errors import BadInput


class GatewaySchema(strawberry.federation.Schema):
    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """``_entities`` with a representation of no type of ours fails at that index only."""
        known = {t.__name__ for t in ENTITY_TYPES}
        results: list[object] = [None] * len(representations)
        ours = []
        for index, representation in enumerate(representations):
            name = representation.get("__typename") if isinstance(representation, dict) else None
            if name in known:
                ours.append(index)
            else:
                results[index] = BadInput(
                    f"representations[{index}] has __typename {name!r}; this subgraph resolves"
                    f" {', '.join(sorted(known))}."
                )
        for index, result in zip(
            ours, super().entities_resolver(info, [representations[i] for i in ours]), strict=True
        ):
            results[index] = result
        return results  # type: ignore[return-value]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


@functools.cache
def create_schema(
    federation_tracing: bool = False,
    resolver_spans: type[SchemaExtension] | None = None,
    executor: type[Any] = RowFormExecutor,
    lean: bool = True,
) -> strawberry.Schema:  # pragma: no mutate block (import time)
    """The Federation 2 subgraph schema; FTV1 traces only when enabled (any client could ask), and
    OpenTelemetry spans per resolver only when ``gql.server.tracing`` gives their extension. ``executor``:
    graphql-core's executor class (the row form's fast path, ``gql.pipeline.row_form``); ``lean``: resolvers
    called without Strawberry's argument conversion where it converts nothing
    (``gql.pipeline.lean_resolvers``)."""
    extensions: list[Any] = [PreparedDocumentExtension, GatewayErrors]
    if federation_tracing:
        extensions.append(ApolloFederationTracingExtension)
    if resolver_spans is not None:
        extensions.append(resolver_spans)
    built = GatewaySchema(
        query=Query,
        subscription=Subscription,
        types=ENTITY_TYPES,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        execution_context_class=executor,
    )
    if lean:
        lean_resolvers.install(built)
    return built


def engine_schema(
    engine: Engine, federation_tracing: bool = False, resolver_spans: type[SchemaExtension] | None = None
) -> strawberry.Schema:  # pragma: no mutate block (import time)
    """The schema an engine runs on: plain Strawberry's own executor and resolvers for
    ``strawberry`` (the reference), the row form and lean resolvers for the others."""
    spans: Any = resolver_spans  # a class is hashable, as the cache of ``create_schema`` needs
    if engine == "strawberry":
        return create_schema(federation_tracing, spans, StrawberryGraphQLCoreExecutionContext, lean=False)
    return create_schema(federation_tracing, spans)


# The newest Federation 2 version that both Apollo's composer (@apollo/composition 2.14) and The
# Guild's (@theguild/federation-composition, inside Hive Gateway) accept: the Guild's knows v2.0 to
# v2.9 and refuses v2.11. The subgraph uses only @key, which every 2.x has.
FEDERATION_VERSION: Final = "2.9"
schema = create_schema()


def sdl() -> str:
    return schema.as_str() + "\n"
