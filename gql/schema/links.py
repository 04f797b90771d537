"""Links from breakdown entities to the federated entity they are, for the supergraph to join.

A breakdown by repos returns, on each entity, ``repo { id }``: a reference that other subgraphs
complete with names, owners and the rest. A link is null when the breakdown is by another
dimension (which ``by`` links to which type: ``resolvers.dimensions.DIMENSIONS``). Each link is a
small mixin, so an entity type lists the links its breakdowns can have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import dimensions

if TYPE_CHECKING:
    from gql.schema.federated import AiConfig, Bucket, Model, PolicyRule, Repo, User, Workspace

ENTITIES = "gql.schema.federated"


def _link(self: Any, type_name: str) -> Any:
    if self.by != dimensions.linked_by(type_name):
        return None
    from gql.schema import federated

    return getattr(federated, type_name)(id=strawberry.ID(self.payload.id))


@strawberry.type
class LinksWorkspace:
    by: strawberry.Private[str]

    @strawberry.field(description="This workspace, when the breakdown is by workspaces; else null.")
    def workspace(self) -> Annotated[Workspace, strawberry.lazy(ENTITIES)] | None:
        result: Workspace | None = _link(self, "Workspace")
        return result


@strawberry.type
class LinksRepo:
    by: strawberry.Private[str]

    @strawberry.field(description="This repo, when the breakdown is by repos; else null.")
    def repo(self) -> Annotated[Repo, strawberry.lazy(ENTITIES)] | None:
        result: Repo | None = _link(self, "Repo")
        return result


@strawberry.type
class LinksBucket:
    by: strawberry.Private[str]

    @strawberry.field(description="This bucket, when the breakdown is by buckets; else null.")
    def bucket(self) -> Annotated[Bucket, strawberry.lazy(ENTITIES)] | None:
        result: Bucket | None = _link(self, "Bucket")
        return result


@strawberry.type
class LinksModel:
    by: strawberry.Private[str]

    @strawberry.field(description="This model, when the breakdown is by models; else null.")
    def model(self) -> Annotated[Model, strawberry.lazy(ENTITIES)] | None:
        result: Model | None = _link(self, "Model")
        return result


@strawberry.type
class LinksAiConfig:
    by: strawberry.Private[str]

    @strawberry.field(
        description="This AI configuration, when the breakdown is by AI configurations; else null."
    )
    def aiConfig(self) -> Annotated[AiConfig, strawberry.lazy(ENTITIES)] | None:
        result: AiConfig | None = _link(self, "AiConfig")
        return result


@strawberry.type
class LinksUser:
    by: strawberry.Private[str]

    @strawberry.field(description="This user, when the breakdown is by users; else null.")
    def user(self) -> Annotated[User, strawberry.lazy(ENTITIES)] | None:
        result: User | None = _link(self, "User")
        return result


@strawberry.type
class LinksPolicyRule:
    by: strawberry.Private[str]

    @strawberry.field(description="This policy rule, when the breakdown is by rules; else null.")
    def rule(self) -> Annotated[PolicyRule, strawberry.lazy(ENTITIES)] | None:
        result: PolicyRule | None = _link(self, "PolicyRule")
        return result
