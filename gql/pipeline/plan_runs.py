"""A plan run for one request: each step read, computed or resolved, plain values completed in one
pass, errors collected at their paths as graphql-core collects them (``gql.pipeline.plans``
builds the plans).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    located_error,
)
from graphql.execution.executor import CollectedErrors
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect, is_iterable
from graphql.type import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable

from gql.pipeline.field_sources import FALL_BACK
from gql.pipeline.plain_values import bulk_rows, complete_plain
from gql.pipeline.plans import ATTRIBUTE, DIRECT, TYPE_NAME, Completion, Plan, Step
from gql.schema.rows import Rows


async def run(plan: Plan, context: Any) -> ExecutionResult:
    """The plan's operation for one request: data and errors as graphql-core gives them."""
    running = _Run(plan, context)
    try:
        data = running.fields(plan.steps, None, None)
        if is_awaitable(data):
            data = await data
    except GraphQLError as error:
        running.errors.add(error, None)
        data = None
    if running.stragglers:
        await asyncio.gather(*running.stragglers, return_exceptions=True)
    return ExecutionResult(data, running.errors.errors or None)


_tracked: set[asyncio.Future[Any]] = set()


def _track(values: Sequence[Any]) -> None:
    """Work a resolver hands over to finish on its own (graphql-core's ``info.async_helpers.track``)."""
    for value in values:
        if is_awaitable(value):
            future = asyncio.ensure_future(value)
            _tracked.add(future)
            future.add_done_callback(_tracked.discard)


# Shared by every run: helpers bound to a run would make a reference cycle through each info.
HELPERS = GraphQLResolveInfoHelpers(gather=gather_with_cancel, track=_track)  # type: ignore[arg-type]


class _Run:
    __slots__ = ("context", "errors", "plan", "stragglers")

    def __init__(self, plan: Plan, context: Any) -> None:
        self.plan = plan
        self.context = context
        self.errors = CollectedErrors()
        self.stragglers: list[asyncio.Future[Any]] = []

    def _settle(self, awaitables: Sequence[Awaitable[Any]]) -> None:
        """Awaitables a failure left behind: still run to their end before the answer, as graphql-core
        settles them, their errors dropped under the nulled position."""
        self.stragglers.extend(asyncio.ensure_future(each) for each in awaitables)

    def info(self, step: Step, path: Path) -> GraphQLResolveInfo[Any]:
        executor = self.plan.executor
        assert step.field is not None
        return GraphQLResolveInfo(
            step.field_name,
            step.nodes,
            step.field.type,
            step.parent,
            path,
            self.plan.schema,
            executor.fragment_definitions,
            None,
            executor.operation,
            executor.variable_values.coerced,  # type: ignore[arg-type]  # resolvers get the plain dict, as Strawberry's executor gives them
            self.context,
            is_awaitable,  # type: ignore[arg-type]
            None,
            HELPERS,
        )

    def fields(self, steps: list[Step], source: Any, path: Path | None) -> Any:
        results: dict[str, Any] = {}
        waiting: list[str] = []
        try:
            for step in steps:
                value = self.field(step, source, Path(path, step.key, step.parent.name))
                results[step.key] = value
                if is_awaitable(value):
                    waiting.append(step.key)
        except Exception:
            self._settle([results[key] for key in waiting])
            raise
        return self._gathered(results, waiting) if waiting else results

    @staticmethod
    async def _gathered(results: Any, waiting: list[Any]) -> Any:
        """``results`` (an object's dict or a list) with its awaitables at ``waiting`` awaited
        concurrently; one alone is awaited in place."""
        if len(waiting) == 1:
            results[waiting[0]] = await results[waiting[0]]
        else:
            values = await gather_with_cancel(*(results[place] for place in waiting))
            for place, value in zip(waiting, values, strict=True):
                results[place] = value
        return results

    def field(self, step: Step, source: Any, path: Path) -> Any:
        how = step.how
        if how == TYPE_NAME:
            return step.source
        completion = step.complete
        assert completion is not None
        try:
            if how == ATTRIBUTE:
                value = getattr(source, step.source)
            elif how == DIRECT:
                value = step.source(source)
            else:
                value = step.source(source, self.info(step, path), **step.args)
            if is_awaitable(value):
                return self._awaited(completion, step, path, value)
            completed = self.complete(completion, step, path, value)
            if is_awaitable(completed):
                return self._completed_later(completion, step, path, completed)
            return completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)

    def failed(self, raw: Exception, completion: Completion, step: Step, path: Path) -> Any:
        """graphql-core's ``handle_field_error``: raised on through a non-null position, else kept."""
        error = located_error(raw, step.nodes, path.as_list())
        if completion.non_null:
            raise error
        self.errors.add(error, path)
        return None

    async def _awaited(self, completion: Completion, step: Step, path: Path, value: Awaitable[Any]) -> Any:
        try:
            completed = self.complete(completion, step, path, await value)
            if is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)
        return completed

    async def _completed_later(self, completion: Completion, step: Step, path: Path, completed: Any) -> Any:
        try:
            return await completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)

    def complete(self, completion: Completion, step: Step, path: Path, value: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if completion.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {step.parent}.{step.field_name}.")
            return None
        kind = completion.kind
        if kind != "leaf" and completion.plain:
            done = complete_plain(completion, value)
            if done is not FALL_BACK:
                return done
        if kind == "leaf":
            leaf = completion.nullable
            coerced = leaf.coerce_output_value(value)
            if coerced is Undefined or coerced is None:
                raise TypeError(
                    f"Expected `{inspect(leaf)}.coerce_output_value({inspect(value)})` to return"
                    f" non-nullable value, returned: {inspect(coerced)}"
                )
            return coerced
        if kind == "object":
            return self.fields(completion.steps, value, path)
        return self.complete_list(completion, step, path, value)

    def complete_list(self, completion: Completion, step: Step, path: Path, value: Any) -> Any:
        if isinstance(value, Rows) and completion.rows is not None:
            built = bulk_rows(completion, value)
            if built is not None:
                return built
        if not is_iterable(value):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{step.parent}.{step.field_name}'."
            )
        item = completion.item
        assert item is not None
        completed: list[Any] = []
        waiting: list[int] = []
        try:
            for index, each in enumerate(value):
                item_path = path.add_key(index, None)
                try:
                    if is_awaitable(each):
                        completed.append(self._awaited(item, step, item_path, each))
                        waiting.append(index)
                        continue
                    done = self.complete(item, step, item_path, each)
                    if is_awaitable(done):
                        completed.append(self._completed_later(item, step, item_path, done))
                        waiting.append(index)
                    else:
                        completed.append(done)
                except Exception as raw:
                    completed.append(self.failed(raw, item, step, item_path))
        except Exception:
            self._settle([completed[index] for index in waiting])
            raise
        return self._gathered(completed, waiting) if waiting else completed
