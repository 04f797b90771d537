"""How a checked selection becomes a REST request: path and query string, in one place.

The query string is built the way the upstream's official client builds it
(docs/upstream-contract.md §1.4): parameters in the client's order, unset ones left out, booleans
as ``true``/``false``, list filters comma-joined, instants as ``Date.toISOString()``. Loaders key
calls by the ``RestRequest`` made here, so whatever predicts a document's calls (the cost model)
asks this module too, and cannot drift from what is sent.

A breakdown's dimension comes from the table in ``resolvers.dimensions``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from resolvers import resources
from resolvers.dimensions import Dimension, dimensions_of
from resolvers.errors import BadInput
from resolvers.resources import Domain

Params = tuple[tuple[str, str], ...]
Filters = Mapping[str, str | None]
SERIES_PARAM = "includeSeries"


@functools.lru_cache(maxsize=4096)
def _form_encoded(params: Params) -> str:
    """Kept per distinct parameters: a request's query is read for its cache key, its target and
    its log line, and ``urlencode`` quotes every character in Python (a tenth of a small query's
    execution)."""
    return urlencode(params, safe=",:")


@dataclass(frozen=True, slots=True)
class RestRequest:
    """One upstream call: equal requests are one call however many fields ask for them."""

    path: str
    params: Params

    @property
    def query(self) -> str:
        """``key=value`` pairs form-encoded in order, commas in lists and colons in instants readable."""
        return _form_encoded(self.params)

    @property
    def target(self) -> str:
        """Path and query; the older ``/stats`` and ``/aistats`` calls always carry a ``?`` (§1.4b)."""
        always = self.path.startswith(("/stats/", "/aistats/"))
        return f"{self.path}?{self.query}" if self.params or always else self.path

    def with_series(self) -> RestRequest | None:
        """The same breakdown with entity series, if this one is a breakdown without them."""
        if (SERIES_PARAM, "false") not in self.params:
            return None
        params = tuple((k, "true" if k == SERIES_PARAM else v) for k, v in self.params)
        return RestRequest(self.path, params)

    def stand_ins(self) -> tuple[RestRequest, ...]:
        """Requests whose answer holds this one's, the one to prefer first: a breakdown's twin with
        entity series; for a time series, the same series over each longer window at the same bucket
        size, longest first (its last buckets are this window's: ``resolvers.series_slices``)."""
        twin = self.with_series()
        return (twin,) if twin is not None else _longer_series(self)


SERIES_PATHS = frozenset(domain.path for domain in resources.DOMAINS)


@functools.lru_cache(maxsize=4096)
def _longer_series(request: RestRequest) -> tuple[RestRequest, ...]:
    if request.path not in SERIES_PATHS:
        return ()
    params = dict(request.params)
    window = params["window"]
    bucket = params.get("timeBucketSize") or resources.DEFAULT_BUCKET_SIZES[window]
    longer = sorted(
        (w for w, span in resources.WINDOWS.items() if span.seconds > resources.WINDOWS[window].seconds),
        key=lambda w: -resources.WINDOWS[w].seconds,
    )
    found: list[RestRequest] = []
    for candidate in longer:
        if bucket not in resources.bucket_sizes_for(candidate):
            continue
        sizes = [bucket, None] if resources.DEFAULT_BUCKET_SIZES[candidate] == bucket else [bucket]
        for size in sizes:
            rebuilt: list[tuple[str, str]] = []
            for key, value in request.params:
                if key == "timeBucketSize":
                    continue
                rebuilt.append((key, candidate if key == "window" else value))
                if key == "window" and size is not None:
                    rebuilt.append(("timeBucketSize", size))
            found.append(RestRequest(request.path, tuple(rebuilt)))
    return tuple(found)


def normalise(params: Mapping[str, str | None]) -> Params:
    """Drop unset values and keep the client's order, so equal requests make equal keys. A query
    string past ``QUERY_MAX_CHARS`` is refused here, before any call."""
    kept = tuple((k, v) for k, v in params.items() if v is not None)
    length = sum(len(k) + len(v) + 2 for k, v in kept)
    if length > resources.QUERY_MAX_CHARS:
        raise BadInput(
            f"These arguments make an upstream query of {length:,} characters; at most"
            f" {resources.QUERY_MAX_CHARS:,} are allowed. Pass fewer ids."
        )
    return kept


def checked_id(value: str | None, name: str) -> str | None:
    """An id or filter value no longer than ``ID_MAX_CHARS``."""
    if value is not None and len(value) > resources.ID_MAX_CHARS:
        raise BadInput(f"{name} is {len(value):,} characters long; ids are at most {resources.ID_MAX_CHARS}.")
    return value


def join_list(values: Sequence[str] | None) -> str | None:
    """Array filters go out as one comma-joined value; an empty list is left out (§1.4b). A value
    with a comma in it cannot be told apart from two values there, so it is refused."""
    if not values:
        return None
    for value in values:
        checked_id(value, "an id in the list")
        if "," in value:
            raise BadInput(
                f"{value!r} contains a comma, which the statistics API reads as two values; drop it."
            )
    return ",".join(values)


def iso_instant(value: datetime.datetime | None) -> str | None:
    """``Date.toISOString()``: UTC with milliseconds; a time without zone is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    utc = value.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# -- the V2 statistics --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """The root arguments of ``stats``, in wire form and already checked."""

    scope: str
    scope_id: str | None
    window: str
    bucket_size: str | None

    def params(self) -> dict[str, str | None]:
        return {
            "scope": self.scope,
            "id": self.scope_id,
            "window": self.window,
            "timeBucketSize": self.bucket_size,
        }


def select(scope: str, scope_id: str | None, window: str, bucket_size: str | None) -> Selection:
    """The checked selection: an id where the scope needs one, a bucket size the window takes."""
    if bucket_size is not None and bucket_size not in resources.bucket_sizes_for(window):
        allowed = ", ".join(resources.BUCKET_SIZES[size].name for size in resources.bucket_sizes_for(window))
        raise BadInput(
            f"bucketSize {resources.BUCKET_SIZES[bucket_size].name} makes more than {resources.MAX_POINTS:,}"
            f" buckets in window {resources.WINDOWS[window].name}; that window takes {allowed}, or leave"
            " bucketSize out for its default."
        )
    checked_id(scope_id, "id")
    if scope != "org" and not scope_id:
        raise BadInput(f'scope {scope.upper()} needs the id of the {scope}; pass id: "<{scope} uuid>".')
    return Selection(scope, scope_id or None, window, bucket_size)


def checked_filters(domain: Domain, filters: Filters) -> dict[str, str | None]:
    """The domain's filters in the client's order; a filter the domain does not take is refused."""
    unknown = [name for name, value in filters.items() if value is not None and name not in domain.filters]
    for name, value in filters.items():
        checked_id(value, name)
    if unknown:
        accepted = ", ".join(domain.filters) or "no filter"
        raise BadInput(f"{domain.name} does not take {', '.join(unknown)}; it takes {accepted}.")
    return {name: filters.get(name) for name in domain.filters}


def time_series(domain: Domain, selection: Selection, filters: Filters) -> RestRequest:
    return RestRequest(domain.path, normalise({**selection.params(), **checked_filters(domain, filters)}))


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= resources.LIMIT_MAX:
            raise BadInput(f"limit must be between 1 and {resources.LIMIT_MAX}; got {self.limit}.")
        if not 0 <= self.offset <= resources.OFFSET_MAX:
            raise BadInput(f"offset must be between 0 and {resources.OFFSET_MAX}; got {self.offset}.")


def breakdown(
    dimension: Dimension, selection: Selection, filters: Filters, page: Page, series: bool
) -> RestRequest:
    params = {
        **selection.params(),
        SERIES_PARAM: "true" if series else "false",
        "limit": str(page.limit),
        "offset": str(page.offset),
        **checked_filters(resources.domain(dimension.domain), filters),
    }
    return RestRequest(dimension.path, normalise(params))


# -- many entities' series from one breakdown ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntitySeries:
    """One entity's time series, and everything that must match for entities to share a breakdown."""

    domain: Domain
    scope: str
    window: str
    bucket_size: str | None
    dimension: Dimension
    entity_id: str

    def group(self) -> tuple[object, ...]:
        return (self.domain.name, self.scope, self.window, self.bucket_size, self.dimension)

    def org(self) -> Selection:
        """The org-wide selection of the same window and bucket size."""
        return Selection("org", None, self.window, self.bucket_size)

    def scoped(self) -> RestRequest:
        """The entity's own call: its scope's id, or its filter at org scope."""
        if self.dimension.filter is None:
            selection = Selection(self.scope, self.entity_id, self.window, self.bucket_size)
            return time_series(self.domain, selection, {})
        selection = Selection(self.scope, None, self.window, self.bucket_size)
        return time_series(self.domain, selection, {self.dimension.filter: self.entity_id})

    def whole(self, page: Page, series: bool) -> RestRequest:
        """A page of the org-wide breakdown that holds every entity of the group."""
        return breakdown(self.dimension, self.org(), {}, page, series)


def _batchable(domain: Domain, dimension: Dimension) -> bool:
    """A breakdown can stand in for scoped series only where its entities carry every series metric."""
    return domain.breakdown_metrics is None and dimension.domain == domain.name


def entity_series(domain: Domain, selection: Selection, filters: Filters) -> EntitySeries | None:
    """The batchable form of a time-series request, or None if no breakdown can answer it."""
    checked = checked_filters(domain, filters)
    given = {name: value for name, value in checked.items() if value is not None}
    if selection.scope_id and not given:
        for candidate in dimensions_of(domain.name):
            if candidate.scope == selection.scope and _batchable(domain, candidate):
                return EntitySeries(
                    domain,
                    selection.scope,
                    selection.window,
                    selection.bucket_size,
                    candidate,
                    selection.scope_id,
                )
    if selection.scope == "org" and selection.scope_id is None and len(given) == 1:
        ((param, value),) = given.items()
        for candidate in dimensions_of(domain.name):
            if candidate.filter == param and _batchable(domain, candidate):
                return EntitySeries(domain, "org", selection.window, selection.bucket_size, candidate, value)
    return None


# -- the older endpoints ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateRange:
    start: datetime.datetime | None
    end: datetime.datetime | None

    def params(self) -> dict[str, str | None]:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadInput("startDate is after endDate; swap them.")
        return {"startDate": iso_instant(self.start), "endDate": iso_instant(self.end)}


def storage_records(
    daily: bool,
    dates: DateRange,
    repo_ids: Sequence[str] | None,
    bucket_ids: Sequence[str] | None,
    hosts: Sequence[str] | None,
) -> RestRequest:
    params = {
        **dates.params(),
        "repoId": join_list(repo_ids),
        "bucketId": join_list(bucket_ids),
        "hosts": join_list(hosts),
    }
    return RestRequest("/stats/daily" if daily else "/stats/minute", normalise(params))


@dataclass(frozen=True, slots=True)
class AiRecordFilter:
    repo_ids: Sequence[str] | None = None
    ai_config_ids: Sequence[str] | None = None
    api_key_ids: Sequence[str] | None = None
    hosts: Sequence[str] | None = None
    providers: Sequence[str] | None = None
    models: Sequence[str] | None = None
    user_ids: Sequence[str] | None = None
    conversation_ids: Sequence[str] | None = None

    def params(self) -> dict[str, str | None]:
        return {
            "repoId": join_list(self.repo_ids),
            "aiLlmId": join_list(self.ai_config_ids),
            "repoAiApiKeyId": join_list(self.api_key_ids),
            "hosts": join_list(self.hosts),
            "llmType": join_list(self.providers),
            "llmModel": join_list(self.models),
            "userUuid": join_list(self.user_ids),
            "conversationUuid": join_list(self.conversation_ids),
        }


def ai_records(daily: bool, dates: DateRange, where: AiRecordFilter) -> RestRequest:
    return RestRequest(
        "/aistats/daily" if daily else "/aistats/minute", normalise({**dates.params(), **where.params()})
    )


def ai_config_totals(ai_config_id: str | None) -> RestRequest:
    return RestRequest("/ai/llm/stats", normalise({"aiLlmId": ai_config_id}))


def credit_histogram(months: int | None) -> RestRequest:
    if months is not None and not 1 <= months <= resources.MONTHS_MAX:
        raise BadInput(f"months must be between 1 and {resources.MONTHS_MAX}; got {months}.")
    return RestRequest(
        "/credits/stats/monthly", normalise({"months": None if months is None else str(months)})
    )
