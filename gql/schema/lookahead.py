"""What a breakdown field's selection asks for, so the upstream sends series only when needed.

One function answers for execution (a breakdown resolver deciding ``includeSeries``) and for the
cost model (counting that same request before the operation runs): both must name the same REST
request, or the estimate counts a call that is never made. It reads graphql-core's collected fields
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
from graphql.execution.values import VariableValues
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


def wants_entity_series(info: Info) -> bool:
    """``Selections.wants_entity_series`` for the breakdown field a resolver is running."""
    raw = info._raw_info
    breakdown = get_named_type(raw.return_type)
    if not isinstance(breakdown, GraphQLObjectType):
        return True  # not a breakdown: ask for series rather than answer without them
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):  # resolvers get the coerced values as a plain dict
        variables = VariableValues({}, dict(variables))
    selections = Selections(raw.schema, raw.fragments, variables, raw.operation)
    return selections.wants_entity_series(breakdown, [FieldDetails(node, None) for node in raw.field_nodes])
