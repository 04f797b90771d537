"""Running a prepared document through the schema.

Strawberry's ``Schema.execute`` parses and validates (``gql.pipeline.documents`` has done both), then runs
every extension's hooks around graphql-core's executor. With only the gateway's own extensions
installed, those hooks do nothing a request needs beyond the error policy and the upstream
report, yet they cost about a sixth of a small query's CPU. ``execute_prepared`` then calls
graphql-core's executor directly, with the schema's executor class, and applies the same policy
(``gql.pipeline.errors.GatewayErrors``'s two functions). When an extension that hooks resolvers or adds
its own results is installed (Apollo's FTV1 traces, OpenTelemetry spans), the document runs
through ``Schema.execute`` as before.

Which engine runs an operation is a setting (``FLASHBACK_ENGINE``), so that the fast paths can be
switched off without a deploy, and held to plain Strawberry by a differential test
(``tests/test_engine_oracle.py``):
- ``plans``: the operation's plan (``gql.pipeline.plans``), else graphql-core's executor;
- ``executor``: graphql-core's executor with the gateway's execution context (the row form);
- ``strawberry``: Strawberry's own ``Schema.execute`` on a schema built with its own executor and
  resolvers (``gql.pipeline.engine.create_schema``), the reference the others are compared with.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

from graphql import ExecutionResult as CoreResult
from graphql import GraphQLError, execute
from graphql.pyutils import is_awaitable
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql.pipeline import plan_runs
from gql.pipeline.documents import PreparedDocument, PreparedDocumentExtension
from gql.pipeline.errors import GatewayErrors, log_errors, public_error, result_extensions
from gql.pipeline.plans import Plan

OWN_EXTENSIONS = frozenset({PreparedDocumentExtension, GatewayErrors})
OPERATION_TYPES = frozenset(OperationType)  # a subscription's event runs as a query would
Engine = Literal["plans", "executor", "strawberry"]


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
    engine: Engine = "plans",
    root_value: object = None,
) -> ExecutionResult:
    """The result of running ``prepared``'s operation, its errors in their public form; by its
    ``plan`` (``gql.pipeline.plans``) when it has one and nothing wraps the resolvers. A
    subscription's operation runs once per event, ``root_value`` (``gql.live``)."""
    if engine == "strawberry" or not runs_directly(schema):
        result: ExecutionResult = await schema.execute(
            prepared.text,
            variable_values=dict(variables or {}),
            context_value=context,
            operation_name=operation_name,
            root_value=root_value,
            allowed_operation_types=OPERATION_TYPES,
        )
        return result
    core: Any
    try:
        if plan is not None and engine == "plans":
            core = await plan_runs.run(plan, context)
        else:
            core = execute(
                schema._schema,
                prepared.document,
                variable_values=dict(variables or {}),
                operation_name=operation_name,
                context_value=context,
                root_value=root_value,
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
