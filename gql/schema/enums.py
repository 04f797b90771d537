"""The enumerations of the schema, made from the tables in ``resolvers``: each member's value is the
upstream's wire value (docs/upstream-contract.md §2.1).

Windows and bucket sizes come from ``resolvers.resources``, breakdown dimensions from
``resolvers.dimensions.DIMENSIONS``; adding one there adds it here.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, cast

import strawberry

from resolvers import dimensions, resources


def wire(member: Enum) -> str:
    """The upstream's value of an enum member (its Python value; typed loosely by Strawberry)."""
    return str(member.value)


@strawberry.enum(description="Which part of the organization the statistics cover.")
class Scope(Enum):
    ORG = strawberry.enum_value("org", description="The whole organization of the token.")
    WORKSPACE = strawberry.enum_value("workspace", description="One workspace; pass its UUID as `id`.")
    REPO = strawberry.enum_value("repo", description="One repository; pass its UUID as `id`.")


@strawberry.enum(description="Which way an order runs.")
class OrderDirection(Enum):
    DESC = strawberry.enum_value("desc", description="Largest first (the default).")
    ASC = strawberry.enum_value("asc", description="Smallest first.")


def _spans(
    name: str, spans: dict[str, resources.Span], description: str
) -> type[Enum]:  # pragma: no mutate block (import time)
    members = {s.name: strawberry.enum_value(s.wire, description=s.about) for s in spans.values()}
    return strawberry.enum(cast(type[Enum], Enum(name, members)), description=description)


def _breakdown_by(
    name: str, domain: str, description: str
) -> type[Enum]:  # pragma: no mutate block (import time)
    members = {
        d.name: strawberry.enum_value(d.by, description=d.about)
        for d in dimensions.dimensions_of(domain)
        if d.name is not None
    }
    return strawberry.enum(cast(type[Enum], Enum(name, members)), description=description)


if TYPE_CHECKING:
    Window = Enum
    BucketSize = Enum
    StorageBreakdownBy = Enum
    AiBreakdownBy = Enum
    PrivateChatBreakdownBy = Enum
    PolicyBreakdownBy = Enum
    CreditBreakdownBy = Enum
else:
    Window = _spans(
        "Window", resources.WINDOWS, "The period that ends now and reaches back by the given length."
    )
    BucketSize = _spans(
        "BucketSize",
        {**resources.BUCKET_SIZES, resources.WEEK.wire: resources.WEEK},
        f"The width of one series bucket. A window takes a size only if it holds at most"
        f" {resources.MAX_POINTS:,} buckets of it (5 and 10 minutes: up to 7 days; 1 hour: up to 90 days).",
    )
    StorageBreakdownBy = _breakdown_by(
        "StorageBreakdownBy",
        "storage",
        "How to break storage statistics down (providers: see `StorageStats.providers`).",
    )
    AiBreakdownBy = _breakdown_by("AiBreakdownBy", "ai", "How to break AI gateway statistics down.")
    PrivateChatBreakdownBy = _breakdown_by(
        "PrivateChatBreakdownBy", "privateChat", "How to break private-chat statistics down."
    )
    PolicyBreakdownBy = _breakdown_by("PolicyBreakdownBy", "policies", "How to break policy statistics down.")
    CreditBreakdownBy = _breakdown_by("CreditBreakdownBy", "credits", "How to break credit statistics down.")
