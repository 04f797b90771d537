"""What a field's selection asks for below it, so the upstream is asked for it in the first call:
entity series below a breakdown (``includeSeries``), and the comparisons below a time series (the
longer window they are cut from).

One function answers for execution (a resolver deciding what to ask) and for the cost model
(counting that same request before the operation runs): both must name the same REST request, or
the estimate counts a call that is never made. It reads graphql-core's collected fields
two levels down, as execution collects them (each fragment once per level, type conditions and
``@skip``/``@include`` applied), rather than Strawberry's ``selected_fields``, which converts the
whole selection below the field with every fragment spread again wherever it is used.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types import Info

SERIES_FIELDS = frozenset({"series", "columns", "summary", "latencySummary"})
# What needs the page's entity series: their own series forms and summaries, and Others' series
# (the domain's series minus the entities', bucket by bucket).
NEEDS_ENTITY_SERIES = {"entities": SERIES_FIELDS, "others": frozenset({"series", "columns"})}


class Selections:
    """The fields selected below fields of one operation: graphql-core's collection, given what
    it needs once (the schema, fragments, variables and operation)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.fragments = {name: FragmentDetails(definition) for name, definition in fragments.items()}
        self.variables = variables
        self.operation = operation

    def below(self, parent: GraphQLObjectType, details: FieldDetailsList) -> GroupedFieldSet:
        """The fields selected on ``parent`` by the fields ``details``, by response key."""
        return collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, parent, details
        ).grouped_field_set

    def below_field(self, parent: GraphQLObjectType, name: str, details: FieldDetailsList) -> GroupedFieldSet:
        """The fields selected below ``parent.name``'s object type; none below a leaf or a union."""
        inner = get_named_type(parent.fields[name].type)
        return self.below(inner, details) if isinstance(inner, GraphQLObjectType) else {}

    def wants_entity_series(self, breakdown: GraphQLObjectType, details: FieldDetailsList) -> bool:
        """True when any ``entities { series | columns | summary | latencySummary }`` or
        ``others { series | columns }`` is selected below a breakdown field of type ``breakdown``."""
        for group in self.below(breakdown, details).values():
            name = group[0].node.name.value
            wanted = NEEDS_ENTITY_SERIES.get(name)
            if wanted and any(
                inner[0].node.name.value in wanted
                for inner in self.below_field(breakdown, name, group).values()
            ):
                return True
        return False

    def comparisons(self, series: GraphQLObjectType, details: FieldDetailsList) -> list[str]:
        """The ``to`` of every ``comparison`` selected below a time-series field of type ``series``
        (``CompareTo`` wire values), each once."""
        definition = series.fields.get(COMPARISON)
        if definition is None:
            return []
        found: list[str] = []
        for group in self.below(series, details).values():
            if group[0].node.name.value == COMPARISON:
                to = get_argument_values(definition, group[0].node, self.variables).get("to")
                value = str(getattr(to, "value", to))
                if value not in found:
                    found.append(value)
        return found


COMPARISON = "comparison"


def _running(info: Info) -> tuple[Selections, GraphQLObjectType | None, FieldDetailsList]:
    """The selections of the operation a resolver runs in, its field's object type and nodes."""
    raw = info._raw_info
    target = get_named_type(raw.return_type)
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):  # resolvers get the coerced values as a plain dict
        variables = VariableValues({}, dict(variables))
    selections = Selections(raw.schema, raw.fragments, variables, raw.operation)
    details = [FieldDetails(node, None) for node in raw.field_nodes]
    return selections, target if isinstance(target, GraphQLObjectType) else None, details


def wants_entity_series(info: Info) -> bool:
    """``Selections.wants_entity_series`` for the breakdown field a resolver is running."""
    selections, breakdown, details = _running(info)
    if breakdown is None:
        return True  # not a breakdown: ask for series rather than answer without them
    return selections.wants_entity_series(breakdown, details)


def comparisons(info: Info) -> list[str]:
    """``Selections.comparisons`` for the time-series field a resolver is running."""
    selections, series, details = _running(info)
    return [] if series is None else selections.comparisons(series, details)
