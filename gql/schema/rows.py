"""A series in row form, as the schema's series fields return it: points when iterated, columns
for an engine that builds the rows in bulk (``gql.pipeline.row_form``). It lives with the types so
that they never import the engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from resolvers.v2_payloads import Columns


class Rows:
    """A series in row form: one ``point_type`` object per bucket when iterated (ordinary
    execution), or its columns when ``RowFormExecutor`` builds the rows in bulk."""

    __slots__ = ("columns", "point_type")

    def __init__(self, columns: Columns, point_type: type[Any]) -> None:
        self.columns = columns
        self.point_type = point_type

    def __iter__(self) -> Iterator[Any]:
        names = self.columns.names
        sources = [self.columns.column(name) for name in names]
        point = self.point_type
        return (point(**dict(zip(names, row, strict=True))) for row in zip(*sources, strict=True))

    def __len__(self) -> int:
        return len(self.columns)

    def column(self, name: str) -> Sequence[Any]:
        return self.columns.column(name)
