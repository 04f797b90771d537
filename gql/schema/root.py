"""The query root: ``stats`` and ``legacy``, the two entries into the statistics."""

from __future__ import annotations

import strawberry

from gql.schema.legacy_types import Legacy
from gql.schema.stats_root import Stats, resolve_stats


@strawberry.type(description="Flashback usage statistics.")
class Query:
    stats: Stats | None = strawberry.field(
        resolver=resolve_stats,
        description=(
            "Statistics of one scope over one window: storage, AI, private chat, policies, credits."
            " Null, with an error, when its arguments cannot be answered: other roots still answer."
        ),
    )

    @strawberry.field(description="The older statistics endpoints, with V2 field names.")
    def legacy(self) -> Legacy:
        return Legacy()
