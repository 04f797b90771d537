"""Running a prepared document through the schema.

Strawberry's ``Schema.execute`` parses and validates (``gql.documents`` has done both), then runs
every extension's hooks around graphql-core's executor. With only the gateway's own extensions
installed, those hooks do nothing a request needs beyond the error policy and the upstream
report, yet they cost about a sixth of a small query's CPU. ``execute_prepared`` then calls
graphql-core's executor directly, with the schema's executor class, and applies the same policy
(``gql.schema.GatewayErrors``'s two functions). When an extension that hooks resolvers or adds
its own results is installed (Apollo's FTV1 traces, OpenTelemetry spans), the document runs
through ``Schema.execute`` as before.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from graphql import ExecutionResult as CoreResult
from graphql import GraphQLError, execute
from graphql.pyutils import is_awaitable
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult

from gql import plans
from gql.documents import PreparedDocument, PreparedDocumentExtension
from gql.errors import public_error
from gql.plans import Plan
from gql.schema import GatewayErrors, log_errors, result_extensions

OWN_EXTENSIONS = frozenset({PreparedDocumentExtension, GatewayErrors})


@functools.cache
def runs_directly(schema: Any) -> bool:
    """True when every extension of ``schema`` is the gateway's own and it has no directives; asked
    on every request, known once per schema."""
    return set(schema.extensions) <= OWN_EXTENSIONS and not schema.directives


async def execute_prepared(
    schema: Any,
    prepared: PreparedDocument,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    context: object,
    plan: Plan | None = None,
) -> ExecutionResult:
    """The result of running ``prepared``'s operation, its errors in their public form; by its
    ``plan`` (``gql.plans``) when it has one and nothing wraps the resolvers."""
    if not runs_directly(schema):
        result: ExecutionResult = await schema.execute(
            prepared.text,
            variable_values=dict(variables or {}),
            context_value=context,
            operation_name=operation_name,
        )
        return result
    core: Any
    try:
        if plan is not None:
            core = await plans.run(plan, context)
        else:
            core = execute(
                schema._schema,
                prepared.document,
                variable_values=dict(variables or {}),
                operation_name=operation_name,
                context_value=context,
                executor_class=schema.execution_context_class,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            )
            if is_awaitable(core):
                core = await core
    except Exception as exc:  # as Strawberry's execute does: a bug is an error in the answer
        core = CoreResult(
            None, [exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)]
        )
    assert isinstance(core, CoreResult)
    errors = None
    if core.errors:
        log_errors(core.errors)
        errors = [public_error(error) for error in core.errors]
    return ExecutionResult(data=core.data, errors=errors, extensions=result_extensions(context))
