"""The federated entities this subgraph adds statistics to.

Other subgraphs own workspaces, repos, buckets, AI configurations, users, policy rules and models;
this one contributes only their usage statistics, keyed by ``id`` (a model's id is its name, as
in breakdowns). Many entities of one type asking for the same statistics are answered together
(see ``resolvers.entity_batch``).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gql.schema.domain_types import AiStats, CreditStats, PolicyStats, PrivateChatStats, StorageStats
from gql.schema.enums import BucketSize, Scope, Window
from gql.schema.stats_root import Stats, scoped
from resolvers.errors import BadInput

WindowArg = Annotated[Window, strawberry.argument(description="The period that ends now.")]
BucketArg = Annotated[
    BucketSize | None,
    strawberry.argument(description="Bucket width of every series; the window's default if left out."),
]


def _id(type_name: str, representation: dict[str, Any]) -> strawberry.ID:
    value = representation.get("id")
    if not isinstance(value, str) or not value:
        raise BadInput(f"A {type_name} representation needs its key: a non-empty string `id`.")
    return strawberry.ID(value)


def _org(window: Window, bucket_size: BucketSize | None, **filters: str) -> dict[str, Any]:
    selection, calendar = scoped(Scope.ORG, None, window, bucket_size)
    return {"selection": selection, "filters": filters, "calendar": calendar}


@strawberry.federation.type(keys=["id"], description="A workspace, with its usage statistics.")
class Workspace:
    id: strawberry.ID = strawberry.federation.field(description="The workspace UUID.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Workspace:
        return cls(id=_id("Workspace", representation))

    @strawberry.field(description="Statistics of this workspace: the root `stats` with scope and id bound.")
    def stats(self, window: WindowArg, bucketSize: BucketArg = None) -> Stats:
        selection, calendar = scoped(Scope.WORKSPACE, self.id, window, bucketSize)
        return Stats(selection=selection, calendar=calendar)


@strawberry.federation.type(keys=["id"], description="A repository, with its usage statistics.")
class Repo:
    id: strawberry.ID = strawberry.federation.field(description="The repository UUID.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Repo:
        return cls(id=_id("Repo", representation))

    @strawberry.field(description="Statistics of this repo: the root `stats` with scope and id bound.")
    def stats(self, window: WindowArg, bucketSize: BucketArg = None) -> Stats:
        selection, calendar = scoped(Scope.REPO, self.id, window, bucketSize)
        return Stats(selection=selection, calendar=calendar)


@strawberry.federation.type(keys=["id"], description="A storage bucket, with its storage statistics.")
class Bucket:
    id: strawberry.ID = strawberry.federation.field(description="The bucket id.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Bucket:
        return cls(id=_id("Bucket", representation))

    @strawberry.field(
        description="Storage statistics of this bucket (the organization's, filtered by bucketId)."
    )
    def storage(self, window: WindowArg, bucketSize: BucketArg = None) -> StorageStats:
        return StorageStats(**_org(window, bucketSize, bucketId=self.id))


@strawberry.federation.type(keys=["id"], description="An AI configuration, with its usage statistics.")
class AiConfig:
    id: strawberry.ID = strawberry.federation.field(description="The AI configuration id (`aiLlmId`).")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> AiConfig:
        return cls(id=_id("AiConfig", representation))

    @strawberry.field(description="AI gateway statistics through this configuration.")
    def ai(self, window: WindowArg, bucketSize: BucketArg = None) -> AiStats:
        return AiStats(**_org(window, bucketSize, aiLlmId=self.id))

    @strawberry.field(description="Private-chat statistics through this configuration.")
    def privateChat(self, window: WindowArg, bucketSize: BucketArg = None) -> PrivateChatStats:
        return PrivateChatStats(**_org(window, bucketSize, aiLlmId=self.id))

    @strawberry.field(description="Credit statistics of this configuration.")
    def credits(self, window: WindowArg, bucketSize: BucketArg = None) -> CreditStats:
        return CreditStats(**_org(window, bucketSize, aiLlmId=self.id))


@strawberry.federation.type(keys=["id"], description="A user, with their private-chat and policy statistics.")
class User:
    id: strawberry.ID = strawberry.federation.field(description="The user id.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> User:
        return cls(id=_id("User", representation))

    @strawberry.field(description="Private-chat statistics of this user.")
    def privateChat(self, window: WindowArg, bucketSize: BucketArg = None) -> PrivateChatStats:
        return PrivateChatStats(**_org(window, bucketSize, userId=self.id))

    @strawberry.field(description="Policy statistics of this user.")
    def policies(self, window: WindowArg, bucketSize: BucketArg = None) -> PolicyStats:
        return PolicyStats(**_org(window, bucketSize, userId=self.id))


@strawberry.federation.type(keys=["id"], description="A policy rule, with its enforcement statistics.")
class PolicyRule:
    id: strawberry.ID = strawberry.federation.field(description="The policy rule id.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> PolicyRule:
        return cls(id=_id("PolicyRule", representation))

    @strawberry.field(description="Policy statistics of this rule.")
    def policies(self, window: WindowArg, bucketSize: BucketArg = None) -> PolicyStats:
        return PolicyStats(**_org(window, bucketSize, ruleId=self.id))


@strawberry.federation.type(keys=["id"], description="An LLM model, with its usage statistics.")
class Model:
    id: strawberry.ID = strawberry.federation.field(description="The model's name, e.g. `gpt-4o`.")

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Model:
        return cls(id=_id("Model", representation))

    @strawberry.field(description="AI gateway statistics of this model.")
    def ai(self, window: WindowArg, bucketSize: BucketArg = None) -> AiStats:
        return AiStats(**_org(window, bucketSize, model=self.id))

    @strawberry.field(description="Private-chat statistics of this model.")
    def privateChat(self, window: WindowArg, bucketSize: BucketArg = None) -> PrivateChatStats:
        return PrivateChatStats(**_org(window, bucketSize, model=self.id))


ENTITY_TYPES = (Workspace, Repo, Bucket, AiConfig, User, PolicyRule, Model)
