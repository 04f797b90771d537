"""One compiled operation per (document, operation, variables): the variables coerced, the cost
estimated and the plan built once, and kept together in one cache bounded in bytes.

A dashboard sends the same document with the same variables again and again; each of the three
steps walks the operation, and each used to have its own cache under the same key. Kept as one
entry they are made together, sized together and dropped together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import VariableValues

from gql.pipeline import cost
from gql.pipeline.budget import Estimate, estimate_bytes
from gql.pipeline.documents import PreparedDocument, check_variables
from gql.pipeline.limits import Limits
from gql.pipeline.plans import Plan, plan_for
from resolvers.bounded_cache import BoundedCache

# The document's key, the operation's name, and a digest of the variables: not the variables
# themselves, so that a 200 KB id is not kept three times over.
OperationKey = tuple[str, str | None, bytes]


@dataclass(frozen=True, slots=True)
class CompiledOperation:
    key: OperationKey
    operation: OperationDefinitionNode
    name: str | None
    variables: VariableValues  # coerced by the schema
    estimate: Estimate
    plan: Plan | None  # None: the executor runs it (no plans, or the operation has none)

    @property
    def kind(self) -> str:
        """``query``, ``mutation`` or ``subscription``."""
        return self.operation.operation.value


class OperationCache:
    """Compiled operations, the most recently used kept, at most ``size`` and ``max_bytes`` in all.
    Refusals (variables the operation cannot take) are raised, not kept: a request that repeats
    one costs a coercion, which is linear in its variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: Limits,
        max_calls: int,
        size: int = 1_024,
        max_bytes: int = 64 << 20,
        plans: bool = True,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.max_calls = max_calls
        self.plans = plans
        self._entries: BoundedCache[CompiledOperation] = BoundedCache(size, max_bytes)

    def compile(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> CompiledOperation:
        name = operation.name.value if operation.name else None
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        key = (prepared.key, name, hashlib.blake2b(encoded, digest_size=16).digest())
        return self._entries.get(
            key,
            lambda: self._compile(key, prepared, operation, name, variables),
            lambda compiled: _size(compiled, prepared, len(encoded)),
        )

    def _compile(
        self,
        key: OperationKey,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> CompiledOperation:
        coerced = check_variables(self.schema, operation, variables)
        estimate = cost.estimate(
            self.schema,
            prepared.document,
            operation,
            coerced,
            self.limits.max_representations,
            self.max_calls,
        )
        plan = plan_for(self.schema, prepared.document, variables, name) if self.plans else None
        return CompiledOperation(key, operation, name, coerced, estimate, plan)


def _size(compiled: CompiledOperation, prepared: PreparedDocument, variables: int) -> int:
    """Bytes an entry holds: its estimate's requests, the variables as given and coerced, and a plan
    as large as its document (its steps mirror the document's fields)."""
    plan = prepared.size() if compiled.plan is not None else 0
    return estimate_bytes(compiled.estimate) + plan + 2 * variables + 256
