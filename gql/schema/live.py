"""The subscription root: ``live``, the ``stats`` root as it changes.

A dashboard subscribes with the selections and fragments of its query, moved under
``live { stats(...) { ... } }``. The gateway (``gql.live``) runs that selection once per refresh for
every subscriber with the same document, variables and caller, and pushes an answer only when it
changed; each push is one ``LiveStats``. The generator here is what a plain GraphQL executor runs
for one subscriber alone (the engine oracle's reference): the same refresh, without sharing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from gql.schema.scalars import EpochSeconds, Long
from gql.schema.stats_root import Stats, resolve_stats

REFRESH_FLOOR_SECONDS = 10  # the default of FLASHBACK_LIVE_MIN_REFRESH (gql.server.settings)


@strawberry.type(description="One answer of a live subscription: the stats, when and how often they changed.")
class LiveStats:
    revision: Long = strawberry.field(
        description="Increases with each answer pushed: 1 for the first, then one more each time the"
        " answer changed."
    )
    asOf: EpochSeconds = strawberry.field(
        description="When the upstream answers behind this one were fetched."
    )
    stats: Stats | None = strawberry.field(
        resolver=resolve_stats,
        description="The `stats` root, as the query of the same arguments answers it at `asOf`.",
    )


@strawberry.type(description="Live statistics: answers pushed as the numbers change.")
class Subscription:
    @strawberry.subscription(
        description="The statistics below, first as they are now and then each time they change. Refreshed"
        " every `refreshSeconds` (at least the gateway's floor, 10 s by default); when null, once per bucket"
        " of the smallest bucket size selected. Subscribers with the same document, variables and"
        " credentials share one refresh, and their refreshes share upstream calls."
    )
    async def live(
        self,
        refreshSeconds: Annotated[
            int | None, strawberry.argument(description="Seconds between refreshes; null: one bucket.")
        ] = None,
    ) -> AsyncGenerator[LiveStats, None]:
        revision = 0
        while True:
            revision += 1
            yield LiveStats(revision=Long(revision), asOf=EpochSeconds(int(time.time())))
            await asyncio.sleep(max(refreshSeconds or REFRESH_FLOOR_SECONDS, REFRESH_FLOOR_SECONDS))
