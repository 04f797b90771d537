"""In-memory lookups over the catalog: ids to fact keys, keys to display names, and reach.

Built once at start-up; the request path never scans the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from local_backend.catalog import LLM_TYPE_NAMES, MODELS, EntityKeys, Organization


@dataclass(frozen=True, slots=True)
class EntityInfo:
    kind: str
    id: str
    key: int
    org_id: str | None  # None for vocabulary shared by every organization (models, LLM providers)
    workspace_id: str | None
    name: str
    extra: dict[str, str]


class Directory:
    def __init__(self, orgs: list[Organization], keys: EntityKeys) -> None:
        self.orgs = {org.id: org for org in orgs}
        self.keys = keys
        self._by_id: dict[tuple[str, str], EntityInfo] = {}
        self._by_key: dict[int, EntityInfo] = {}
        for org in orgs:
            self._add("org", org.id, org.id, None, org.name)
            for w in org.workspaces:
                self._add("workspace", w.id, org.id, w.id, w.name)
            for r in org.repos:
                self._add("repo", r.id, org.id, r.workspace_id, r.name)
                for i, api_key in enumerate(r.api_key_ids):
                    self._add("api_key", api_key, org.id, r.workspace_id, f"{r.name} key {i + 1}")
            for b in org.buckets:
                self._add("bucket", b.id, org.id, b.workspace_id, b.name, repo_id=b.repo_id)
            for n in org.nodes:
                self._add("node", n.id, org.id, None, n.host)
            for p in org.providers:
                self._add(
                    "storage_provider",
                    p.id,
                    org.id,
                    None,
                    p.name,
                    provider=p.provider,
                    protocol=p.protocol,
                    endpoint=p.endpoint,
                )
            for c in org.ai_configs:
                self._add("ai_config", c.id, org.id, c.workspace_id, c.name, llm_type=c.llm_type)
            for u in org.users:
                self._add("user", u.id, org.id, u.workspace_id, u.name)
            for rule in org.rules:
                self._add("rule", rule.id, org.id, rule.workspace_id, rule.name)
        for m in MODELS:
            self._add("model", m.name, None, None, m.display_name, llm_type=m.llm_type)
        for llm_type, name in LLM_TYPE_NAMES.items():
            self._add("llm_provider", llm_type, None, None, name)

    def _add(
        self, kind: str, ident: str, org_id: str | None, workspace_id: str | None, name: str, **extra: str
    ) -> None:
        info = EntityInfo(kind, ident, self.keys(kind, ident), org_id, workspace_id, name, extra)
        self._by_id[(kind, ident)] = info
        self._by_key[info.key] = info

    def find(self, kind: str, ident: str) -> EntityInfo | None:
        return self._by_id.get((kind, ident))

    def by_key(self, key: int) -> EntityInfo:
        return self._by_key[key]

    def model_names(self) -> list[str]:
        return [m.name for m in MODELS]
