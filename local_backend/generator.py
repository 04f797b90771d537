"""Deterministic demo traffic: one day of facts at a time, from the seed and the day alone.

Each day is drawn from its own random streams, so regenerating a day (after the clock moved
on) gives the same facts as generating it the first time. Traffic is drawn per hour; on days
inside the fine retention every hourly fact is then split into 5-minute facts whose values
add up exactly to the hourly one, so every grain tells the same totals. Policy facts are
derived from the AI facts of the same slot, which keeps policy token overhead equal to the
AI gateway's ``policyTokensIn/Out`` at every grain.

The past never changes: what a stream draws does not depend on the clock or on the grain. Every
row of a day is drawn, then only the slots closed by the clock are kept; splits into 5-minute
slots draw from a stream of their own, so a day drawn at 5 minutes or at 1 hour consumes the same
traffic and policy draws; and policy outcomes are drawn per request, then summed per slot or per
hour, so a closed bucket holds the same values at every later clock and at every grain.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from local_backend.catalog import MODELS, EntityKeys, Organization, PolicyRule, Repo

DAY = 86_400
HOUR = 3_600
FINE = 300
GROWTH_ANCHOR_DAY = 20_500  # 2026-02-16: growth is a function of absolute time, not of the data's start
RETIREMENT_BASE_DAY = 20_400  # 2025-11-08: retired buckets fall silent 120 to 330 days after this
_PROVIDER_LATENCY_MS = {"aws": 45, "gcp": 55, "azure": 70, "wasabi": 95, "storj": 130}


@dataclass(slots=True)
class DayFacts:
    """Rows for the fact tables, in the column order of ``store.FACT_COLUMNS``."""

    storage: list[tuple[object, ...]] = field(default_factory=list)
    ai: list[tuple[object, ...]] = field(default_factory=list)
    chat: list[tuple[object, ...]] = field(default_factory=list)
    policy: list[tuple[object, ...]] = field(default_factory=list)
    credit_events: list[tuple[object, ...]] = field(default_factory=list)


def diurnal(hour: int) -> float:
    """Office-hours shape in UTC, with a floor for always-on automation."""
    if 6 <= hour <= 22:
        return 0.25 + 0.75 * math.sin(math.pi * (hour - 6) / 16)
    return 0.25


_DIURNAL_WEIGHTS = [diurnal(h) for h in range(24)]


def day_factor(day: int) -> float:
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 5 and 6 are Saturday and Sunday
    weekly = 0.4 if weekday >= 5 else 1.0
    return weekly * math.exp(0.0015 * (day - GROWTH_ANCHOR_DAY))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def split_counts(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` non-negative integers with random weights (largest remainder)."""
    weights = [rng.random() + 0.05 for _ in range(parts)]
    return split_by_weights(total, weights)


def split_by_weights(total: int, weights: Sequence[float]) -> list[int]:
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    scale = sum(weights)
    raw = [magnitude * w / scale for w in weights]
    out = [int(r) for r in raw]
    missing = magnitude - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:missing]:
        out[i] += 1
    return [sign * v for v in out]


def _fine_slots(rng: random.Random, hour_ts: int, requests: int) -> tuple[list[int], list[int]]:
    """Pick the active 5-minute slots of an hour and the requests in each (at least one)."""
    active = min(requests, 1 + rng.randrange(12))
    slots = sorted(rng.sample(range(12), active))
    per_slot = [1 + extra for extra in split_counts(rng, requests - active, active)]
    return [hour_ts + s * FINE for s in slots], per_slot


def _split_row(
    rng: random.Random, hour_ts: int, requests: int, values: Sequence[int]
) -> Iterator[tuple[int, int, list[int]]]:
    """Yield (slot ts, slot requests, slot values) whose sums equal the hourly row."""
    slot_ts, slot_requests = _fine_slots(rng, hour_ts, requests)
    columns = [split_by_weights(v, slot_requests) for v in values]
    for i, ts in enumerate(slot_ts):
        yield ts, slot_requests[i], [c[i] for c in columns]


class DayGenerator:
    """Generates one organization's facts for one UTC day."""

    def __init__(self, seed: int, org: Organization, keys: EntityKeys) -> None:
        self.seed = seed
        self.org = org
        self.k = keys
        self.org_key = keys("org", org.id)
        self._split = random.Random()
        self._outcomes = random.Random()
        self._rules_by_workspace: dict[str, list[PolicyRule]] = {
            ws.id: [r for r in org.rules if r.workspace_id in (None, ws.id)] for ws in org.workspaces
        }
        self._users_by_workspace = {
            ws.id: [u for u in org.users if u.workspace_id == ws.id] for ws in org.workspaces
        }
        self._configs_by_workspace = {
            ws.id: [c for c in org.ai_configs if c.workspace_id == ws.id] for ws in org.workspaces
        }
        self._repos_by_workspace = {
            ws.id: [r for r in org.repos if r.workspace_id == ws.id] for ws in org.workspaces
        }
        self._providers = {p.id: p for p in org.providers}

    def generate(self, day: int, fine: bool, until: int) -> DayFacts:
        """Facts of ``day`` for slots that end at or before ``until``; 5-minute grain when ``fine``."""
        facts = DayFacts()
        factor = day_factor(day)
        # Splits into 5-minute slots and policy outcomes draw from streams of their own, so the
        # hourly traffic of a day is the same whether or not the day is inside the fine retention.
        self._split = self._rng("split", day)
        self._outcomes = self._rng("outcomes", day)
        self._storage(day, factor, fine, until, facts)
        self._ai(day, factor, fine, until, facts)
        self._chat(day, factor, fine, until, facts)
        self._credit_events(day, until, facts)
        return facts

    def _rng(self, kind: str, day: int) -> random.Random:
        return random.Random(f"{self.seed}:{self.org.id}:{kind}:{day}")

    # -- storage ------------------------------------------------------------------------------
    def _storage(self, day: int, factor: float, fine: bool, until: int, facts: DayFacts) -> None:
        rng = self._rng("storage", day)
        nodes = self.org.nodes
        repos = {r.id: r for r in self.org.repos}
        for bucket in self.org.buckets:
            burst = 5.0 if rng.random() < 0.02 else 1.0
            if bucket.level == 0 or (
                bucket.retired_after_day is not None and day > RETIREMENT_BASE_DAY + bucket.retired_after_day
            ):
                continue
            repo = repos[bucket.repo_id]
            # A bucket is served through one bridge node and one API key per day (rebalanced daily).
            node = self.k("node", rng.choice(nodes).id)
            api_key = self.k("api_key", rng.choice(repo.api_key_ids))
            latency_base = _PROVIDER_LATENCY_MS.get(self._providers[bucket.provider_id].provider, 80)
            for hour in range(24):
                hour_ts = day * DAY + hour * HOUR
                lam = bucket.level * repo.storage_level * factor * _DIURNAL_WEIGHTS[hour] * 30 * burst
                if rng.random() > min(0.8, 0.08 + lam / 120):
                    continue
                requests = max(1, int(rng.gammavariate(2.0, max(lam, 0.5) / 2)))
                size = bucket.mean_object_bytes
                upl = int(requests * size * 0.4 * rng.uniform(0.3, 1.7))
                dwl = int(requests * size * 0.6 * rng.uniform(0.3, 1.7))
                size_change = upl - int(upl * rng.uniform(0.0, 1.1))
                latency_sum = requests * int(latency_base * rng.uniform(0.6, 2.5))
                credits = (upl + dwl) // 50_000_000 + requests // 100 + 1
                dims = (
                    self.org_key,
                    self.k("workspace", bucket.workspace_id),
                    self.k("repo", bucket.repo_id),
                    self.k("bucket", bucket.id),
                    self.k("storage_provider", bucket.provider_id),
                    api_key,
                    node,
                )
                values = [upl, dwl, size_change, latency_sum, credits]
                self._emit(facts.storage, fine, until, hour_ts, dims, requests, values)

    # -- AI gateway and the policy facts derived from it ----------------------------------------
    def _ai(self, day: int, factor: float, fine: bool, until: int, facts: DayFacts) -> None:
        rng = self._rng("ai", day)
        for repo in self.org.repos:
            if repo.ai_level == 0:
                continue
            burst = 4.0 if rng.random() < 0.02 else 1.0
            conversations = poisson(rng, repo.ai_level * factor * 0.8 * burst)
            for _ in range(conversations):
                self._conversation(rng, day, repo, fine, until, facts)

    def _conversation(
        self, rng: random.Random, day: int, repo: Repo, fine: bool, until: int, facts: DayFacts
    ) -> None:
        user = rng.choice(self._users_by_workspace[repo.workspace_id])
        config = rng.choice(self._configs_by_workspace[repo.workspace_id])
        model = rng.choice([m for m in MODELS if m.llm_type == config.llm_type])
        api_key = self.k("api_key", rng.choice(repo.api_key_ids))
        conversation = rng.getrandbits(62)
        rules = self._rules_by_workspace[repo.workspace_id]
        workspace, repo_key, user_key = (
            self.k("workspace", repo.workspace_id),
            self.k("repo", repo.id),
            self.k("user", user.id),
        )
        node = self.k("node", rng.choice(self.org.nodes).id)
        start = rng.choices(range(24), weights=_DIURNAL_WEIGHTS)[0]
        for hour in range(start, min(24, start + 1 + rng.randrange(3))):
            hour_ts = day * DAY + hour * HOUR
            requests = 1 + int(rng.expovariate(1 / 10))
            tokens_in = requests * int(rng.lognormvariate(8.4, 0.9))  # retrieval-augmented prompts are long
            tokens_out = requests * int(rng.lognormvariate(6.2, 0.7))
            policy_in = len(rules) * requests * rng.randrange(30, 90)
            policy_out = len(rules) * requests * rng.randrange(3, 12)
            latency_sum = requests * int(rng.lognormvariate(6.9, 0.5))
            credits = math.ceil(
                (tokens_in + tokens_out + policy_in + policy_out) * model.credits_per_1k_tokens / 10_000
            )
            dims = (
                self.org_key,
                workspace,
                repo_key,
                api_key,
                self.k("ai_config", config.id),
                self.k("model", model.name),
                self.k("llm_provider", model.llm_type),
                node,
                user_key,
                conversation,
            )
            values = [tokens_in, tokens_out, policy_in, policy_out, latency_sum, credits]
            policy_dims = (self.org_key, workspace, repo_key, api_key)
            # Which requests of the hour each rule fired on, drawn for every request whatever the
            # clock and the grain, then counted per slot.
            fired = [[self._outcomes.random() < rule.rate for _ in range(requests)] for rule in rules]
            first = 0
            for ts, slot_requests, slot_values in self._slots(fine, hour_ts, requests, values):
                outcome = [sum(hits[first : first + slot_requests]) for hits in fired]
                first += slot_requests
                if ts + (FINE if fine else HOUR) > until:
                    continue
                policy = self._policy(ts, policy_dims, user_key, rules, outcome, slot_values[2:4])
                facts.policy.extend(policy)
                totals = [sum(p[i] for p in policy) for i in range(7, 13)]  # type: ignore[misc]
                facts.ai.append((ts, *dims, slot_requests, *slot_values, *totals))

    def _policy(
        self,
        ts: int,
        dims: tuple[int, int, int, int],
        user_key: int,
        rules: list[PolicyRule],
        violations_by_rule: Sequence[int],
        policy_tokens: Sequence[int],
    ) -> list[tuple[object, ...]]:
        """One row per rule that fired, plus one rule-less row carrying the evaluation tokens.

        Evaluation tokens are spent once per request for the whole rule set, so they belong
        to no single rule; see the decision table in docs/backend.md.
        """
        rows: list[tuple[object, ...]] = [(ts, *dims, None, user_key, 0, 0, 0, 0, 0, 0, *policy_tokens)]
        for rule, violations in zip(rules, violations_by_rule, strict=True):
            if violations:
                rows.append(
                    (
                        ts,
                        *dims,
                        self.k("rule", rule.id),
                        user_key,
                        violations,
                        violations if rule.action == 1 else 0,
                        violations if rule.action == 2 else 0,
                        violations if rule.risk == "LOW" else 0,
                        violations if rule.risk == "MEDIUM" else 0,
                        violations if rule.risk == "HIGH" else 0,
                        0,
                        0,
                    )
                )
        return rows

    # -- private chat ---------------------------------------------------------------------------
    def _chat(self, day: int, factor: float, fine: bool, until: int, facts: DayFacts) -> None:
        rng = self._rng("chat", day)
        for user in self.org.users:
            if user.chat_level == 0:
                continue
            configs = self._configs_by_workspace[user.workspace_id]
            repos = self._repos_by_workspace[user.workspace_id]
            for _ in range(poisson(rng, user.chat_level * factor * 0.35)):
                config = rng.choice(configs)
                model = rng.choice([m for m in MODELS if m.llm_type == config.llm_type])
                repo = rng.choice(repos)
                conversation = rng.getrandbits(62)
                start = rng.choices(range(24), weights=_DIURNAL_WEIGHTS)[0]
                for hour in range(start, min(24, start + 1 + rng.randrange(2))):
                    hour_ts = day * DAY + hour * HOUR
                    requests = 1 + int(rng.expovariate(1 / 7))
                    tokens_in = requests * int(rng.lognormvariate(6.0, 0.7))
                    tokens_out = requests * int(rng.lognormvariate(6.2, 0.7))
                    credits = math.ceil((tokens_in + tokens_out) * model.credits_per_1k_tokens / 1000)
                    dims = (
                        self.org_key,
                        self.k("workspace", user.workspace_id),
                        self.k("repo", repo.id),
                        self.k("api_key", repo.api_key_ids[0]),
                        self.k("ai_config", config.id),
                        self.k("model", model.name),
                        self.k("llm_provider", model.llm_type),
                        self.k("user", user.id),
                        conversation,
                    )
                    values = [tokens_in, tokens_out, credits]
                    self._emit(facts.chat, fine, until, hour_ts, dims, requests, values)

    # -- credit grants and purchases ----------------------------------------------------------------
    def _credit_events(self, day: int, until: int, facts: DayFacts) -> None:
        if not self.org.credits_enabled:
            return
        rng = self._rng("credits", day)
        ts = day * DAY
        if ts + FINE > until:
            return
        date = datetime.datetime.fromtimestamp(ts, datetime.UTC)
        granted = self.org.monthly_grant if date.day == 1 else 0
        purchased = 250_000 if rng.random() < 0.07 else 0
        if granted or purchased:
            facts.credit_events.append((ts, self.org_key, purchased, granted))

    # -- shared -------------------------------------------------------------------------------
    def _slots(
        self, fine: bool, hour_ts: int, requests: int, values: list[int]
    ) -> Iterator[tuple[int, int, list[int]]]:
        """Every slot of an hourly row, closed or not: what is drawn never depends on the clock."""
        if fine:
            yield from _split_row(self._split, hour_ts, requests, values)
        else:
            yield hour_ts, requests, values

    def _emit(
        self,
        rows: list[tuple[object, ...]],
        fine: bool,
        until: int,
        hour_ts: int,
        dims: tuple[object, ...],
        requests: int,
        values: list[int],
    ) -> None:
        """The row's slots that the clock has closed."""
        grain = FINE if fine else HOUR
        for ts, slot_requests, slot_values in self._slots(fine, hour_ts, requests, values):
            if ts + grain <= until:
                rows.append((ts, *dims, slot_requests, *slot_values))


__all__ = ["DAY", "FINE", "HOUR", "DayFacts", "DayGenerator"]
