"""Bearer tokens and what each one may read.

The demo tokens are fixed strings so that README examples work as written. A principal is
an organization plus, optionally, the workspaces it is limited to.
"""

from __future__ import annotations

from dataclasses import dataclass

from local_backend.catalog import Organization
from local_backend.directory import EntityInfo
from local_backend.errors import ApiError, forbidden

DEMO_TOKENS = ("demo", "demo-other-org", "demo-workspace-only")


@dataclass(frozen=True, slots=True)
class Principal:
    token_name: str
    org: Organization
    workspace_ids: frozenset[str] | None  # None: the whole organization

    @property
    def whole_org(self) -> bool:
        return self.workspace_ids is None

    def can_see(self, entity: EntityInfo) -> bool:
        """Shared vocabulary (models, LLM providers) is visible to all; everything else by org and workspace."""
        if entity.org_id is None:
            return True
        if entity.org_id != self.org.id:
            return False
        if self.workspace_ids is None:
            return True
        if entity.kind == "org":
            return False
        # Org-wide things (nodes, storage providers, org-wide rules) are visible to a workspace token.
        return entity.workspace_id is None or entity.workspace_id in self.workspace_ids

    def require_whole_org(self, what: str) -> None:
        if not self.whole_org:
            raise forbidden(f"{what} covers the whole organization; this token is limited to one workspace.")


def demo_principals(orgs: list[Organization]) -> dict[str, Principal]:
    first, second = orgs[0], orgs[1]
    return {
        "demo": Principal("demo", first, None),
        "demo-other-org": Principal("demo-other-org", second, None),
        "demo-workspace-only": Principal("demo-workspace-only", first, frozenset({first.workspaces[0].id})),
    }


def authenticate(header: str | None, principals: dict[str, Principal]) -> Principal:
    if not header:
        raise ApiError(
            401, "UNAUTHENTICATED", "Missing Authorization header; send 'Authorization: Bearer <token>'."
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHENTICATED", "The Authorization header must be 'Bearer <token>'.")
    principal = principals.get(token.strip())
    if principal is None:
        raise ApiError(401, "UNAUTHENTICATED", "Unknown or expired access token.")
    return principal
