"""The table of breakdown dimensions: one fact per ``by`` of each domain, in one place.

What each ``by`` is, its GraphQL name, the federated type its entities are, how one entity narrows
the statistics (a scope of its own, or a resource filter), and the extra totals or fields its answer
carries. The GraphQL enums and links, the federated entities' fields, the cost model, entity
batching and the breakdown parsers all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolvers import resources
from resolvers.resources import Metric


@dataclass(frozen=True, slots=True)
class Dimension:
    """One ``by`` of one domain's breakdown."""

    domain: str  # resources.Domain.name
    by: str  # the upstream's path segment and meta.breakdownBy
    name: str | None  # its GraphQL enum member; None where the domain has a field of its own for it
    about: str  # what one entity is, and what its id holds
    entity_type: str | None = None  # the federated type its entities are, if any
    scope: str | None = None  # the scope whose id names one entity (workspace, repo), if any
    filter: str | None = None  # the resource filter that names one entity, if any
    extra_totals: tuple[Metric, ...] = ()  # totals beyond the domain's metrics
    fields: tuple[str, ...] = ()  # entity fields beside the totals

    @property
    def path(self) -> str:
        return f"{resources.domain(self.domain).path}/breakdown/{self.by}"


_WORKSPACES = "Per workspace (entity id: the workspace UUID)."
_REPOS = "Per repository (entity id: the repository UUID)."
_BUCKETS = "Per storage bucket (entity id: the bucket id, the same as `bucketId`)."
_NODES = "Per bridge node (entity id: the node id)."
_MODELS = "Per LLM model (entity id: the model name, e.g. `gpt-4o`)."
_USERS = "Per user (entity id: the user id, the same as `userId`)."
# Totals the private-chat users breakdown adds; ``lastActiveAt`` may be null (docs/backend.md).
USER_TOTALS = (Metric("conversationsCount"),)
OPTIONAL_USER_TOTALS = ("lastActiveAt",)


def _workspaces(
    domain: str,
) -> Dimension:  # pragma: no mutate block (import time)
    return Dimension(domain, "workspaces", "WORKSPACES", _WORKSPACES, "Workspace", scope="workspace")


def _repos(
    domain: str,
) -> Dimension:  # pragma: no mutate block (import time)
    return Dimension(domain, "repos", "REPOS", _REPOS, "Repo", scope="repo")


DIMENSIONS: tuple[Dimension, ...] = (
    _workspaces("storage"),
    _repos("storage"),
    Dimension("storage", "buckets", "BUCKETS", _BUCKETS, "Bucket", filter="bucketId"),
    Dimension("storage", "nodes", "NODES", _NODES),
    Dimension(
        "storage",
        "providers",
        None,
        "Per storage provider, with its kind, protocol and endpoint.",
        fields=("provider", "protocol", "endpoint"),
    ),
    _workspaces("ai"),
    _repos("ai"),
    Dimension("ai", "models", "MODELS", _MODELS, "Model", filter="model"),
    Dimension("ai", "providers", "PROVIDERS", "Per LLM provider (entity id: e.g. `openai`)."),
    Dimension("ai", "nodes", "NODES", _NODES),
    Dimension(
        "ai",
        "aiConfigs",
        "AI_CONFIGS",
        "Per AI configuration (entity id: the same as `aiLlmId`).",
        "AiConfig",
        filter="aiLlmId",
    ),
    Dimension("privateChat", "models", "MODELS", _MODELS, "Model", filter="model"),
    Dimension(
        "privateChat",
        "users",
        "USERS",
        _USERS + " `PrivateChatStats.users` adds conversations and last activity.",
        "User",
        filter="userId",
        extra_totals=USER_TOTALS,
    ),
    Dimension(
        "policies",
        "rules",
        "RULES",
        "Per policy rule (entity id: the same as `ruleId`).",
        "PolicyRule",
        filter="ruleId",
    ),
    Dimension("policies", "users", "USERS", _USERS, "User", filter="userId"),
    _workspaces("credits"),
    _repos("credits"),
    Dimension("credits", "models", "MODELS", _MODELS + " Covers AI credits.", "Model"),
    Dimension(
        "credits",
        "providers",
        "PROVIDERS",
        "Per provider: the LLM provider for AI credits, the storage provider for storage.",
    ),
    Dimension("credits", "buckets", "BUCKETS", _BUCKETS + " Covers storage credits.", "Bucket"),
)


def dimension(domain: str, by: str) -> Dimension:
    return next(d for d in DIMENSIONS if d.domain == domain and d.by == by)


def dimensions_of(domain: str) -> tuple[Dimension, ...]:
    return tuple(d for d in DIMENSIONS if d.domain == domain)


def linked_by(entity_type: str) -> str:
    """The ``by`` whose entities are ``entity_type`` (the same in every domain that has it)."""
    (by,) = {d.by for d in DIMENSIONS if d.entity_type == entity_type}
    return by


@dataclass(frozen=True, slots=True)
class Narrowing:
    """How one federated entity narrows the statistics: a scope of its own with the entity's id
    (``workspace``, ``repo``), or the organization filtered by ``filter`` set to the id."""

    scope: str
    filter: str | None = None


def narrowing(entity_type: str) -> Narrowing | None:
    """How an entity of ``entity_type`` narrows statistics; None for a type no dimension lists."""
    found = [d for d in DIMENSIONS if d.entity_type == entity_type]
    scopes = {d.scope for d in found if d.scope is not None}
    filters = {d.filter for d in found if d.filter is not None}
    if scopes:
        (scope,) = scopes
        return Narrowing(scope)
    if filters:
        (filter_name,) = filters
        return Narrowing("org", filter_name)
    return None
