"""Persisted queries, both kinds: Apollo's automatic persisted queries and trusted documents.

**Automatic (APQ).** A client sends ``extensions.persistedQuery = {version: 1, sha256Hash}``
without the query; on a miss it gets ``PERSISTED_QUERY_NOT_FOUND`` (status 200, so every APQ
client resends) and sends hash and query together, which registers it. The hash is checked
against the query. The store keeps the most recently used documents, bounded in count and bytes.

**Trusted documents.** A manifest in Apollo's persisted-query manifest format
(``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body", ...}]}``)
serves its documents by id, sent the same way. With ``only_trusted``, any other document is
refused with ``PERSISTED_QUERY_NOT_IN_LIST`` and nothing is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError

from gql.pipeline.documents import document_key
from gql.pipeline.failures import RequestFailure
from resolvers.bounded_cache import BoundedCache

MANIFEST_FORMAT = "apollo-persisted-query-manifest"


def load_manifest(path: Path) -> dict[str, str]:
    """Document text by id, from a manifest file; a malformed one stops the start with a clear line."""
    try:
        manifest = orjson.loads(path.read_bytes())
        if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != 1:
            raise ValueError(f"not an {MANIFEST_FORMAT} of version 1")
        return {str(op["id"]): str(op["body"]) for op in manifest["operations"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"FLASHBACK_TRUSTED_DOCUMENTS={str(path)!r} cannot be used: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Resolved:
    """The query text to run, and its key when the client named it by hash; ``register``: a text
    sent with its hash, to keep once it has validated (``PersistedQueries.keep``)."""

    text: str
    key: str
    register: bool = False


class PersistedQueries:
    def __init__(
        self,
        trusted: Mapping[str, str] | None = None,
        only_trusted: bool = False,
        apq: bool = True,
        max_entries: int = 1_000,
        max_bytes: int = 10_000_000,
    ) -> None:
        self.trusted = dict(trusted or {})
        self.trusted_texts = {document_key(text) for text in self.trusted.values()}
        self.only_trusted = only_trusted
        self.apq = apq and not only_trusted
        # Text is stored once per hash; a text larger than the whole bound is not kept.
        self._store: BoundedCache[str] = BoundedCache(max_entries, max_bytes)

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> Resolved:
        """The document a request asks to run, by text or by hash."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                raise RequestFailure.request(
                    "BAD_REQUEST", "The request has no `query`; send the document as `query`."
                )
            key = document_key(query)
            self._check_trusted(key)
            return Resolved(query, key)
        digest = _digest(persisted)
        if query is None:
            text = self.trusted.get(digest) or self._recall(digest)
            if text is None:
                raise RequestFailure(
                    "PERSISTED_QUERY_NOT_FOUND",
                    [GraphQLError("PersistedQueryNotFound")],
                    200,
                    200,
                )
            return Resolved(text, document_key(text))
        key = document_key(query)
        if key != digest and digest not in self.trusted:
            raise RequestFailure.request("BAD_REQUEST", "provided sha does not match query")
        self._check_trusted(key)
        return Resolved(query, key, register=self.apq)

    def keep(self, resolved: Resolved) -> None:
        """Remember a document sent with its hash, once it has parsed and validated: a hash never
        stands for a document that can only be refused."""
        if resolved.register:
            self._remember(resolved.key, resolved.text)

    def _check_trusted(self, key: str) -> None:
        if self.only_trusted and key not in self.trusted_texts:
            raise RequestFailure.request(
                "PERSISTED_QUERY_NOT_IN_LIST",
                "This gateway runs only its trusted documents; send one of them by id"
                " (extensions.persistedQuery.sha256Hash).",
            )

    def _recall(self, key: str) -> str | None:
        if not self.apq:
            return None
        return self._store.lookup(key)[1]

    def _remember(self, key: str, text: str) -> None:
        if key not in self._store:
            self._store.put(key, text, len(text))


def _digest(persisted: object) -> str:
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise RequestFailure.request(
            "PERSISTED_QUERY_NOT_SUPPORTED", "Only persisted queries of version 1 are supported."
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise RequestFailure.request(
            "BAD_REQUEST", "extensions.persistedQuery.sha256Hash must be a SHA-256 hex digest."
        )
    return digest.lower()
