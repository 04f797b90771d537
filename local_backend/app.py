"""The backend's Starlette application: auth, routing and JSON errors around the stats services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import resources

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local_backend import domains
from local_backend.auth import Principal, authenticate, demo_principals
from local_backend.directory import Directory
from local_backend.errors import ApiError
from local_backend.faults import FAULT_MODES, FaultInjector, FaultPlan
from local_backend.legacy import LegacyStats
from local_backend.params import Query
from local_backend.settings import BackendSettings
from local_backend.store import Store
from local_backend.v2 import V2Stats

log = logging.getLogger("local_backend")
TOP_UP_SECONDS = 300  # the finest slot: facts are added as each one closes


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error_response(error: ApiError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return json_response(error.body(), error.status, headers)


POOL_SIZE = 8  # database connections at most: the thread pool's 40 threads share them
POOL_WAIT_SECONDS = 30.0


class Backend:
    """Everything a request needs: the store, lookups, tokens and the clock."""

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        self._advanced = 0  # seconds a pinned clock has been moved on (``advance``)
        self.moving = ClockMove()
        self.store = Store(settings.db_path, settings.seed)
        self.info = self.store.ensure(self.now())
        self.directory = Directory(self.store.orgs, self.store.keys)
        self.principals = demo_principals(self.store.orgs)
        self.v2 = V2Stats(self.directory)
        self.legacy = LegacyStats(self.directory)
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._opened = 0
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()

    @contextlib.contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection from a pool of at most ``POOL_SIZE``, for one request.

        A connection per server thread, as before, grew with the thread pool: idle threads come
        and go, and each new one opened a database file again. The pool's size is its bound on
        file descriptors; a request that finds every connection busy waits for one."""
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            with self._open_lock:
                opening = self._opened < POOL_SIZE
                self._opened += opening
            connection = self.store.connect() if opening else self._idle.get(timeout=POOL_WAIT_SECONDS)
        try:
            yield connection
        finally:
            self._idle.put(connection)

    def now(self) -> int:
        """The backend's clock: the system's, or the pinned instant moved on by ``advance``."""
        return self.settings.now() + self._advanced

    def advance(self, seconds: int) -> None:
        """Move a pinned clock on and add the facts of the slots that closed meanwhile: the path a
        live clock takes every ``TOP_UP_SECONDS``, driven by a test instead of the time of day."""
        if self.settings.pinned_now is None:
            raise ValueError("only a pinned clock is moved on by hand; a live one follows the time of day")
        # Facts and clock move together: no answer sees the later clock without its facts, or the
        # earlier clock's window with facts of slots that had not closed by it.
        with self.moving.writing(), self._write_lock:
            self.info = self.store.ensure(self.now() + seconds)
            self._advanced += seconds

    def top_up(self) -> None:
        with self._write_lock:
            self.info = self.store.ensure(self.now())


Handler = Callable[[Backend, sqlite3.Connection, Principal, Query, Request, int], object]


class ClockMove:
    """Answers read the clock and the facts as one: a pinned clock's move (``Backend.advance``)
    waits for the answers being made, and answers wait for the move. Readers share; a move is alone."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._moving = False

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._changed:
            while self._moving:
                self._changed.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            while self._moving:
                self._changed.wait()
            self._moving = True
            while self._readers:
                self._changed.wait()
        try:
            yield
        finally:
            with self._changed:
                self._moving = False
                self._changed.notify_all()


def _endpoint(backend: Backend, handler: Handler) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        try:
            principal = authenticate(request.headers.get("authorization"), backend.principals)
            with backend.moving.reading(), backend.db() as db:
                body = handler(backend, db, principal, Query(request.query_params), request, backend.now())
        except ApiError as error:
            return _error_response(error)
        return json_response(body)

    return endpoint


def _v2_routes() -> list[tuple[str, Handler]]:
    routes: list[tuple[str, Handler]] = []

    def series(domain: domains.Domain) -> Handler:
        return lambda b, db, p, q, r, now: b.v2.time_series(db, p, domain, q, now)

    def breakdown(
        domain: domains.Domain, by: str | None = None, allowed: tuple[str, ...] | None = None
    ) -> Handler:
        return lambda b, db, p, q, r, now: b.v2.breakdown(
            db, p, domain, by or r.path_params["by"], q, now, allowed
        )

    generic_storage = ("workspaces", "repos", "buckets", "nodes")
    routes += [
        ("/v2/stats/storage", series(domains.STORAGE)),
        ("/v2/stats/storage/breakdown/providers", breakdown(domains.STORAGE, "providers")),
        ("/v2/stats/storage/breakdown/{by}", breakdown(domains.STORAGE, allowed=generic_storage)),
        ("/v2/stats/ai", series(domains.AI)),
        ("/v2/stats/ai/breakdown/{by}", breakdown(domains.AI)),
        ("/v2/stats/private-chat", series(domains.PRIVATE_CHAT)),
        ("/v2/stats/private-chat/breakdown/models", breakdown(domains.PRIVATE_CHAT, "models")),
        ("/v2/stats/private-chat/breakdown/users", breakdown(domains.PRIVATE_CHAT, "users")),
        ("/v2/stats/policies", series(domains.POLICIES)),
        ("/v2/stats/policies/tokens", series(domains.POLICY_TOKENS)),
        ("/v2/stats/policies/breakdown/{by}", breakdown(domains.POLICIES)),
        ("/v2/stats/credits", series(domains.CREDITS)),
        ("/v2/stats/credits/breakdown/{by}", breakdown(domains.CREDITS)),
    ]
    return routes


def _legacy_routes() -> list[tuple[str, Handler]]:
    return [
        ("/stats/daily", lambda b, db, p, q, r, now: b.legacy.storage(db, p, q, now, daily=True)),
        ("/stats/minute", lambda b, db, p, q, r, now: b.legacy.storage(db, p, q, now, daily=False)),
        ("/aistats/daily", lambda b, db, p, q, r, now: b.legacy.ai(db, p, q, now, daily=True)),
        ("/aistats/minute", lambda b, db, p, q, r, now: b.legacy.ai(db, p, q, now, daily=False)),
        ("/ai/llm/stats", lambda b, db, p, q, r, now: b.legacy.llm_configs(db, p, q)),
        ("/credits/stats/monthly", lambda b, db, p, q, r, now: b.legacy.credits_monthly(db, p, q, now)),
    ]


def _fault_routes(plan: FaultPlan) -> list[Route]:
    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            plan.clear()
            return json_response({"success": True, "faults": []})
        if request.method == "POST":
            try:
                spec = orjson.loads(await request.body())
                fault = plan.add(
                    str(spec["path"]),
                    spec["mode"],
                    int(spec.get("status", 503)),
                    int(spec.get("delayMs", 0)),
                    None if spec.get("times") is None else int(spec["times"]),
                    float(spec.get("rate", 1.0)),
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                message = (
                    f"Send JSON {{path, mode, status?, delayMs?, times?, rate?}}; mode in"
                    f" {', '.join(FAULT_MODES)} ({error})."
                )
                return json_response(
                    {"success": False, "message": message, "error_code": "INVALID_FAULT"}, 400
                )
            return json_response({"success": True, "fault": fault.to_json()}, 201)
        return json_response({"success": True, "faults": [f.to_json() for f in plan.list()]})

    return [Route("/_faults", faults, methods=["GET", "POST", "DELETE"])]


def create_backend_app(settings: BackendSettings, fault_plan: FaultPlan | None = None) -> Starlette:
    """Build the backend; fills or tops up the database first (seconds on a first run)."""
    backend = Backend(settings)
    spec = resources.files("local_backend").joinpath("openapi.json").read_bytes()
    routes = [
        Route(path, _endpoint(backend, handler), methods=["GET"])
        for path, handler in _v2_routes() + _legacy_routes()
    ]
    routes.append(Route("/openapi.json", lambda request: Response(spec, media_type="application/json")))
    routes.append(Route("/healthz", lambda request: json_response({"success": True, "status": "ok"})))
    middleware: list[Middleware] = []
    plan = fault_plan or FaultPlan()
    if settings.faults_enabled:
        routes += _fault_routes(plan)
        middleware.append(Middleware(FaultInjector, plan=plan))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        message = (
            f"No endpoint {request.url.path}; see /openapi.json." if exc.status_code == 404 else exc.detail
        )
        return json_response({"success": False, "message": message, "error_code": code}, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return json_response(
            {
                "success": False,
                "message": "Internal error while aggregating statistics.",
                "error_code": "INTERNAL_ERROR",
            },
            500,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if settings.pinned_now is None:
            task = asyncio.create_task(_top_up_forever(backend))
        yield
        if task is not None:
            task.cancel()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.backend = backend
    app.state.faults = plan
    return app


async def _top_up_forever(backend: Backend) -> None:
    """With a live clock, add each 5-minute slot's facts just after it closes, so a live dashboard
    moves as the day goes on (and the last buckets never go quiet)."""
    while True:
        await asyncio.sleep(TOP_UP_SECONDS - time.time() % TOP_UP_SECONDS + 1)
        await asyncio.to_thread(backend.top_up)
