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

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective

from gql.failures import RequestFailure
from gql.legacy_types import AiRecordWhere
from gql.lookahead import SERIES_FIELDS
from resolvers import entity_batch, requests, resources
from resolvers.errors import BadInput
from resolvers.requests import EntitySeries, Page, RestRequest, Selection

SERIES_FORMS = {"series", "columns"}
LEGACY_RECORDS = 1_000  # records a legacy list is counted as: the upstream decides how many there are
UNKNOWN = "?"  # the id of an entity known only at run time (under a breakdown entity's link)
FEDERATED_FIELDS = {
    ("Workspace", "stats"): ("workspace", None),
    ("Repo", "stats"): ("repo", None),
    ("Bucket", "storage"): ("org", "bucketId"),
    ("AiConfig", "ai"): ("org", "aiLlmId"),
    ("AiConfig", "privateChat"): ("org", "aiLlmId"),
    ("AiConfig", "credits"): ("org", "aiLlmId"),
    ("User", "privateChat"): ("org", "userId"),
    ("User", "policies"): ("org", "userId"),
    ("PolicyRule", "policies"): ("org", "ruleId"),
    ("Model", "ai"): ("org", "model"),
    ("Model", "privateChat"): ("org", "model"),
}


@dataclass(frozen=True, slots=True)
class Budget:
    """What one request may cost; about three times the reference dashboard (docs/protection.md)."""

    max_calls: int = 30
    max_values: int = 320_000
    batching: str = "auto"

    def check(self, estimate: Estimate) -> dict[str, object]:
        """The estimate and the limits, for ``extensions.cost``; a refusal when it is over either."""
        calls = estimate.call_count(self.batching)
        report: dict[str, object] = {
            "estimated": {"calls": calls, "values": estimate.values},
            "limits": {"calls": self.max_calls, "values": self.max_values},
        }
        over = [
            f"{found:,} {what} (at most {allowed:,}, {setting})"
            for found, allowed, what, setting in (
                (calls, self.max_calls, "upstream calls", "FLASHBACK_MAX_UPSTREAM_CALLS"),
                (estimate.values, self.max_values, "values", "FLASHBACK_MAX_VALUES"),
            )
            if found > allowed
        ]
        if over:
            message = (
                f"This request would cost {' and '.join(over)}. Ask for fewer breakdowns, entities, windows"
                " or fields per request; extensions.cost has the estimate and the limits."
            )
            raise RequestFailure(
                "COST_ESTIMATED_TOO_EXPENSIVE", [GraphQLError(message)], 400, 200, {"cost": report}
            )
        return report


def count_values(data: object) -> int:
    """Leaf values in a response's data: what the request actually produced. A chart column is
    still the sequence the series was decoded into (a tuple), not yet a JSON list: each of its
    values counts."""
    if isinstance(data, dict):
        return sum(count_values(v) for v in data.values())
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return sum(
            count_values(v) if isinstance(v, dict | Sequence) and not isinstance(v, str) else 1 for v in data
        )
    return 1


@dataclass(slots=True)
class Estimate:
    calls: set[RestRequest] = field(default_factory=set)
    entity_series: list[EntitySeries] = field(default_factory=list)
    values: int = 0

    def call_count(self, batching: str) -> int:
        """Distinct calls, a breakdown without series served by the same one with series."""
        calls = set(self.calls)
        groups: dict[tuple[object, ...], list[EntitySeries]] = {}
        for request in self.entity_series:
            groups.setdefault(request.group(), []).append(request)
        for group in groups.values():
            distinct = list({r.entity_id: r for r in group}.values())
            if batching == "always" or (batching == "auto" and len(distinct) >= entity_batch.MIN_ENTITIES):
                calls.add(distinct[0].whole(entity_batch.page_for(len(distinct)), True))
            else:
                calls |= {r.scoped() for r in distinct}
        return sum(1 for c in calls if (twin := c.with_series()) is None or twin not in calls)


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where the walk stands: the stats selection, the domain and its filters, how many times over."""

    times: int = 1
    selection: Selection | None = None
    domain: resources.Domain | None = None
    filters: Mapping[str, str | None] = field(default_factory=dict)
    points: int = 0
    entity: str | None = None  # the federated entity's id (a placeholder when known only at run time)


class CostWalk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: VariableValues,
        max_representations: int,
    ) -> None:
        self.schema = schema
        self.max_representations = max_representations
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.estimate = Estimate()
        self._placeholders = 0

    def run(self, operation: OperationDefinitionNode) -> Estimate:
        query_type = self.schema.query_type
        assert query_type is not None
        self._selections(query_type, operation.selection_set, _Scope())
        return self.estimate

    # -- the walk ---------------------------------------------------------------------------------

    def _fields(self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        """The fields selected on ``parent``, through fragments whose type condition it meets."""
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            if (
                condition is None
                or condition.name.value == parent.name
                or condition.name.value.startswith("_")
            ):
                found += self._fields(parent, inner)
        return found

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (skip and skip.get("if")) and not (include and not include.get("if"))

    def _selections(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None, scope: _Scope
    ) -> None:
        for node in self._fields(parent, selection_set):
            definition = parent.fields.get(node.name.value)
            if definition is None:
                continue
            try:
                arguments = get_argument_values(definition, node, self.variables)
            except Exception:
                continue
            target = get_named_type(definition.type)
            try:
                inner = self._field(parent.name, node, arguments, scope)
            except BadInput:
                continue  # refused before any call at execution too
            if inner is not None and isinstance(target, GraphQLObjectType):
                self._selections(target, node.selection_set, inner)

    def _field(self, parent: str, node: FieldNode, args: dict[str, Any], scope: _Scope) -> _Scope | None:
        name = node.name.value
        if parent == "Query" and name == "stats":
            return self._stats(
                scope, "org" if args.get("scope") is None else _wire(args["scope"]), args.get("id"), args
            )
        if parent == "Query" and name == "_entities":
            self._entities(node, args.get("representations") or [])
            return None
        if (parent, name) in FEDERATED_FIELDS:
            return self._federated(parent, name, args, scope)
        if parent == "Stats" and name in ("storage", "ai", "privateChat", "policies", "credits"):
            return _Scope(
                scope.times,
                scope.selection,
                resources.domain(name),
                args,
                scope.points,
                scope.entity,
            )
        if parent == "Legacy":
            self._legacy(name, node, args, scope)
            return None
        if scope.domain is None or scope.selection is None:
            return scope
        if name in ("timeSeries", "tokens"):
            domain = resources.POLICY_TOKENS if name == "tokens" else scope.domain
            filters = {} if name == "tokens" else scope.filters
            # As at run time (resolvers.v2_fields): every series a breakdown could answer goes
            # through the entity batch, a root stats(scope:, id:) as much as a federated entity's.
            batchable = requests.entity_series(domain, scope.selection, filters)
            if batchable is not None:
                self.estimate.entity_series += [self._named(batchable) for _ in range(scope.times)]
            else:
                self._add(requests.time_series(domain, scope.selection, filters), scope)
            return scope
        if name in ("breakdown", "providers", "users"):
            by = _wire(args["by"]) if "by" in args else name
            dimension = requests.dimension(scope.domain.name, by)
            page = Page(args.get("limit", resources.LIMIT_DEFAULT), args.get("offset", 0))
            series = self._wants_entity_series(node)
            self._add(requests.breakdown(dimension, scope.selection, scope.filters, page, series), scope)
            return _Scope(
                scope.times * page.limit, scope.selection, scope.domain, scope.filters, scope.points
            )
        if name in SERIES_FORMS:
            self.estimate.values += scope.times * scope.points * len(self._leaves(node.selection_set))
            return None
        if name == "totals":
            self.estimate.values += scope.times * len(self._leaves(node.selection_set))
            return None
        if name in ("workspace", "repo", "bucket", "model", "aiConfig", "user", "rule"):
            return _Scope(scope.times, entity=UNKNOWN)
        return scope

    # -- the fields that start a scope ------------------------------------------------------------

    def _stats(self, scope: _Scope, wire_scope: str, scope_id: str | None, args: dict[str, Any]) -> _Scope:
        bucket = args.get("bucketSize")
        selection = requests.select(
            wire_scope, scope_id, _wire(args["window"]), None if bucket is None else _wire(bucket)
        )
        points = resources.points(selection.window, selection.bucket_size)
        return _Scope(scope.times, selection, None, {}, points, scope.entity)

    def _federated(self, parent: str, name: str, args: dict[str, Any], scope: _Scope) -> _Scope:
        entity = scope.entity  # set by _entities, or a placeholder under a link
        kind, filter_name = FEDERATED_FIELDS[(parent, name)]
        if kind != "org":
            return self._stats(scope, kind, entity, args)
        inner = self._stats(scope, "org", None, args)
        domain = resources.domain(name)
        filters: dict[str, str | None] = {str(filter_name): entity}
        return _Scope(inner.times, inner.selection, domain, filters, inner.points, entity)

    def _entities(self, node: FieldNode, representations: list[Any]) -> None:
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
            self._selections(entity_type, node.selection_set, _Scope(entity=entity))

    def _legacy(self, name: str, node: FieldNode, args: dict[str, Any], scope: _Scope) -> None:
        leaves = len(self._leaves(node.selection_set))
        if name == "creditsMonthly":
            self._add(requests.credit_histogram(args.get("months")), scope)
            self.estimate.values += scope.times * self._histogram_values(node)
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
        self.estimate.values += scope.times * LEGACY_RECORDS * leaves

    # -- helpers ------------------------------------------------------------------------------------

    def _leaves(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        leaves: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                leaves.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                leaves += self._leaves(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                leaves += self._leaves(self.fragments[selection.name.value].selection_set)
        return leaves

    def _histogram_values(self, node: FieldNode) -> int:
        """A credit histogram's values at their most: each field selected on ``months`` once per
        month (up to ``MONTHS_MAX``), and on ``totals`` once."""
        values = 0
        for child in self._leaves(node.selection_set):
            fields = len(self._leaves(child.selection_set)) or 1  # a leaf (__typename) is one value
            values += fields * (resources.MONTHS_MAX if child.name.value == "months" else 1)
        return values

    def _wants_entity_series(self, node: FieldNode) -> bool:
        return any(
            child.name.value == "entities"
            and any(g.name.value in SERIES_FIELDS for g in self._leaves(child.selection_set))
            for child in self._leaves(node.selection_set)
        )

    def _next(self) -> str:
        self._placeholders += 1
        return f"{UNKNOWN}{self._placeholders}"

    def _add(self, request: RestRequest, scope: _Scope) -> None:
        """A call per entity when the entity is known only at run time (each has its own id)."""
        if scope.entity != UNKNOWN:
            self.estimate.calls.add(request)
            return
        self.estimate.calls |= {
            RestRequest(request.path, (*request.params, ("entity", self._next()))) for _ in range(scope.times)
        }

    def _named(self, request: EntitySeries) -> EntitySeries:
        """An entity known only at run time gets an id of its own: each is its own call or batch member."""
        if request.entity_id != UNKNOWN:
            return request
        return EntitySeries(
            request.domain,
            request.scope,
            request.window,
            request.bucket_size,
            request.dimension,
            self._next(),
        )


def _wire(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    max_representations: int = 500,
) -> Estimate:
    return CostWalk(schema, document, variables, max_representations).run(operation)


class EstimateCache:
    """Estimates by document key, operation name and the variables as sent, the most recent
    ``size`` kept: a dashboard asked for again is not walked again. An estimate depends on nothing
    else (the schema and the limits are fixed for the process)."""

    def __init__(self, size: int = 1_024) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str | None, bytes], Estimate] = OrderedDict()

    def get(self, key: tuple[str, str | None, bytes], make: Callable[[], Estimate]) -> Estimate:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        made = self._entries[key] = make()
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return made
