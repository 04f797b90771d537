"""The 13 V2 endpoints: parameters to a selection, a selection to SQL, rows to the contract's JSON."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from local_backend.auth import Principal
from local_backend.directory import Directory
from local_backend.domains import DISTINCT_CONVERSATIONS, FILTERS, Domain, Metric
from local_backend.errors import bad_request, forbidden
from local_backend.params import Query, check_uuid
from local_backend.queries import (
    Where,
    breakdown_series,
    breakdown_source,
    breakdown_totals,
    last_active,
    time_series,
)
from local_backend.summary import summarize
from local_backend.windows import BUCKET_SECONDS, WINDOW_SECONDS, Span, range_grain, resolve_span

SCOPES = ("org", "workspace", "repo")
LIMIT_DEFAULT = 50
LIMIT_MAX = 500
OFFSET_MAX = 100_000

_USER_EXTRA = (
    Metric("conversationsCount", DISTINCT_CONVERSATIONS, additive=False, rollup_sql="SUM(conversations)"),
)


@dataclass(slots=True)
class Selection:
    scope: str
    scope_id: str | None
    where: Where
    span: Span
    resource_filter: dict[str, str] | None

    def meta(self) -> dict[str, object]:
        meta: dict[str, object] = {"start": self.span.start, "end": self.span.end, "scope": self.scope}
        if self.scope_id is not None:
            meta["scopeId"] = self.scope_id
        if self.resource_filter is not None:
            meta["resourceFilter"] = self.resource_filter
        return meta


class V2Stats:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    # -- parameters ----------------------------------------------------------------------------
    def select(
        self, principal: Principal, domain: Domain, query: Query, now: int, breakdown: bool
    ) -> Selection:
        if breakdown:
            scope = query.choice("scope", SCOPES, default="org")
        else:
            query.required("scope", "one of org, workspace, repo")
            scope = query.choice("scope", SCOPES)
        assert scope is not None
        window = query.choice("window", tuple(WINDOW_SECONDS))
        if window is None:
            query.required("window", "one of " + ", ".join(WINDOW_SECONDS))
        assert window is not None
        bucket_size = query.choice("timeBucketSize", tuple(BUCKET_SECONDS))
        if domain.credits and not principal.org.credits_enabled:
            raise bad_request(
                "The credits system is not enabled for this organization, so it has no credit statistics.",
                "CREDITS_NOT_ENABLED",
            )
        where = Where()
        where.add("org_id = ?", self.directory.keys("org", principal.org.id))
        scope_id = self._scope(principal, scope, query.text("id"), where)
        resource_filter = self._filters(principal, domain, query, where)
        span = resolve_span(window, bucket_size, now)
        return Selection(scope, scope_id, where, span, resource_filter)

    def _scope(self, principal: Principal, scope: str, scope_id: str | None, where: Where) -> str | None:
        if scope == "org":
            principal.require_whole_org("scope=org")
            if scope_id is not None and scope_id != principal.org.id:
                raise forbidden(
                    f"Organization '{scope_id}' is not visible to this token; omit id for your own."
                )
            return scope_id
        if scope_id is None:
            raise bad_request(
                f"Missing required parameter 'id': scope={scope} needs the {scope} UUID.", "MISSING_PARAMETER"
            )
        check_uuid("id", scope_id)
        entity = self.directory.find(scope, scope_id)
        if entity is None or not principal.can_see(entity):
            raise forbidden(f"{scope.capitalize()} '{scope_id}' is not visible to this token.")
        where.add(f"{scope}_id = ?", entity.key)
        return scope_id

    def _filters(
        self, principal: Principal, domain: Domain, query: Query, where: Where
    ) -> dict[str, str] | None:
        first: dict[str, str] | None = None
        for param, spec in FILTERS.items():
            value = query.text(param)
            if value is None:
                continue
            if param not in domain.filters:
                accepted = ", ".join(domain.filters) or "no resource filters"
                raise bad_request(
                    f"Parameter '{param}' does not apply to {domain.path}; it accepts: {accepted}.",
                    "FILTER_NOT_APPLICABLE",
                )
            if spec.kind == "model":
                entity = self.directory.find("model", value)
                if entity is None:
                    raise bad_request(
                        f"Unknown model '{value}' for 'model'. Known models: {', '.join(self.directory.model_names())}."
                    )
            else:
                check_uuid(param, value)
                entity = self.directory.find(spec.kind, value)
                if entity is None or not principal.can_see(entity):
                    raise forbidden(f"{param} '{value}' is not visible to this token.")
            where.add(f"{spec.column} = ?", entity.key)
            if first is None:
                first = {"type": spec.filter_type, "id": value}
        return first

    # -- endpoints -----------------------------------------------------------------------------
    def time_series(
        self, db: sqlite3.Connection, principal: Principal, domain: Domain, query: Query, now: int
    ) -> dict[str, object]:
        selection = self.select(principal, domain, query, now, breakdown=False)
        points, summary_values = time_series(db, domain, selection.where, selection.span)
        meta = selection.meta()
        meta["window"] = selection.span.window
        meta["timeBucketSize"] = selection.span.bucket_size
        return {"success": True, "meta": meta, "summary": summarize(summary_values), "series": points}

    def breakdown(
        self,
        db: sqlite3.Connection,
        principal: Principal,
        domain: Domain,
        by: str,
        query: Query,
        now: int,
        allowed: tuple[str, ...] | None = None,
    ) -> dict[str, object]:
        dims = allowed or tuple(domain.dimensions)
        if by not in dims:
            raise bad_request(
                f"Invalid breakdown '{by}' for {domain.path}/breakdown. Allowed values: {', '.join(dims)}."
            )
        dimension = domain.dimensions[by]
        include_series = query.boolean("includeSeries", default=False)
        limit = query.integer("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
        offset = query.integer("offset", 0, 0, OFFSET_MAX)
        selection = self.select(principal, domain, query, now, breakdown=True)
        users = domain.name == "private-chat" and by == "users"
        extra = _USER_EXTRA if users else ()
        source = breakdown_source(
            domain, dimension.column, selection.span, filtered=selection.resource_filter is not None
        )
        rows = breakdown_totals(db, domain, dimension.column, selection.where, selection.span, source, extra)
        named = [(self.directory.by_key(row.key), row) for row in rows]
        named.sort(key=lambda item: (-item[1].rank, item[0].id))
        page = named[offset : offset + limit]
        keys = [row.key for _, row in page]
        series = (
            breakdown_series(db, domain, dimension.column, selection.where, selection.span, source, keys)
            if include_series
            else {}
        )
        active = (
            last_active(
                db,
                domain,
                dimension.column,
                selection.where,
                selection.span,
                range_grain(selection.span.start, now),
                keys,
            )
            if users
            else {}
        )
        entities: list[dict[str, object]] = []
        for info, row in page:
            entity: dict[str, object] = {"entityId": info.id, "entityName": info.name, "totals": row.totals}
            if by == "providers" and domain.name == "storage":
                entity.update({k: info.extra[k] for k in ("provider", "protocol", "endpoint")})
            if users and row.key in active:
                row.totals["lastActiveAt"] = active[row.key]
            if include_series:
                entity["series"] = series[row.key]
            entities.append(entity)
        meta = selection.meta()
        meta.update(
            {
                "breakdownBy": by,
                "includesSeries": include_series,
                "limit": limit,
                "offset": offset,
                "totalEntities": len(named),
                "window": selection.span.window,
                "timeBucketSize": selection.span.bucket_size,
            }
        )
        return {"success": True, "meta": meta, "summary": {"total": len(named)}, "entities": entities}
