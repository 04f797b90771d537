"""A breakdown's ``others``: everything the page does not show, as one more entity of the chart.

Each domain's Others has the shapes of its entities (totals, a point per bucket, columns), from the
same metric table, except that a metric that does not subtract (a distinct count, a mean) is null:
``resolvers.others`` says why. The work is done there; these types only show it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import strawberry

from gql.schema import metric_types as m
from gql.schema.metric_types import DOCS
from gql.schema.scalars import EpochSeconds, FloatList, Long, LongList
from gql.schema.summary_fields import others_share
from resolvers import resources
from resolvers.others import NON_ADDITIVE, OthersPayload
from resolvers.resources import Metric

T = TypeVar("T")
P = TypeVar("P")
C = TypeVar("C")
NOT_ADDITIVE = " Null in Others: it does not subtract (a distinct count or a mean)."


def _field(suffix: str) -> Callable[[str], Any]:  # pragma: no mutate block (import time)
    """A metric's field in Others: its description, and why it is null where it does not subtract."""

    def field(name: str) -> Any:
        about = DOCS[name] + suffix + (NOT_ADDITIVE if name in NON_ADDITIVE else "")
        return strawberry.field(description=about, default=None)

    return field


def _shapes(
    metrics: tuple[Metric, ...], domain: str, label: str
) -> tuple[type[Any], type[Any], type[Any]]:  # pragma: no mutate block (import time)
    """Totals, point and columns of a domain's Others."""

    @strawberry.type(name=f"{domain}OthersTotals", description=f"{label} metrics of Others over the window.")
    @m.metric_fields(metrics, Long, float, _field(""), NON_ADDITIVE)
    class Totals:
        pass

    @strawberry.type(name=f"{domain}OthersPoint", description=f"{label} metrics of Others in one bucket.")
    @m.metric_fields(metrics, Long, float, _field(""), NON_ADDITIVE)
    class Point:
        ts: EpochSeconds = m.metric("ts")

    @strawberry.type(name=f"{domain}OthersColumns", description=f"{label} metrics of Others in chart form.")
    @m.metric_fields(metrics, LongList, FloatList, _field(" One value per bucket."), NON_ADDITIVE)
    class Columns:
        ts: LongList = m.column("ts")

    return Totals, Point, Columns


@strawberry.type(
    description="Everything a breakdown's page does not show: the domain's series minus the page's"
    " entities, bucket by bucket, so that the page and Others add up to the domain exactly. It holds the"
    " entities not on the page and whatever no entity of the dimension carries (credits by models leave"
    " storage credits here, credits by buckets AI credits). Costs the domain's time series: one call,"
    " shared with any time-series panel of the same domain, window and filters."
)
class Others(Generic[T, P, C]):
    payload: strawberry.Private[OthersPayload]
    totals_type: ClassVar[type[Any]]
    point_type: ClassVar[type[Any]]
    columns_type: ClassVar[type[Any]]

    @strawberry.field(description="How many entities of the breakdown are not on the page.")
    def entityCount(self) -> int:
        return self.payload.entity_count

    @strawberry.field(description="Others' metrics over the whole window.")
    def totals(self) -> T:
        result: T = self.totals_type(**self.payload.totals)
        return result

    @strawberry.field(description="Row form: one object per bucket (asks the breakdown for entity series).")
    def series(self) -> list[P]:
        length = len(self.payload.ts)
        columns = {name: [None] * length if v is None else v for name, v in self._columns().items()}
        rows = zip(self.payload.ts, *columns.values(), strict=True)
        return [self.point_type(ts=row[0], **dict(zip(columns, row[1:], strict=True))) for row in rows]

    @strawberry.field(description="Chart form: one list per metric (asks the breakdown for entity series).")
    def columns(self) -> C:
        result: C = self.columns_type(ts=list(self.payload.ts), **self._columns())
        return result

    def _columns(self) -> dict[str, Any]:
        columns = self.payload.columns
        assert columns is not None, (
            "the breakdown is asked for entity series when Others' series are selected"
        )
        return columns


def _others(
    name: str, label: str, metrics: tuple[Metric, ...], metric_enum: Any
) -> type[Any]:  # pragma: no mutate block (import time)
    totals, point, columns = _shapes(metrics, name, label)

    @strawberry.type(name=f"{name}Others", description=Others.__strawberry_definition__.description)  # type: ignore[attr-defined]
    class DomainOthers(Others[totals, point, columns]):  # type: ignore[valid-type]
        totals_type = totals
        point_type = point
        columns_type = columns
        share = others_share(metric_enum)

    return DomainOthers


if TYPE_CHECKING:
    StorageOthers = Any
    AiOthers = Any
    PrivateChatOthers = Any
    PolicyOthers = Any
    CreditOthers = Any
else:
    StorageOthers = _others("Storage", "Storage gateway", resources.STORAGE.entity_metrics, m.StorageMetric)
    AiOthers = _others("Ai", "AI gateway", resources.AI.entity_metrics, m.AiMetric)
    PrivateChatOthers = _others(
        "PrivateChat", "Private-chat", resources.PRIVATE_CHAT.entity_metrics, m.PrivateChatMetric
    )
    PolicyOthers = _others(
        "Policy", "Policy enforcement", resources.POLICIES.entity_metrics, m.PolicyEnforcementMetric
    )
    CreditOthers = _others("Credit", "Credit", resources.CREDITS.entity_metrics, m.CreditMetric)
