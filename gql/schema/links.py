"""Links from breakdown entities to the federated entity they are, for the supergraph to join.

A breakdown by repos returns, on each entity, ``repo { id }``: a reference that other subgraphs
complete with names, owners and the rest. A link is null when the breakdown is by another
dimension (which ``by`` links to which type: ``resolvers.dimensions.DIMENSIONS``). Each link is a
small mixin, so an entity type lists the links its breakdowns can have.

A link finds the entity class from the type its own field returns in the schema, so this module
neither names the federated types nor imports their module (which imports the types these mixins
are part of).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import get_named_type
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info

from resolvers import dimensions

if TYPE_CHECKING:
    from gql.schema.federated import AiConfig, Bucket, Model, PolicyRule, Repo, User, Workspace

ENTITIES = "gql.schema.federated"


def _link(self: Any, info: Info) -> Any:
    """This entity as the federated type the link field returns; None when the breakdown is by a
    dimension whose entities are of another type."""
    returned = get_named_type(info._raw_info.return_type)
    definition = returned.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    if self.by != dimensions.linked_by(definition.name):
        return None
    return definition.origin(id=strawberry.ID(self.payload.id))


@strawberry.type
class LinksWorkspace:
    by: strawberry.Private[str]

    @strawberry.field(description="This workspace, when the breakdown is by workspaces; else null.")
    def workspace(self, info: Info) -> Annotated[Workspace, strawberry.lazy(ENTITIES)] | None:
        result: Workspace | None = _link(self, info)
        return result


@strawberry.type
class LinksRepo:
    by: strawberry.Private[str]

    @strawberry.field(description="This repo, when the breakdown is by repos; else null.")
    def repo(self, info: Info) -> Annotated[Repo, strawberry.lazy(ENTITIES)] | None:
        result: Repo | None = _link(self, info)
        return result


@strawberry.type
class LinksBucket:
    by: strawberry.Private[str]

    @strawberry.field(description="This bucket, when the breakdown is by buckets; else null.")
    def bucket(self, info: Info) -> Annotated[Bucket, strawberry.lazy(ENTITIES)] | None:
        result: Bucket | None = _link(self, info)
        return result


@strawberry.type
class LinksModel:
    by: strawberry.Private[str]

    @strawberry.field(description="This model, when the breakdown is by models; else null.")
    def model(self, info: Info) -> Annotated[Model, strawberry.lazy(ENTITIES)] | None:
        result: Model | None = _link(self, info)
        return result


@strawberry.type
class LinksAiConfig:
    by: strawberry.Private[str]

    @strawberry.field(
        description="This AI configuration, when the breakdown is by AI configurations; else null."
    )
    def aiConfig(self, info: Info) -> Annotated[AiConfig, strawberry.lazy(ENTITIES)] | None:
        result: AiConfig | None = _link(self, info)
        return result


@strawberry.type
class LinksUser:
    by: strawberry.Private[str]

    @strawberry.field(description="This user, when the breakdown is by users; else null.")
    def user(self, info: Info) -> Annotated[User, strawberry.lazy(ENTITIES)] | None:
        result: User | None = _link(self, info)
        return result


@strawberry.type
class LinksPolicyRule:
    by: strawberry.Private[str]

    @strawberry.field(description="This policy rule, when the breakdown is by rules; else null.")
    def rule(self, info: Info) -> Annotated[PolicyRule, strawberry.lazy(ENTITIES)] | None:
        result: PolicyRule | None = _link(self, info)
        return result
