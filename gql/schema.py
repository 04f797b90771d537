"""The schema: ``stats`` and ``legacy`` at the root, our scalars, and the error policy.

Every error leaves through ``gql.errors``: the gateway's own failures with their code, anything
else (a bug) logged with its traceback and masked as ``INTERNAL_SERVER_ERROR``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.apollo_federation import ApolloFederationTracingExtension
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from gql import lean_resolvers
from gql.documents import PreparedDocumentExtension
from gql.errors import is_bug, public_error
from gql.federated import ENTITY_TYPES
from gql.legacy_types import Legacy
from gql.row_form import RowFormExecutor
from gql.scalars import SCALARS
from gql.stats_root import Stats, resolve_stats
from resolvers.context import RequestContext
from resolvers.errors import BadInput

log = logging.getLogger("gql")


@strawberry.type(description="Flashback usage statistics.")
class Query:
    stats: Stats | None = strawberry.field(
        resolver=resolve_stats,
        description=(
            "Statistics of one scope over one window: storage, AI, private chat, policies, credits."
            " Null, with an error, when its arguments cannot be answered: other roots still answer."
        ),
    )

    @strawberry.field(description="The older statistics endpoints, with V2 field names.")
    def legacy(self) -> Legacy:
        return Legacy()


def result_extensions(context: object) -> dict[str, object]:
    """What the gateway adds to a result's ``extensions``: the upstream report, when asked for."""
    if isinstance(context, RequestContext) and context.report_upstream:
        return {"upstream": context.log.report()}
    return {}


def log_errors(errors: list[GraphQLError]) -> None:
    """A bug is logged with its traceback; an expected failure at debug level."""
    for error in errors:
        if is_bug(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        else:
            log.debug("request error: %s", error.message)


class GatewayErrors(SchemaExtension):
    """Gives every error its public form and, on request, reports the upstream calls in ``extensions``."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [public_error(error) for error in result.errors]

    def get_results(self) -> dict[str, object]:
        return result_extensions(self.execution_context.context)


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
    OpenTelemetry spans per resolver only when ``gql.tracing`` gives their extension. ``executor``:
    graphql-core's executor class (the row form's fast path, ``gql.row_form``); ``lean``: resolvers
    called without Strawberry's argument conversion where it converts nothing
    (``gql.lean_resolvers``)."""
    extensions: list[Any] = [PreparedDocumentExtension, GatewayErrors]
    if federation_tracing:
        extensions.append(ApolloFederationTracingExtension)
    if resolver_spans is not None:
        extensions.append(resolver_spans)
    built = GatewaySchema(
        query=Query,
        types=ENTITY_TYPES,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        execution_context_class=executor,
    )
    if lean:
        lean_resolvers.install(built)
    return built


# The newest Federation 2 version that both Apollo's composer (@apollo/composition 2.14) and The
# Guild's (@theguild/federation-composition, inside Hive Gateway) accept: the Guild's knows v2.0 to
# v2.9 and refuses v2.11. The subgraph uses only @key, which every 2.x has.
FEDERATION_VERSION: Final = "2.9"
schema = create_schema()


def sdl() -> str:
    return schema.as_str() + "\n"
