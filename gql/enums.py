"""The enumerations of the schema; each value is the upstream's wire value (CONTRACT.md §2.1)."""

from __future__ import annotations

from enum import Enum

import strawberry


def wire(member: Enum) -> str:
    """The upstream's value of an enum member (its Python value; typed loosely by Strawberry)."""
    return str(member.value)


@strawberry.enum(description="Which part of the organization the statistics cover.")
class Scope(Enum):
    ORG = strawberry.enum_value("org", description="The whole organization of the token.")
    WORKSPACE = strawberry.enum_value("workspace", description="One workspace; pass its UUID as `id`.")
    REPO = strawberry.enum_value("repo", description="One repository; pass its UUID as `id`.")


@strawberry.enum(description="The period that ends now and reaches back by the given length.")
class Window(Enum):
    LAST_24H = strawberry.enum_value("24h", description="The last 24 hours (10-minute buckets by default).")
    LAST_7D = strawberry.enum_value("7d", description="The last 7 days (hourly buckets by default).")
    LAST_30D = strawberry.enum_value("30d", description="The last 30 days (daily buckets by default).")
    LAST_90D = strawberry.enum_value("90d", description="The last 90 days (daily buckets by default).")
    LAST_180D = strawberry.enum_value("180d", description="The last 180 days (daily buckets by default).")
    LAST_365D = strawberry.enum_value("365d", description="The last 365 days (daily buckets by default).")


@strawberry.enum(
    description="The width of one series bucket. A window takes a size only if it holds at most 2,160"
    " buckets of it (5 and 10 minutes: up to 7 days; 1 hour: up to 90 days)."
)
class BucketSize(Enum):
    MIN_5 = strawberry.enum_value("5m", description="5 minutes.")
    MIN_10 = strawberry.enum_value("10m", description="10 minutes.")
    HOUR_1 = strawberry.enum_value("1h", description="1 hour.")
    HOUR_6 = strawberry.enum_value("6h", description="6 hours.")
    HOUR_12 = strawberry.enum_value("12h", description="12 hours.")
    DAY_1 = strawberry.enum_value("1d", description="1 day (UTC).")


_WORKSPACES = "Per workspace (entity id: the workspace UUID)."
_REPOS = "Per repository (entity id: the repository UUID)."
_BUCKETS = "Per storage bucket (entity id: the bucket id, the same as `bucketId`)."
_NODES = "Per bridge node (entity id: the node id)."
_MODELS = "Per LLM model (entity id: the model name, e.g. `gpt-4o`)."
_USERS = "Per user (entity id: the user id, the same as `userId`)."


@strawberry.enum(
    description="How to break storage statistics down (providers: see `StorageStats.providers`)."
)
class StorageBreakdownBy(Enum):
    WORKSPACES = strawberry.enum_value("workspaces", description=_WORKSPACES)
    REPOS = strawberry.enum_value("repos", description=_REPOS)
    BUCKETS = strawberry.enum_value("buckets", description=_BUCKETS)
    NODES = strawberry.enum_value("nodes", description=_NODES)


@strawberry.enum(description="How to break AI gateway statistics down.")
class AiBreakdownBy(Enum):
    WORKSPACES = strawberry.enum_value("workspaces", description=_WORKSPACES)
    REPOS = strawberry.enum_value("repos", description=_REPOS)
    MODELS = strawberry.enum_value("models", description=_MODELS)
    PROVIDERS = strawberry.enum_value("providers", description="Per LLM provider (entity id: e.g. `openai`).")
    NODES = strawberry.enum_value("nodes", description=_NODES)
    AI_CONFIGS = strawberry.enum_value(
        "aiConfigs", description="Per AI configuration (entity id: the same as `aiLlmId`)."
    )


@strawberry.enum(description="How to break private-chat statistics down.")
class PrivateChatBreakdownBy(Enum):
    MODELS = strawberry.enum_value("models", description=_MODELS)
    USERS = strawberry.enum_value(
        "users", description=_USERS + " `PrivateChatStats.users` adds conversations and last activity."
    )


@strawberry.enum(description="How to break policy statistics down.")
class PolicyBreakdownBy(Enum):
    RULES = strawberry.enum_value("rules", description="Per policy rule (entity id: the same as `ruleId`).")
    USERS = strawberry.enum_value("users", description=_USERS)


@strawberry.enum(description="How to break credit statistics down.")
class CreditBreakdownBy(Enum):
    WORKSPACES = strawberry.enum_value("workspaces", description=_WORKSPACES)
    REPOS = strawberry.enum_value("repos", description=_REPOS)
    MODELS = strawberry.enum_value("models", description=_MODELS + " Covers AI credits.")
    PROVIDERS = strawberry.enum_value(
        "providers",
        description="Per provider: the LLM provider for AI credits, the storage provider for storage.",
    )
    BUCKETS = strawberry.enum_value("buckets", description=_BUCKETS + " Covers storage credits.")
