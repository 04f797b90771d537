"""What one request may cost and what it will: the budget, the estimate the cost walk makes
(``gql.pipeline.cost``), its check before execution and the count of what an answer holds.

The estimate refuses only the values certain before any call; how many entities a breakdown holds
is the upstream's answer, so ``refuse_actual`` checks the rest on what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLError

from gql.pipeline.failures import RequestFailure
from resolvers import entity_batch
from resolvers.requests import EntitySeries, RestRequest


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
                (estimate.sure_values, self.max_values, "values", "FLASHBACK_MAX_VALUES"),
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
    still the sequence the series was decoded into (a tuple), not yet a JSON list: its length is
    its values, counted without a step per value."""
    if isinstance(data, dict):
        return sum(count_values(v) for v in data.values())
    if isinstance(data, list | tuple):
        if data and not isinstance(data[0], dict | list | tuple):
            return len(data)
        return sum(count_values(v) for v in data)
    return 1


def refuse_actual(values: int, budget: Budget) -> RequestFailure | None:
    """The answer refused when it holds more values than the budget. The estimate refuses only the
    values certain before any call; how many entities a breakdown holds is the upstream's answer,
    so the rest is checked here, on what arrived, before the answer is encoded."""
    if values <= budget.max_values:
        return None
    message = (
        f"The answer holds {values:,} values (at most {budget.max_values:,}, FLASHBACK_MAX_VALUES)."
        " Ask for fewer breakdowns, entities, points or fields per request."
    )
    return RequestFailure(
        "COST_ACTUAL_TOO_EXPENSIVE",
        [GraphQLError(message)],
        400,
        200,
        {"cost": {"actual": {"values": values}, "limits": {"values": budget.max_values}}},
    )


@dataclass(slots=True)
class Estimate:
    calls: set[RestRequest] = field(default_factory=set)
    entity_series: list[EntitySeries] = field(default_factory=list)
    values: int = 0  # at most: every breakdown holding its ``limit`` of entities
    sure_values: int = 0  # at least: what no breakdown's entity count changes
    guessed: bool = False  # ``values`` counts legacy records, whose number is the upstream's choice
    # One bucket more per series column: the contract leaves bucket alignment open, and an answer
    # may hold one more point than ``values`` counts (resources.most_points), never more.
    alignment: int = 0

    def most_values(self) -> int:
        """The values an answer can hold at most, whatever the upstream sends within its contract."""
        return self.values + self.alignment

    def call_count(self, batching: str) -> int:
        """Distinct calls, each served by a stand-in the operation asks for too (``RestRequest.stand_ins``)."""
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
        return sum(1 for c in calls if not any(other in calls for other in c.stand_ins()))


def estimate_bytes(estimate: Estimate) -> int:
    """What a kept estimate holds: its requests and entity series, a few hundred bytes each."""
    return 512 + 256 * (len(estimate.calls) + len(estimate.entity_series))
