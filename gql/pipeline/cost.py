"""What a request will cost, known before it runs: distinct upstream calls and values to produce.

The estimate walks the operation with its variables, the way execution will, and asks the request
layer (``resolvers.requests``) for the REST request each field would make, so it counts calls
exactly as the loaders key them: equal requests once, a breakdown without series not at all when
the same one with series is asked for. Values are series points x entities x metrics selected
(and entity totals), the work the response will carry.

Where the number of objects is only known at run time it takes the bound the schema allows: a
breakdown's entities are its ``limit``; what is nested under an entity's link (``repo { stats }``)
counts once per entity, each with an id of its own. Series a breakdown could answer (federated
entities', links', a root ``stats(scope:, id:)``'s) count as the entity batch will fetch them
(``resolvers.entity_batch``): their own call below ``MIN_ENTITIES``, otherwise one breakdown
page. Entities that page does not hold fall back to their own calls at run time; the hard cap in
the loaders keeps those within the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_fields
from graphql.execution.values import VariableValues, get_argument_values

from gql.pipeline.budget import Estimate
from gql.pipeline.failures import RequestFailure
from gql.schema.legacy_types import AiRecordWhere
from gql.schema.lookahead import Selections
from resolvers import calendars, comparison, dimensions, ordering, requests, resources
from resolvers.calendars import Calendar
from resolvers.errors import BadInput
from resolvers.requests import EntitySeries, Page, RestRequest, Selection

SERIES_FORMS = {"series", "columns"}
# Fields the walk may visit in all: each representation of ``_entities`` walks its selection again,
# so this is the backstop behind the fields limit; 500 representations of 50 fields fit.
MAX_VISITS = 25_000
LEGACY_RECORDS = 1_000  # records a legacy list is counted as: the upstream decides how many there are
UNKNOWN = "?"  # the id of an entity known only at run time (under a breakdown entity's link)
# Fields of a federated entity that start its statistics: ``stats`` (an entity with a scope of its
# own) and the domains (the organization's, filtered to the entity): resolvers.dimensions.narrowing.
DOMAIN_FIELDS = frozenset(domain.name for domain in resources.DOMAINS)  # Stats.storage, Stats.ai, ...
ENTITY_STATS_FIELDS = DOMAIN_FIELDS | {"stats"}


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where the walk stands: the stats selection, the domain and its filters, how many times over."""

    times: int = 1
    selection: Selection | None = None
    domain: resources.Domain | None = None
    filters: Mapping[str, str | None] = field(default_factory=dict)
    points: int = 0
    entity: str | None = None  # the federated entity's id (a placeholder when known only at run time)
    sure: int = 1  # times over that are certain before any call: 0 below a breakdown's entities
    breakdown: _Scope | None = None  # below a breakdown: the breakdown's own scope (for its Others)
    dimension: dimensions.Dimension | None = None  # below a breakdown: its dimension (for its comparison)
    changes: bool = False  # below a breakdown's comparison: each entity's totals in both periods
    calendar: Calendar | None = None  # calendar buckets built from the selection (resolvers.calendars)


class CostWalk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: VariableValues,
        max_representations: int,
        max_calls: int = 10_000,
    ) -> None:
        self.schema = schema
        self.call_cap = max_calls + 1
        self.max_representations = max_representations
        self.variables = variables
        self.document = document
        self.estimate = Estimate()
        self._placeholders = 0
        self._visits = 0

    def run(self, operation: OperationDefinitionNode) -> Estimate:
        """The estimate of one run of ``operation``: for a subscription, of one refresh."""
        query_type = self.schema.get_root_type(operation.operation)
        assert query_type is not None
        fragments = {
            d.name.value: d for d in self.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.selections = Selections(self.schema, fragments, self.variables, operation)
        root = collect_fields(
            self.schema, self.selections.fragments, self.variables, query_type, operation
        ).grouped_field_set
        self._grouped(query_type, root, _Scope())
        return self.estimate

    # -- the walk ---------------------------------------------------------------------------------

    def _selections(self, parent: GraphQLObjectType, details: FieldDetailsList, scope: _Scope) -> None:
        """The fields below ``details`` on ``parent``, as graphql-core's ``collect_subfields``
        groups them: each fragment once per collection, equal keys merged, type conditions and
        ``@skip``/``@include`` applied. So the walk is as long as the operation's fields with
        fragments spread in place, which ``gql.pipeline.limits`` bounds."""
        self._grouped(parent, self.selections.below(parent, details), scope)

    def _grouped(self, parent: GraphQLObjectType, grouped: GroupedFieldSet, scope: _Scope) -> None:
        for group in grouped.values():
            self._visit()
            node = group[0].node
            definition = parent.fields.get(node.name.value)
            if definition is None:
                continue  # __typename
            try:
                arguments = get_argument_values(definition, node, self.variables)
            except Exception:
                continue
            target = get_named_type(definition.type)
            try:
                inner = self._field(parent, target, group, arguments, scope)
            except BadInput:
                continue  # refused before any call at execution too
            if inner is not None and isinstance(target, GraphQLObjectType):
                self._selections(target, group, inner)

    def _field(
        self,
        parent_type: GraphQLObjectType,
        target: GraphQLNamedType,
        group: FieldDetailsList,
        args: dict[str, Any],
        scope: _Scope,
    ) -> _Scope | None:
        parent, name = parent_type.name, group[0].node.name.value
        if parent in ("Query", "LiveStats") and name == "stats":
            return self._stats(
                scope, "org" if args.get("scope") is None else _wire(args["scope"]), args.get("id"), args
            )
        if parent == "Query" and name == "_entities":
            self._entities(group, args.get("representations") or [])
            return None
        narrowing = dimensions.narrowing(parent) if name in ENTITY_STATS_FIELDS else None
        if narrowing is not None:
            return self._federated(narrowing, name, args, scope)
        if parent == "Stats" and name in DOMAIN_FIELDS:
            return replace(scope, domain=resources.domain(name), filters=args)
        if parent == "Legacy":
            self._legacy(name, target, group, args, scope)
            return None
        if scope.domain is None or scope.selection is None:
            return scope
        if name in ("timeSeries", "tokens"):
            domain = resources.POLICY_TOKENS if name == "tokens" else scope.domain
            filters = {} if name == "tokens" else scope.filters
            compared = (
                self.selections.comparisons(target, group) if isinstance(target, GraphQLObjectType) else []
            )
            if compared:
                calendars.series_only(scope.calendar, "a comparison")
            # Each comparison's longer window, checked as the resolver checks it (refused: no call at all);
            # the series itself is then cut from it (RestRequest.stand_ins).
            sources = [comparison.source(scope.selection, to) for to in compared]
            self._time_series(domain, filters, scope, sources)
            return scope
        if name == "comparison" and scope.dimension is not None and scope.breakdown is not None:
            return self._breakdown_comparison(scope.dimension, scope.breakdown, args)
        if name == "comparison":  # its periods: the window's buckets, less the one filling if left out
            return replace(scope, points=scope.points - 1) if args.get("completeBucketsOnly") else scope
        if name in ("current", "previous") and scope.changes:
            self._values(scope, len(self._leaves(target, group)))
            return None
        if name == "others" and scope.breakdown is not None:
            # The domain's series over the breakdown's selection, once per breakdown (resolvers.others).
            self._time_series(scope.domain, scope.filters, scope.breakdown)
            return scope.breakdown
        if name in ("breakdown", "providers", "users"):
            calendars.series_only(scope.calendar, "a breakdown")
            by = _wire(args["by"]) if "by" in args else name
            dimension = dimensions.dimension(scope.domain.name, by)
            page = Page(args.get("limit", resources.LIMIT_DEFAULT), args.get("offset", 0))
            series = isinstance(target, GraphQLObjectType) and self.selections.wants_entity_series(
                target, group
            )
            order = _order(scope.domain, args)
            if ordering.upstream_orders(scope.domain, order):
                self._add(requests.breakdown(dimension, scope.selection, scope.filters, page, series), scope)
            else:  # every page, at most, read and sorted in the gateway (resolvers.ordering)
                for each in ordering.pages():
                    self._add(
                        requests.breakdown(dimension, scope.selection, scope.filters, each, series), scope
                    )
            return _Scope(
                scope.times * page.limit,
                scope.selection,
                scope.domain,
                scope.filters,
                scope.points,
                sure=0,
                breakdown=scope,
                dimension=dimension,
            )
        if name in SERIES_FORMS:
            columns = len(self._leaves(target, group))
            self._values(scope, scope.points * columns)
            self.estimate.alignment += scope.times * columns
            return None
        if name == "totals":
            self._values(scope, len(self._leaves(target, group)))
            return None
        if name in ("workspace", "repo", "bucket", "model", "aiConfig", "user", "rule"):
            return _Scope(scope.times, entity=UNKNOWN, sure=scope.sure)
        return scope

    def _time_series(
        self,
        domain: resources.Domain,
        filters: Mapping[str, str | None],
        scope: _Scope,
        sources: list[Selection] | None = None,
    ) -> None:
        """A domain's series, counted as the run makes it: through the entity batch where a breakdown
        could answer it (resolvers.v2_fields), a root stats(scope:, id:) as much as a federated entity's.
        With the longer windows its comparisons are cut from (``sources``), asked about the same entity."""
        assert scope.selection is not None
        selections = [*(sources or ()), scope.selection]
        batchable = [requests.entity_series(domain, each, filters) for each in selections]
        if all(each is not None for each in batchable):
            for _ in range(self._copies(scope)):
                self.estimate.entity_series += self._named([each for each in batchable if each is not None])
        else:
            self._add([requests.time_series(domain, each, filters) for each in selections], scope)

    def _breakdown_comparison(
        self, dimension: dimensions.Dimension, breakdown: _Scope, args: dict[str, Any]
    ) -> _Scope:
        """The source window's breakdown with series, a whole page (resolvers.v2_fields); as many
        entity changes as that page may hold."""
        assert breakdown.selection is not None
        source = comparison.source(breakdown.selection, _wire(args.get("to", "previous_period")))
        whole = Page(resources.LIMIT_MAX, 0)
        self._add(requests.breakdown(dimension, source, breakdown.filters, whole, True), breakdown)
        return _Scope(
            breakdown.times * whole.limit,
            breakdown.selection,
            breakdown.domain,
            breakdown.filters,
            sure=0,
            changes=True,
        )

    # -- the fields that start a scope ------------------------------------------------------------

    def _stats(self, scope: _Scope, wire_scope: str, scope_id: str | None, args: dict[str, Any]) -> _Scope:
        bucket = None if args.get("bucketSize") is None else _wire(args["bucketSize"])
        calendar = calendars.of(_wire(args["window"]), bucket, args.get("timeZone"))
        if calendar is not None:  # the upstream is asked at the calendar's grain (gql.schema.stats_root)
            selection = requests.select(wire_scope, scope_id, calendar.source_window, calendar.grain)
            return _Scope(
                scope.times,
                selection,
                None,
                {},
                calendar.points(),
                scope.entity,
                scope.sure,
                calendar=calendar,
            )
        selection = requests.select(wire_scope, scope_id, _wire(args["window"]), bucket)
        points = resources.points(selection.window, selection.bucket_size)
        return _Scope(scope.times, selection, None, {}, points, scope.entity, scope.sure)

    def _federated(
        self, narrowing: dimensions.Narrowing, name: str, args: dict[str, Any], scope: _Scope
    ) -> _Scope:
        entity = scope.entity  # set by _entities, or a placeholder under a link
        if narrowing.filter is None:
            return self._stats(scope, narrowing.scope, entity, args)
        inner = self._stats(scope, "org", None, args)
        domain = resources.domain(name)
        filters: dict[str, str | None] = {narrowing.filter: entity}
        return _Scope(inner.times, inner.selection, domain, filters, inner.points, entity, inner.sure)

    def _entities(self, group: FieldDetailsList, representations: list[Any]) -> None:
        if len(representations) > self.max_representations:
            message = (
                f"_entities got {len(representations):,} representations; at most {self.max_representations:,}"
                " are allowed in one request (FLASHBACK_MAX_REPRESENTATIONS)."
            )
            raise RequestFailure.document("MAX_REPRESENTATIONS_LIMIT", [GraphQLError(message)])
        for representation in representations:
            if not isinstance(representation, Mapping):
                continue
            type_name, entity = representation.get("__typename"), representation.get("id")
            entity_type = self.schema.type_map.get(str(type_name))
            if not isinstance(entity_type, GraphQLObjectType) or not isinstance(entity, str) or not entity:
                continue
            self._selections(entity_type, group, _Scope(entity=entity))

    def _legacy(
        self,
        name: str,
        target: GraphQLNamedType,
        group: FieldDetailsList,
        args: dict[str, Any],
        scope: _Scope,
    ) -> None:
        leaves = len(self._leaves(target, group))
        if name == "creditsMonthly":
            self._add(requests.credit_histogram(args.get("months")), scope)
            self._values(scope, self._histogram_values(target, group))
            return
        if name == "aiConfigTotals":
            self._add(requests.ai_config_totals(args.get("aiLlmId")), scope)
        else:
            daily = _wire(args.get("resolution", "daily")) == "daily"
            dates = requests.DateRange(args.get("startDate"), args.get("endDate"))
            if name == "storage":
                request = requests.storage_records(
                    daily, dates, args.get("repoIds"), args.get("bucketIds"), args.get("hosts")
                )
            else:
                request = requests.ai_records(
                    daily, dates, AiRecordWhere(**(args.get("where") or {})).to_filter()
                )
            self._add(request, scope)
        # How many records come back is the upstream's choice; they are counted as LEGACY_RECORDS.
        self._values(scope, LEGACY_RECORDS * leaves)
        self.estimate.guessed = True

    # -- helpers ------------------------------------------------------------------------------------

    def _leaves(self, target: GraphQLNamedType, group: FieldDetailsList) -> GroupedFieldSet:
        """The fields selected on an object of ``target`` (none on a leaf or a union)."""
        return self.selections.below(target, group) if isinstance(target, GraphQLObjectType) else {}

    def _histogram_values(self, histogram: GraphQLNamedType, group: FieldDetailsList) -> int:
        """A credit histogram's values at their most: each field selected on ``months`` once per
        month (up to ``MONTHS_MAX``), and on ``totals`` once."""
        if not isinstance(histogram, GraphQLObjectType):
            return 0
        values = 0
        for inner in self.selections.below(histogram, group).values():
            name = inner[0].node.name.value
            fields = (
                len(self.selections.below_field(histogram, name, inner)) if name in histogram.fields else 0
            )
            values += (fields or 1) * (resources.MONTHS_MAX if name == "months" else 1)  # a leaf is one
        return values

    def _copies(self, scope: _Scope) -> int:
        """Distinct calls to count for a field met ``scope.times`` times over: past the budget the
        exact number changes nothing, and counting stops there (a nested breakdown of 500 under
        one of 500 is not 250,000 entries)."""
        return min(scope.times, self.call_cap)

    def _values(self, scope: _Scope, each: int) -> None:
        self.estimate.values += scope.times * each
        self.estimate.sure_values += scope.sure * each

    def _visit(self) -> None:
        self._visits += 1
        if self._visits > MAX_VISITS:
            message = (
                f"Walking this operation visits more than {MAX_VISITS:,} fields (each _entities"
                " representation walks its selection again); ask for fewer representations or fields."
            )
            raise RequestFailure.document("MAX_FIELDS_LIMIT", [GraphQLError(message)])

    def _next(self) -> str:
        self._placeholders += 1
        return f"{UNKNOWN}{self._placeholders}"

    def _add(self, calls: RestRequest | list[RestRequest], scope: _Scope) -> None:
        """A call per entity when the entity is known only at run time (each has its own id; the
        calls given together are about the same entity)."""
        together = calls if isinstance(calls, list) else [calls]
        if scope.entity != UNKNOWN:
            self.estimate.calls.update(together)
            return
        for _ in range(self._copies(scope)):
            entity = self._next()
            self.estimate.calls.update(RestRequest(r.path, (*r.params, ("entity", entity))) for r in together)

    def _named(self, together: list[EntitySeries]) -> list[EntitySeries]:
        """An entity known only at run time gets an id of its own: each is its own call or batch member
        (the series given together are about the same entity)."""
        if together[0].entity_id != UNKNOWN:
            return together
        entity = self._next()
        return [replace(request, entity_id=entity) for request in together]


def _order(domain: resources.Domain, args: dict[str, Any]) -> ordering.Order:
    """The order a breakdown field's arguments ask for, as the resolver reads them."""
    metric, direction = args.get("orderBy"), args.get("direction")
    return ordering.asked(
        domain, None if metric is None else _wire(metric), direction is None or _wire(direction) == "desc"
    )


def _wire(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    max_representations: int = 500,
    max_calls: int = 10_000,
) -> Estimate:
    return CostWalk(schema, document, variables, max_representations, max_calls).run(operation)
