"""The demo organizations and everything they own.

The catalog is derived from the seed alone, so the same seed always names the same
workspaces, repos and users; the generated facts refer to these ids. Entity names are
meant to read like a real tenant so that dashboards built on the backend look plausible.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    org_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Repo:
    id: str
    org_id: str
    workspace_id: str
    name: str
    storage_level: float
    ai_level: float
    api_key_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StorageProvider:
    id: str
    org_id: str
    provider: str
    protocol: str
    endpoint: str
    name: str


@dataclass(frozen=True, slots=True)
class Bucket:
    id: str
    org_id: str
    workspace_id: str
    repo_id: str
    provider_id: str
    name: str
    level: float
    mean_object_bytes: int
    retired_after_day: int | None


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    org_id: str
    host: str


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    display_name: str
    llm_type: str
    credits_per_1k_tokens: int


@dataclass(frozen=True, slots=True)
class AiConfig:
    id: str
    org_id: str
    workspace_id: str
    name: str
    llm_type: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    org_id: str
    workspace_id: str
    name: str
    chat_level: float


@dataclass(frozen=True, slots=True)
class PolicyRule:
    id: str
    org_id: str
    workspace_id: str | None
    name: str
    risk: str  # LOW | MEDIUM | HIGH
    action: int  # 0 log only, 1 alert, 2 block
    rate: float


@dataclass(slots=True)
class Organization:
    id: str
    name: str
    credits_enabled: bool
    monthly_grant: int
    workspaces: list[Workspace] = field(default_factory=list)
    repos: list[Repo] = field(default_factory=list)
    providers: list[StorageProvider] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    ai_configs: list[AiConfig] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    rules: list[PolicyRule] = field(default_factory=list)


MODELS: tuple[Model, ...] = (
    Model("gpt-4o", "GPT-4o", "openai", 5),
    Model("gpt-4o-mini", "GPT-4o mini", "openai", 1),
    Model("o3-mini", "o3-mini", "openai", 3),
    Model("claude-3-5-sonnet", "Claude 3.5 Sonnet", "anthropic", 6),
    Model("claude-3-haiku", "Claude 3 Haiku", "anthropic", 1),
    Model("gemini-1.5-pro", "Gemini 1.5 Pro", "google", 4),
    Model("gemini-1.5-flash", "Gemini 1.5 Flash", "google", 1),
    Model("mistral-large", "Mistral Large", "mistral", 3),
)
MODELS_BY_NAME = {m.name: m for m in MODELS}
LLM_TYPES: tuple[str, ...] = ("openai", "anthropic", "google", "mistral")
LLM_TYPE_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google", "mistral": "Mistral AI"}

_PROVIDER_TEMPLATES = (
    ("aws", "S3", "https://s3.eu-central-1.amazonaws.com", "AWS S3 eu-central-1"),
    ("gcp", "GCS", "https://storage.googleapis.com", "Google Cloud Storage"),
    ("azure", "BLOB", "https://acmedata.blob.core.windows.net", "Azure Blob Storage"),
    ("wasabi", "S3", "https://s3.eu-central-2.wasabisys.com", "Wasabi eu-central-2"),
    ("storj", "S3", "https://gateway.storjshare.io", "Storj DCS"),
)
_WORKSPACE_NAMES = ("Platform", "Research", "Mobile", "Data Science", "Marketing", "Support")
_REPO_WORDS = (
    "atlas",
    "beacon",
    "cobalt",
    "delta",
    "ember",
    "falcon",
    "granite",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lumen",
    "mosaic",
    "nimbus",
    "orbit",
    "prism",
    "quartz",
    "raven",
    "sierra",
    "tundra",
)
_FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
)
_LAST = ("Ng", "Okafor", "Petrov", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weiss")
_RULES = (
    ("Block PII in prompts", "HIGH", 2),
    ("Alert on credential leakage", "HIGH", 1),
    ("Log profanity", "LOW", 0),
    ("Block jailbreak attempts", "MEDIUM", 2),
    ("Alert on source-code exfiltration", "MEDIUM", 1),
    ("Log competitor mentions", "LOW", 0),
    ("Block medical advice", "MEDIUM", 2),
    ("Alert on large outputs", "LOW", 1),
    ("Block customer data export", "HIGH", 2),
    ("Log off-topic use", "LOW", 0),
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True, slots=True)
class OrgShape:
    name: str
    workspaces: int
    repos_per_workspace: int
    providers: int
    nodes: int
    configs_per_workspace: int
    users_per_workspace: int
    rules: int
    credits_enabled: bool
    monthly_grant: int


ORG_SHAPES: tuple[OrgShape, ...] = (
    OrgShape("Acme Analytics", 4, 30, 5, 6, 3, 20, 10, True, 400_000),
    OrgShape("Globex Labs", 2, 3, 2, 3, 2, 5, 4, False, 0),
)


def conversation_uuid(number: int) -> str:
    """Render a stored conversation number as a UUID; ``conversation_number`` reverses it."""
    return str(uuid.UUID(int=(number << 64) | ((number * 0x9E3779B97F4A7C15) & (2**64 - 1))))


def conversation_number(text: str) -> int | None:
    try:
        value = uuid.UUID(text).int
    except ValueError:
        return None
    number = value >> 64
    return number if conversation_uuid(number) == str(uuid.UUID(text)) else None


class EntityKeys:
    """Small integer keys for entity ids, so fact rows store integers rather than UUID text."""

    def __init__(self, orgs: list[Organization]) -> None:
        self.key: dict[tuple[str, str], int] = {}
        self.ident: dict[int, tuple[str, str]] = {}
        for org in orgs:
            self._add("org", org.id)
            for kind, items in (
                ("workspace", org.workspaces),
                ("repo", org.repos),
                ("bucket", org.buckets),
                ("node", org.nodes),
                ("storage_provider", org.providers),
                ("ai_config", org.ai_configs),
                ("user", org.users),
                ("rule", org.rules),
            ):
                for item in items:
                    self._add(kind, item.id)
            for repo in org.repos:
                for api_key in repo.api_key_ids:
                    self._add("api_key", api_key)
        for model in MODELS:
            self._add("model", model.name)
        for llm_type in LLM_TYPES:
            self._add("llm_provider", llm_type)

    def _add(self, kind: str, ident: str) -> None:
        key = len(self.key) + 1
        self.key[(kind, ident)] = key
        self.ident[key] = (kind, ident)

    def __call__(self, kind: str, ident: str) -> int:
        return self.key[(kind, ident)]


def build_catalog(seed: int) -> list[Organization]:
    """Build the demo organizations; deterministic in ``seed``."""
    rng = random.Random(f"catalog:{seed}")
    orgs: list[Organization] = []
    for shape in ORG_SHAPES:
        org = Organization(_uuid(rng), shape.name, shape.credits_enabled, shape.monthly_grant)
        orgs.append(org)
        host_prefix = shape.name.split()[0].lower()
        for n in range(shape.nodes):
            region = ("eu-west", "us-east", "ap-south")[n % 3]
            org.nodes.append(
                Node(_uuid(rng), org.id, f"bridge-{n + 1}.{region}.{host_prefix}.flashback.local")
            )
        for template in _PROVIDER_TEMPLATES[: shape.providers]:
            provider, protocol, endpoint, name = template
            org.providers.append(StorageProvider(_uuid(rng), org.id, provider, protocol, endpoint, name))
        for w in range(shape.workspaces):
            ws = Workspace(_uuid(rng), org.id, _WORKSPACE_NAMES[w])
            org.workspaces.append(ws)
            for c in range(shape.configs_per_workspace):
                llm_type = LLM_TYPES[(w + c) % len(LLM_TYPES)]
                org.ai_configs.append(
                    AiConfig(_uuid(rng), org.id, ws.id, f"{ws.name} {LLM_TYPE_NAMES[llm_type]}", llm_type)
                )
            for _ in range(shape.users_per_workspace):
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                level = 0.0 if rng.random() < 0.15 else rng.lognormvariate(0.0, 0.8)
                org.users.append(User(_uuid(rng), org.id, ws.id, name, level))
            for r in range(shape.repos_per_workspace):
                word = _REPO_WORDS[(w * shape.repos_per_workspace + r) % len(_REPO_WORDS)]
                idle = rng.random() < 0.08
                # About half the repos keep files in storage buckets; most talk to LLMs.
                stores = rng.random() < 0.5
                repo = Repo(
                    id=_uuid(rng),
                    org_id=org.id,
                    workspace_id=ws.id,
                    name=f"{ws.name.lower().replace(' ', '-')}-{word}-{r + 1}",
                    storage_level=0.0 if idle or not stores else rng.lognormvariate(0.0, 0.9),
                    ai_level=0.0 if idle or rng.random() < 0.05 else rng.lognormvariate(-0.3, 0.9),
                    api_key_ids=tuple(_uuid(rng) for _ in range(1 + rng.randrange(2))),
                )
                org.repos.append(repo)
                for b in range((1 + (rng.random() < 0.2)) if stores else 0):
                    storage_provider = rng.choice(org.providers)
                    org.buckets.append(
                        Bucket(
                            id=_uuid(rng),
                            org_id=org.id,
                            workspace_id=ws.id,
                            repo_id=repo.id,
                            provider_id=storage_provider.id,
                            name=f"{repo.name}-{('assets', 'backups')[b]}",
                            level=0.0 if repo.storage_level == 0 else rng.lognormvariate(0.0, 0.6),
                            mean_object_bytes=int(rng.lognormvariate(14.5, 1.2)),
                            retired_after_day=rng.randrange(120, 330) if rng.random() < 0.07 else None,
                        )
                    )
        for i in range(shape.rules):
            name, risk, action = _RULES[i % len(_RULES)]
            scope_ws = None if i % 5 == 0 else org.workspaces[i % len(org.workspaces)].id
            org.rules.append(
                PolicyRule(_uuid(rng), org.id, scope_ws, name, risk, action, rng.uniform(0.002, 0.03))
            )
    return orgs
