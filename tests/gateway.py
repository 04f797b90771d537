"""A synchronous GraphQL client for tests: the gateway in-process, the local backend behind it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette


@dataclass
class Result:
    data: Any
    errors: list[dict[str, Any]]
    upstream: dict[str, Any]
    text: str

    @property
    def paths(self) -> list[str]:
        return [call["path"] for call in self.upstream["calls"]]

    def codes(self) -> dict[str, str]:
        """``a.b.c`` path -> ``extensions.code`` for every error."""
        return {".".join(map(str, e["path"])): e["extensions"]["code"] for e in self.errors}


class Gateway:
    def __init__(self, app: Starlette) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        self.app = app
        # Run the app's lifespan, as a server would: its shutdown closes the upstream connections.
        self._lifespan = app.router.lifespan_context(app)
        self._runner.run(self._lifespan.__aenter__())

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = "demo"
    ) -> Result:
        headers = {"X-Upstream-Report": "1"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await self._client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Result(
            body.get("data"),
            body.get("errors") or [],
            body.get("extensions", {}).get("upstream"),
            response.text,
        )

    def query(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = "demo"
    ) -> Result:
        return self._runner.run(self.post(query, variables, token))

    def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = "demo") -> Any:
        result = self.query(query, variables, token)
        assert not result.errors, result.errors
        return result.data

    def gather(self, *requests: tuple[str, str]) -> list[Result]:
        """Run (query, token) pairs concurrently in one event loop."""

        async def run() -> list[Result]:
            return list(await asyncio.gather(*(self.post(q, None, t) for q, t in requests)))

        return self._runner.run(run())

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.run(self._lifespan.__aexit__(None, None, None))
        self._runner.close()
