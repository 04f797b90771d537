"""Query text → a parsed, validated document, once per distinct text, and the operation to run.

Documents are cached by the SHA-256 of their text, the key persisted queries use too, so a
dashboard that sends the same query a thousand times is parsed and validated once. Every way a
document can be refused is a ``RequestFailure`` with the code Apollo's tools know.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.validation import specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql import limits, metrics
from gql.failures import RequestFailure
from gql.limits import Limits


def document_key(text: str) -> str:
    """The SHA-256 of a query's text, hex: the key of the document cache and of persisted queries."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document that parsed and validated against the schema."""

    key: str
    text: str
    document: DocumentNode


class DocumentCache:
    """Parsed and validated documents by key, the most recently used kept, at most ``size`` of them.

    A refused document is cached as its failure, so a client that repeats a bad query costs no
    parsing either."""

    def __init__(self, schema: GraphQLSchema, size: int, limits: Limits | None = None) -> None:
        self.schema = schema
        self.size = size
        self.limits = limits or Limits()
        self._entries: OrderedDict[str, PreparedDocument | RequestFailure] = OrderedDict()

    def prepare(self, text: str, key: str | None = None) -> PreparedDocument:
        key = key or document_key(text)
        entry = self._entries.get(key)
        metrics.record_document_lookup(entry is not None)
        if entry is None:
            entry = self._prepare(text, key)
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        if isinstance(entry, RequestFailure):
            raise entry
        return entry

    def _prepare(self, text: str, key: str) -> PreparedDocument | RequestFailure:
        try:
            document = parse(text, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            if "tokens" in error.message and "Parsing aborted" in error.message:
                message = (
                    f"The document has more than {self.limits.max_tokens:,} tokens; make it smaller"
                    " (FLASHBACK_MAX_TOKENS)."
                )
                return RequestFailure.document("MAX_TOKENS_LIMIT", [GraphQLError(message)])
            return RequestFailure.document("GRAPHQL_PARSE_FAILED", [error])
        try:
            limits.check(limits.measure(document), self.limits)
        except RequestFailure as failure:
            return failure
        errors = validate_document(self.schema, document, tuple(specified_rules))
        if errors:
            return RequestFailure.document("GRAPHQL_VALIDATION_FAILED", errors)
        return PreparedDocument(key, text, document)


def operation_of(prepared: PreparedDocument, name: str | None) -> OperationDefinitionNode:
    """The operation to run: the one named, or the only one."""
    operation = get_operation_ast(prepared.document, name)
    if operation is not None:
        return operation
    if name is None:
        message = "The document holds several operations; send operationName to say which to run."
    else:
        names = [
            d.name.value
            for d in prepared.document.definitions
            if isinstance(d, OperationDefinitionNode) and d.name
        ]
        message = f"The document has no operation named {name!r}; it has {', '.join(names) or 'none named'}."
    raise RequestFailure.document("OPERATION_RESOLUTION_FAILURE", [GraphQLError(message)])


def check_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> VariableValues:
    """The operation's variables, coerced; ones it cannot take are refused with BAD_USER_INPUT."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    if isinstance(coerced, list):
        raise RequestFailure.document("BAD_USER_INPUT", coerced)
    return coerced


class PreparedDocumentExtension(SchemaExtension):
    """Hands the schema the document already parsed and validated, so it does neither again."""

    def on_parse(self) -> Iterator[None]:
        prepared: PreparedDocument | None = getattr(self.execution_context.context, "prepared", None)
        if prepared is not None:
            self.execution_context.graphql_document = prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        if getattr(self.execution_context.context, "prepared", None) is not None:
            self.execution_context.pre_execution_errors = []
        yield
