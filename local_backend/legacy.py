"""The older endpoints: /stats/*, /aistats/*, /ai/llm/stats and /credits/stats/monthly.

They read the same fact tables as V2, so a day of legacy rows adds up to the V2 numbers for
that day. Large counters are sent as decimal strings, as the contract says they arrive.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Sequence

from local_backend.auth import Principal
from local_backend.catalog import conversation_number, conversation_uuid
from local_backend.directory import Directory
from local_backend.errors import bad_request, forbidden
from local_backend.params import Query, check_uuid
from local_backend.queries import Where

DAY = 86_400
DAILY_DEFAULT_DAYS = 30
DAILY_MAX_DAYS = 92
MINUTE_DEFAULT_SECONDS = DAY
MINUTE_MAX_SECONDS = 7 * DAY
MONTHS_DEFAULT = 12
MONTHS_MAX = 24


def _latency(total: int, requests: int) -> float:
    return round(total / requests, 3) if requests else 0.0


def _iso(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class LegacyStats:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    # -- shared parameter handling ----------------------------------------------------------------
    def _range(self, query: Query, now: int, daily: bool) -> tuple[int, int, int]:
        """(grain, first slot ts, last slot ts), inclusive; daily ranges cover whole UTC days."""
        start = query.instant("startDate")
        end = query.instant("endDate")
        if start is not None and end is not None and start > end:
            raise bad_request("startDate is after endDate; swap them or widen the range.")
        if daily:
            end = now if end is None else min(end, now)
            start = (end // DAY - DAILY_DEFAULT_DAYS + 1) * DAY if start is None else start
            first, last = start // DAY * DAY, end // DAY * DAY
            if (last - first) // DAY + 1 > DAILY_MAX_DAYS:
                raise bad_request(
                    f"The date range covers more than {DAILY_MAX_DAYS} days; narrow startDate/endDate."
                )
            return DAY, first, last
        end = now if end is None else min(end, now)
        start = end - MINUTE_DEFAULT_SECONDS if start is None else start
        if end - start > MINUTE_MAX_SECONDS:
            raise bad_request(
                "The minute range covers more than 7 days; narrow startDate/endDate or use the daily endpoint."
            )
        return 300, start, end

    def _ids(self, principal: Principal, query: Query, param: str, kind: str) -> list[int]:
        keys = []
        for value in query.id_list(param):
            check_uuid(param, value)
            entity = self.directory.find(kind, value)
            if entity is None or not principal.can_see(entity):
                raise forbidden(f"{param} '{value}' is not visible to this token.")
            keys.append(entity.key)
        return keys

    def _base(self, principal: Principal, grain: int, first: int, last: int) -> Where:
        where = Where()
        where.add("org_id = ?", self.directory.keys("org", principal.org.id))
        where.add("grain = ? AND ts >= ? AND ts <= ?", grain, first, last)
        if principal.workspace_ids is not None:
            keys = [self.directory.keys("workspace", w) for w in sorted(principal.workspace_ids)]
            where.add(f"workspace_id IN ({', '.join('?' * len(keys))})", *keys)
        return where

    def _hosts(self, principal: Principal, query: Query, where: Where) -> None:
        hosts = query.id_list("hosts")
        if hosts:
            keys = [self.directory.keys("node", n.id) for n in principal.org.nodes if n.host in hosts] or [-1]
            where.add(f"node_id IN ({', '.join('?' * len(keys))})", *keys)

    def _name(self, key: int | None) -> str:
        return "" if key is None else self.directory.by_key(key).id

    # -- /stats/daily and /stats/minute -----------------------------------------------------------
    def storage(
        self, db: sqlite3.Connection, principal: Principal, query: Query, now: int, daily: bool
    ) -> dict[str, object]:
        grain, first, last = self._range(query, now, daily)
        where = self._base(principal, grain, first, last)
        repos = self._ids(principal, query, "repoId", "repo")
        bucket_param = "unitId" if query.text("unitId") is not None else "bucketId"
        buckets = self._ids(principal, query, bucket_param, "bucket")
        for column, keys in (("repo_id", repos), ("bucket_id", buckets)):
            if keys:
                where.add(f"{column} IN ({', '.join('?' * len(keys))})", *keys)
        self._hosts(principal, query, where)
        rows = db.execute(
            "SELECT ts, repo_id, bucket_id, node_id, SUM(upl_bytes), SUM(dwl_bytes), SUM(size_change),"
            f" SUM(latency_sum_ms), SUM(requests) FROM storage_facts WHERE {where.sql()}"
            " GROUP BY ts, repo_id, bucket_id, node_id",
            where.params,
        ).fetchall()
        data = []
        for ts, repo, bucket, node, upl, dwl, change, latency, requests in rows:
            bucket_id = self._name(bucket)
            data.append(
                {
                    "timestamp": ts,
                    "repoId": self._name(repo),
                    "unitId": bucket_id,
                    "bucketId": bucket_id,
                    "upl_bytes": str(upl),
                    "dwl_bytes": str(dwl),
                    "size_change": str(change),
                    "latency_ms": _latency(latency, requests),
                    "host": self.directory.by_key(node).name,
                }
            )
        data.sort(key=lambda r: (r["timestamp"], r["repoId"], r["unitId"], r["host"]))
        return {"success": True, "data": data}

    # -- /aistats/daily and /aistats/minute --------------------------------------------------------
    def ai(
        self, db: sqlite3.Connection, principal: Principal, query: Query, now: int, daily: bool
    ) -> dict[str, object]:
        grain, first, last = self._range(query, now, daily)
        where = self._base(principal, grain, first, last)
        either: list[str] = []
        either_params: list[object] = []
        for param, kind, column in (
            ("repoId", "repo", "repo_id"),
            ("aiLlmId", "ai_config", "ai_config_id"),
            ("repoAiApiKeyId", "api_key", "api_key_id"),
        ):
            keys = self._ids(principal, query, param, kind)
            if keys:
                either.append(f"{column} IN ({', '.join('?' * len(keys))})")
                either_params.extend(keys)
        if either:
            where.add("(" + " OR ".join(either) + ")", *either_params)
        self._hosts(principal, query, where)
        self._vocabulary(query, where)
        users = self._ids(principal, query, "userUuid", "user")
        if users:
            where.add(f"user_id IN ({', '.join('?' * len(users))})", *users)
        conversations = []
        for value in query.id_list("conversationUuid"):
            check_uuid("conversationUuid", value)
            conversations.append(conversation_number(value) or -1)
        if conversations:
            where.add(f"conversation_id IN ({', '.join('?' * len(conversations))})", *conversations)
        rows = db.execute(
            "SELECT ts, repo_id, ai_config_id, api_key_id, node_id, llm_type, model, user_id, conversation_id,"
            " SUM(tokens_in), SUM(tokens_out), SUM(policy_tokens_in), SUM(policy_tokens_out), SUM(requests),"
            " SUM(violations), SUM(alerts), SUM(blocks), SUM(severity_low), SUM(severity_medium),"
            " SUM(severity_high), SUM(latency_sum_ms)"
            f" FROM ai_facts WHERE {where.sql()}"
            " GROUP BY ts, repo_id, ai_config_id, api_key_id, node_id, llm_type, model, user_id, conversation_id",
            where.params,
        ).fetchall()
        data = []
        for (
            ts,
            repo,
            config,
            api_key,
            node,
            llm_type,
            model,
            user,
            conversation,
            t_in,
            t_out,
            p_in,
            p_out,
            requests,
            violations,
            alerts,
            blocks,
            low,
            medium,
            high,
            latency,
        ) in rows:
            data.append(
                {
                    "timestamp": ts,
                    "repoId": self._name(repo),
                    "aiLlmId": self._name(config),
                    "repoAiApiKeyId": self._name(api_key),
                    "tokensIn": str(t_in),
                    "tokensOut": str(t_out),
                    "llmTokensIn": str(p_in),
                    "llmTokensOut": str(p_out),
                    "activeConversations": 1,
                    "apiCalls": requests,
                    "policyViolations": violations,
                    "numAlerts": alerts,
                    "numBlocks": blocks,
                    "numSeverityLow": low,
                    "numSeverityMedium": medium,
                    "numSeverityHigh": high,
                    "latency_ms": _latency(latency, requests),
                    "llmType": self._name(llm_type),
                    "llmModel": self._name(model),
                    "host": self.directory.by_key(node).name,
                    "userUuid": self._name(user),
                    "conversationUuid": conversation_uuid(conversation),
                }
            )
        data.sort(key=lambda r: (r["timestamp"], r["repoId"], r["conversationUuid"], r["host"]))
        return {"success": True, "data": data}

    def _vocabulary(self, query: Query, where: Where) -> None:
        """llmType (case-insensitive) and llmModel: names, so unknown ones just match nothing."""
        for param, kind, column in (("llmType", "llm_provider", "llm_type"), ("llmModel", "model", "model")):
            values = query.id_list(param)
            if not values:
                continue
            keys = []
            for value in values:
                entity = self.directory.find(kind, value.lower() if kind == "llm_provider" else value)
                keys.append(entity.key if entity else -1)
            where.add(f"{column} IN ({', '.join('?' * len(keys))})", *keys)

    # -- /ai/llm/stats -------------------------------------------------------------------------------
    def llm_configs(self, db: sqlite3.Connection, principal: Principal, query: Query) -> dict[str, object]:
        wanted = query.text("aiLlmId")
        configs = [
            c
            for c in principal.org.ai_configs
            if principal.workspace_ids is None or c.workspace_id in principal.workspace_ids
        ]
        if wanted is not None:
            check_uuid("aiLlmId", wanted)
            configs = [c for c in configs if c.id == wanted]
            if not configs:
                raise forbidden(f"aiLlmId '{wanted}' is not visible to this token.")
        keys = [self.directory.keys("ai_config", c.id) for c in configs]
        rows = db.execute(
            "SELECT ai_config_id, SUM(requests), SUM(tokens_in), SUM(tokens_out), SUM(policy_tokens_in),"
            " SUM(policy_tokens_out), SUM(violations), SUM(alerts), SUM(blocks) FROM ai_facts"
            f" WHERE org_id = ? AND grain = ? AND ai_config_id IN ({', '.join('?' * len(keys))})"
            " GROUP BY ai_config_id",
            (self.directory.keys("org", principal.org.id), DAY, *keys),
        ).fetchall()
        found: dict[int, Sequence[int]] = {row[0]: row[1:] for row in rows}
        names = (
            "totalApiCalls",
            "totalTokensIn",
            "totalTokensOut",
            "totalLlmTokensIn",
            "totalLlmTokensOut",
            "totalPolicyViolations",
            "totalAlerts",
            "totalBlocks",
        )
        stats = []
        for config, key in zip(configs, keys, strict=True):
            values = found.get(key, (0,) * len(names))
            stats.append({"aiLlmId": config.id, **{n: str(v) for n, v in zip(names, values, strict=True)}})
        return {"success": True, "stats": stats}

    # -- /credits/stats/monthly -------------------------------------------------------------------------
    def credits_monthly(
        self, db: sqlite3.Connection, principal: Principal, query: Query, now: int
    ) -> dict[str, object]:
        months = query.integer("months", MONTHS_DEFAULT, 1, MONTHS_MAX)
        principal.require_whole_org("Monthly credit statistics")
        if not principal.org.credits_enabled:
            raise bad_request(
                "The credits system is not enabled for this organization.", "CREDITS_NOT_ENABLED"
            )
        today = datetime.datetime.fromtimestamp(now, datetime.UTC)
        starts = []
        year, month = today.year, today.month
        for _ in range(months):
            starts.append(int(datetime.datetime(year, month, 1, tzinfo=datetime.UTC).timestamp()))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        starts.reverse()
        bounds = [*starts[1:], (now // DAY + 1) * DAY]
        data = []
        totals = {"consumption": 0, "purchases": 0, "grants": 0, "balance": 0}
        org_key = self.directory.keys("org", principal.org.id)
        for start, end in zip(starts, bounds, strict=True):
            consumption, purchases, grants = db.execute(
                "SELECT COALESCE(SUM(credits_ai + credits_storage), 0), COALESCE(SUM(credits_purchased), 0),"
                " COALESCE(SUM(credits_granted), 0) FROM credit_facts"
                " WHERE org_id = ? AND grain = ? AND ts >= ? AND ts < ?",
                (org_key, DAY, start, end),
            ).fetchone()
            item = {
                "month": _iso(start),
                "consumption": consumption,
                "purchases": purchases,
                "grants": grants,
                "balance": grants + purchases - consumption,
            }
            data.append(item)
            for name in totals:
                totals[name] += item[name]
        return {"success": True, "data": data, "totals": totals}
