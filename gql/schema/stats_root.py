"""The ``stats`` root: one scope, window and bucket size, and a field per domain with its filters."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql.schema.domain_types import AiStats, CreditStats, PolicyStats, PrivateChatStats, StorageStats
from gql.schema.enums import BucketSize, Scope, Window, wire
from resolvers import calendars, requests
from resolvers.calendars import Calendar

OptionalId = strawberry.ID | None


def _filter(text: str) -> object:
    return strawberry.argument(description=text)


API_KEY = _filter("Only traffic through this repo API key.")
BUCKET = _filter("Only this storage bucket.")
MODEL = _filter("Only this LLM model (its name, e.g. `gpt-4o`).")
USER = _filter("Only this user.")
RULE = _filter("Only this policy rule.")
AI_CONFIG = _filter("Only this AI configuration (the upstream's `aiLlmId`).")


@strawberry.type(
    description="Statistics of one scope over one window. Each domain field takes only the resource filters"
    " that apply to it; nothing is fetched until a series or breakdown below is selected."
)
class Stats:
    selection: strawberry.Private[requests.Selection]  # what is asked of the upstream
    calendar: strawberry.Private[Calendar | None] = None  # calendar buckets built from it

    @strawberry.field(description="The scope asked for.")
    def scope(self) -> Scope:
        return Scope(self.selection.scope)

    @strawberry.field(description="The workspace or repo id asked for, if any.")
    def scopeId(self) -> strawberry.ID | None:
        return None if self.selection.scope_id is None else strawberry.ID(self.selection.scope_id)

    @strawberry.field(description="The window asked for.")
    def window(self) -> Window:
        return Window(self.selection.window if self.calendar is None else self.calendar.window)

    @strawberry.field(description="The bucket size asked for; null means the window's default.")
    def bucketSize(self) -> BucketSize | None:
        size = self.selection.bucket_size if self.calendar is None else self.calendar.size
        return None if size is None else BucketSize(size)

    @strawberry.field(
        description="The time zone of the calendar buckets, if any (UTC for WEEK_1 without one)."
    )
    def timeZone(self) -> str | None:
        return None if self.calendar is None else self.calendar.zone_name

    @strawberry.field(description="Storage gateway statistics.")
    def storage(
        self,
        bucketId: Annotated[OptionalId, BUCKET] = None,
        apiKeyId: Annotated[OptionalId, API_KEY] = None,
    ) -> StorageStats:
        return StorageStats(
            selection=self.selection,
            calendar=self.calendar,
            filters={"bucketId": bucketId, "apiKeyId": apiKeyId},
        )

    @strawberry.field(description="AI gateway statistics (private chat excluded).")
    def ai(
        self,
        model: Annotated[str | None, MODEL] = None,
        apiKeyId: Annotated[OptionalId, API_KEY] = None,
        aiLlmId: Annotated[OptionalId, AI_CONFIG] = None,
    ) -> AiStats:
        filters = {"model": model, "apiKeyId": apiKeyId, "aiLlmId": aiLlmId}
        return AiStats(selection=self.selection, calendar=self.calendar, filters=filters)

    @strawberry.field(description="Private-chat statistics.")
    def privateChat(
        self,
        model: Annotated[str | None, MODEL] = None,
        userId: Annotated[OptionalId, USER] = None,
        apiKeyId: Annotated[OptionalId, API_KEY] = None,
        aiLlmId: Annotated[OptionalId, AI_CONFIG] = None,
    ) -> PrivateChatStats:
        filters = {"model": model, "userId": userId, "apiKeyId": apiKeyId, "aiLlmId": aiLlmId}
        return PrivateChatStats(selection=self.selection, calendar=self.calendar, filters=filters)

    @strawberry.field(description="Policy statistics.")
    def policies(
        self,
        ruleId: Annotated[OptionalId, RULE] = None,
        apiKeyId: Annotated[OptionalId, API_KEY] = None,
        userId: Annotated[OptionalId, USER] = None,
    ) -> PolicyStats:
        filters = {"ruleId": ruleId, "apiKeyId": apiKeyId, "userId": userId}
        return PolicyStats(selection=self.selection, calendar=self.calendar, filters=filters)

    @strawberry.field(description="Credit statistics (needs an organization with the credits system on).")
    def credits(
        self,
        apiKeyId: Annotated[OptionalId, API_KEY] = None,
        aiLlmId: Annotated[OptionalId, AI_CONFIG] = None,
    ) -> CreditStats:
        return CreditStats(
            selection=self.selection,
            calendar=self.calendar,
            filters={"apiKeyId": apiKeyId, "aiLlmId": aiLlmId},
        )


def resolve_stats(
    *,
    scope: Annotated[
        Scope, strawberry.argument(description="Whole organization, one workspace or one repo.")
    ] = Scope.ORG,
    id: Annotated[
        OptionalId,
        strawberry.argument(description="The workspace or repo UUID; required unless scope is ORG."),
    ] = None,
    window: Annotated[Window, strawberry.argument(description="The period that ends now.")],
    bucketSize: Annotated[
        BucketSize | None,
        strawberry.argument(description="Bucket width of every series; the window's default if left out."),
    ] = None,
    timeZone: Annotated[
        str | None,
        strawberry.argument(
            description="An IANA time zone (`Asia/Tokyo`, `America/Los_Angeles`): DAY_1 and WEEK_1 buckets"
            " become calendar days and weeks there, built by the gateway from the finest buckets every"
            " local midnight falls on (an hour for most zones, 10 or 5 minutes for India, Adelaide or"
            " Nepal), 23 or 25 hours long where the clocks change. The window is today and the days"
            " before it, in that zone; one upstream call. Applies to time series; breakdowns and"
            " comparisons are refused under it (reason TIME_ZONE_SERIES_ONLY). Windows no bucket size"
            " reaches are refused with those that work (TIME_ZONE_UNAVAILABLE); an unknown zone is"
            " UNKNOWN_TIME_ZONE."
        ),
    ] = None,
) -> Stats:
    selection, calendar = scoped(scope, id, window, bucketSize, timeZone)
    return Stats(selection=selection, calendar=calendar)


def scoped(
    scope: Scope, id: str | None, window: Window, bucketSize: BucketSize | None, timeZone: str | None = None
) -> tuple[requests.Selection, Calendar | None]:
    """What a ``stats`` field asks of the upstream, at the root or on a federated entity, and the
    calendar buckets built from it (``resolvers.calendars``) when it asks for a zone or weeks."""
    calendar = calendars.of(wire(window), None if bucketSize is None else wire(bucketSize), timeZone)
    if calendar is None:
        return make_selection(scope, id, window, bucketSize), None
    return make_selection(scope, id, Window(calendar.source_window), BucketSize(calendar.grain)), calendar


def make_selection(
    scope: Scope, id: str | None, window: Window, bucketSize: BucketSize | None
) -> requests.Selection:
    """The checked selection of a ``stats`` field, at the root or on a federated entity."""
    return requests.select(wire(scope), id, wire(window), None if bucketSize is None else wire(bucketSize))
