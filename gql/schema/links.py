"""Links from breakdown entities to the federated entity they are, for the supergraph to join.

A breakdown by repos returns, on each entity, ``repo { id }``: a reference that other subgraphs
complete with names, owners and the rest. A link is null when the breakdown is by another
dimension (which ``by`` links to which type: ``resolvers.dimensions.DIMENSIONS``). Each link is a
small mixin, so an entity type lists the links its breakdowns can have.

A link finds the entity class from the type its own field declares (resolved once per mixin), so
this module neither looks the federated types up by name nor imports their module at run time
(which imports the types these mixins are part of). The link stays a resolver of the object alone,
which plans and the executor complete in one pass with the rest of the entity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.base import StrawberryOptional

from resolvers import dimensions

if TYPE_CHECKING:
    from gql.schema.federated import AiConfig, Bucket, Model, PolicyRule, Repo, User, Workspace

ENTITIES = "gql.schema.federated"


_ENTITY_CLASSES: dict[Any, type[Any]] = {}


def _entity_class(mixin: Any) -> type[Any]:
    """The federated class a link mixin's one field returns, from the field's declared type (an
    optional lazy type; the mixin's other field, ``by``, is private)."""
    if mixin not in _ENTITY_CLASSES:
        (link,) = (
            f for f in mixin.__strawberry_definition__.fields if isinstance(f.type, StrawberryOptional)
        )
        _ENTITY_CLASSES[mixin] = link.type.of_type.resolve_type()
    return _ENTITY_CLASSES[mixin]


def _link(self: Any, mixin: Any) -> Any:
    """This entity as the federated type ``mixin``'s link returns; None when the breakdown is by a
    dimension whose entities are of another type."""
    entity = _entity_class(mixin)
    if self.by != dimensions.linked_by(entity.__strawberry_definition__.name):
        return None
    return entity(id=strawberry.ID(self.payload.id))


@strawberry.type
class LinksWorkspace:
    by: strawberry.Private[str]

    @strawberry.field(description="This workspace, when the breakdown is by workspaces; else null.")
    def workspace(self) -> Annotated[Workspace, strawberry.lazy(ENTITIES)] | None:
        result: Workspace | None = _link(self, LinksWorkspace)
        return result


@strawberry.type
class LinksRepo:
    by: strawberry.Private[str]

    @strawberry.field(description="This repo, when the breakdown is by repos; else null.")
    def repo(self) -> Annotated[Repo, strawberry.lazy(ENTITIES)] | None:
        result: Repo | None = _link(self, LinksRepo)
        return result


@strawberry.type
class LinksBucket:
    by: strawberry.Private[str]

    @strawberry.field(description="This bucket, when the breakdown is by buckets; else null.")
    def bucket(self) -> Annotated[Bucket, strawberry.lazy(ENTITIES)] | None:
        result: Bucket | None = _link(self, LinksBucket)
        return result


@strawberry.type
class LinksModel:
    by: strawberry.Private[str]

    @strawberry.field(description="This model, when the breakdown is by models; else null.")
    def model(self) -> Annotated[Model, strawberry.lazy(ENTITIES)] | None:
        result: Model | None = _link(self, LinksModel)
        return result


@strawberry.type
class LinksAiConfig:
    by: strawberry.Private[str]

    @strawberry.field(
        description="This AI configuration, when the breakdown is by AI configurations; else null."
    )
    def aiConfig(self) -> Annotated[AiConfig, strawberry.lazy(ENTITIES)] | None:
        result: AiConfig | None = _link(self, LinksAiConfig)
        return result


@strawberry.type
class LinksUser:
    by: strawberry.Private[str]

    @strawberry.field(description="This user, when the breakdown is by users; else null.")
    def user(self) -> Annotated[User, strawberry.lazy(ENTITIES)] | None:
        result: User | None = _link(self, LinksUser)
        return result


@strawberry.type
class LinksPolicyRule:
    by: strawberry.Private[str]

    @strawberry.field(description="This policy rule, when the breakdown is by rules; else null.")
    def rule(self) -> Annotated[PolicyRule, strawberry.lazy(ENTITIES)] | None:
        result: PolicyRule | None = _link(self, LinksPolicyRule)
        return result
