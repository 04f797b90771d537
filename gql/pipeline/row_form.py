"""The row form on a fast path: a series' points built as result objects in bulk; and every object
whose selected fields are plain data or plain functions of it completed in one step.

The row form (``series { ts violations ... }``) is a list of objects whose fields are all scalar
leaves read straight from the series' columns. Executed field by field, each of its values costs
a resolver call, argument handling and value completion: about 4 µs, or a quarter of a second for
50 entities x 144 points x 8 metrics. ``RowFormExecutor`` completes such a list in one step
instead, with the completer plans use too (``gql.pipeline.plain_values``): the selection collected
as graphql-core would (aliases, fragments, ``@include`` and ``@skip``) is compiled once per
operation (``gql.pipeline.plans.completion_of``), then the selected columns are zipped into one
dict per point.

It takes the fast path only when the whole selection can be answered that way: the list is a
``Rows`` (the series fields return one), every selected field is ``__typename`` or a column of
the series, and nothing is deferred. Anything else runs through ordinary execution. The values
need no completion: the upstream decoder checked every one against the scalar's range
(``resolvers.v2_payloads``), as the chart form's columns rely on too.

The same holds for any object whose selected fields are each an attribute (no resolver, no field
extension) or a *direct* resolver: synchronous, taking nothing but the object itself, with no
arguments, field extensions or permissions (``BreakdownEntity.totals``, ``Breakdown.entities``,
``TimeSeries.columns``...). Such an object is completed as a dict: each value is read or
computed, then completed by its type as ordinary execution would (leaves serialized by their
scalar, objects and lists of objects completed the same way, rows built in bulk). Anything else, a
resolver that raises, a null in a non-null field or a value its scalar refuses, makes the object
fall back to ordinary execution, which gives the same error at the same path: the resolvers are
pure functions of the object. When an extension wraps every resolver (OpenTelemetry spans, Apollo
traces), resolvers always run through it. On the reference dashboard, this leaves per-field
execution to the fields that take arguments or reach the upstream: about a hundred instead of
about 2,000.

``tests/test_row_form.py`` compares both paths on generated selections, on every field of every
series and breakdown, and on the fallbacks.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.pipeline.field_sources import FALL_BACK
from gql.pipeline.plain_values import complete_plain
from gql.pipeline.plans import Completion, completion_of


def _finished(*_: Any) -> Any:
    raise RuntimeError("this operation has finished executing")


_FINISHED = GraphQLResolveInfoHelpers(gather=_finished, track=_finished)


class RowFormExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with lists of ``Rows`` and objects of plain fields completed in one
    step when their selection allows, and let go of when the operation has finished."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._completions: dict[tuple[GraphQLOutputType, tuple[int, ...]], Completion | None] = {}

    def execute_operation(self, serially: bool | None = None) -> Any:
        """The operation's result; the executor's own reference cycle is broken once it is known.

        graphql-core's executor keeps its resolver helpers as its own bound methods: a cycle that
        holds the request's context, variables and collected fields until the cycle collector
        finds it, about 200 objects per small query. Their mere number made a young collection
        every few hundred requests spend 30 ms freeing them, a tenth of the CPU; broken here,
        reference counting frees them with the request.
        """
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):
            self._finish(result)
            return result

        async def finished() -> Any:
            completed = await result
            self._finish(completed)
            return completed

        return finished()

    def _finish(self, result: Any) -> None:
        if isinstance(result, ExecutionResult):  # not an incremental result still delivering
            self.async_helpers = _FINISHED

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        completed = self._plain(return_type, field_details_list, result)
        if completed is not FALL_BACK:
            return completed  # type: ignore[no-any-return]
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        completed = self._plain(return_type, field_details_list, result)
        if completed is not FALL_BACK:
            return completed  # type: ignore[no-any-return]
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plain(self, type_: GraphQLOutputType, details: FieldDetailsList, value: Any) -> Any:
        """``value`` completed by the plain-value completer, or ``FALL_BACK``. The completion is
        compiled once per selection and type in this operation (an entity list's 50 objects share
        one); an extension wrapping every resolver sees each direct resolver's call."""
        key = (type_, tuple(id(d.node) for d in details))
        completion = self._completions.get(key, FALL_BACK)
        if completion is FALL_BACK:
            completion = completion_of(self.schema, self, type_, details)
            self._completions[key] = completion
        if completion is None or not completion.plain:
            return FALL_BACK
        middleware = self.middleware_manager is not None and bool(self.middleware_manager.middlewares)
        return complete_plain(completion, value, direct=not middleware)
