"""Query text → a parsed, validated document, once per distinct text, and the operation to run.

Documents are cached by the SHA-256 of their text, the key persisted queries use too, so a
dashboard that sends the same query a thousand times is parsed and validated once. Every way a
document can be refused is a ``RequestFailure`` with the code Apollo's tools know.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    Lexer,
    OperationDefinitionNode,
    Source,
    Token,
    get_operation_ast,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.language.parser import Parser, nested_too_deeply_error
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql.pipeline import limits
from gql.pipeline.failures import RequestFailure
from gql.pipeline.limits import Limits
from gql.pipeline.overlaps import OTHER_RULES, overlapping_fields
from resolvers.bounded_cache import BoundedCache


class _ForwardLexer(Lexer):
    """graphql-core's lexer, its token list linked forwards only.

    Each token links to the next and back to the one before: a document's tokens, thousands of
    them, are a reference cycle that only the cycle collector frees, whether the document was
    kept, evicted, or refused halfway (10,000 refused documents held hundreds of megabytes until a
    rare full collection). Nothing reads the backward link after lexing; without it, reference
    counting frees the tokens with their document, or as soon as a parse fails."""

    def lookahead(self) -> Token:
        found = super().lookahead()
        token = self.token.next
        while token is not None:
            token.prev = None
            if token is found:
                break
            token = token.next
        return found


def parse(text: str, max_tokens: int) -> DocumentNode:
    """``graphql.parse`` with ``max_tokens``, over ``_ForwardLexer``."""
    source = Source(text)
    parser = Parser(source, max_tokens=max_tokens, lexer=_ForwardLexer(source))
    try:
        return parser.parse_document()
    except RecursionError:
        pass
    raise nested_too_deeply_error(parser)


def document_key(text: str) -> str:
    """The SHA-256 of a query's text, hex: the key of the document cache and of persisted queries."""
    return hashlib.sha256(text.encode()).hexdigest()


# What a kept document costs beside its text, per field: its AST nodes (names, arguments,
# locations, tokens). Plans and estimates are kept by the same measure (gql.server.http).
BYTES_PER_FIELD = 1_024


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document that parsed and validated against the schema; ``fields`` is its largest
    operation's fields with fragments spread in place (``gql.pipeline.limits``)."""

    key: str
    text: str
    document: DocumentNode
    fields: int = 0

    def size(self) -> int:
        """Bytes it holds, roughly: its text twice (source and token values) and its nodes."""
        return 2 * len(self.text) + BYTES_PER_FIELD * self.fields


def _kept_failure(failure: RequestFailure, text: str) -> tuple[RequestFailure, int]:
    """A refusal fit to keep: its errors without the tracebacks of the parse that raised them
    (which hold the parser's frames and make reference cycles), and its size."""
    for error in failure.errors:
        error.__traceback__ = error.__cause__ = error.__context__ = None
    return failure, len(text) + sum(2 * len(error.message) for error in failure.errors)


class DocumentCache:
    """Parsed and validated documents by key, the most recently used kept, at most ``size`` of them
    and ``max_bytes`` of them in all (``gql.pipeline.bounded_cache``).

    A refused document is cached as its failure, so a client that repeats a bad query costs no
    parsing either; each refusal is raised as a new exception, so none carries the frames of an
    earlier request."""

    def __init__(
        self,
        schema: GraphQLSchema,
        size: int,
        limits: Limits | None = None,
        max_bytes: int = 64 << 20,
        on_lookup: Callable[[bool], None] | None = None,
    ) -> None:
        """``on_lookup`` hears whether each lookup found its document (the server counts them)."""
        self.schema = schema
        self.on_lookup = on_lookup
        self.size = size
        self.limits = limits or Limits()
        self.max_bytes = max_bytes
        self._entries: BoundedCache[PreparedDocument | RequestFailure] = BoundedCache(size, max_bytes)

    def prepare(self, text: str, key: str | None = None) -> PreparedDocument:
        key = key or document_key(text)
        found, entry = self._entries.lookup(key)
        if self.on_lookup is not None:
            self.on_lookup(found)
        if entry is None:
            entry = self._prepare(text, key)
            if isinstance(entry, RequestFailure):
                entry, size = _kept_failure(entry, text)
            else:
                size = entry.size()
            self._entries.put(key, entry, size)
        if isinstance(entry, RequestFailure):
            raise RequestFailure(
                entry.code, entry.errors, entry.status, entry.legacy_status, entry.extensions
            )
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
        shape = limits.measure(document)
        try:
            limits.check(shape, self.limits)
        except RequestFailure as failure:
            return failure
        errors = validate_document(self.schema, document, OTHER_RULES) or overlapping_fields(
            self.schema, document
        )
        if errors:
            return RequestFailure.document("GRAPHQL_VALIDATION_FAILED", errors)
        return PreparedDocument(key, text, document, shape.fields)


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
