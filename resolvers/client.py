"""The one place that speaks HTTP to the Flashback stats API.

It sends a ``RestRequest`` as it is (the request layer decides the query string) and raises a
typed failure (``resolvers.errors``) that says what happened: an error status with the
upstream's own message and ``error_code``, a timeout, a broken connection, a body that is not
JSON, a body over the byte cap. The caller's token is sent, never kept or echoed: the upstream's
message reaches a failure only bounded and scrubbed of every credential (``resolvers.upstream_text``).

Transient faults are retried: a GET is idempotent, so a 429, 502, 503 or 504 (after its
``Retry-After``, when sent) or a broken connection is tried again, at most twice, with jittered
exponential backoff, and never past the request's deadline. No other 4xx is retried: it is the
caller's. Every attempt asks the circuit breaker first and tells it how it went.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from resolvers.breaker import CircuitBreaker
from resolvers.errors import (
    DeadlineExceeded,
    UpstreamStatus,
    UpstreamTimeout,
    UpstreamTooLarge,
    UpstreamUnreachable,
)
from resolvers.requests import RestRequest
from resolvers.upstream_http import ByteBudget, UpstreamHttp
from resolvers.upstream_text import error_code, hint

LOG = logging.getLogger("resolvers.upstream")
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRIES = 2
_BACKOFF = wait_random_exponential(multiplier=0.05, max=1.0)


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    path: str
    query: str
    status: int | None
    milliseconds: float


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """A successful answer: its body as sent, and what it says about its own freshness."""

    body: bytes
    cache_control: str | None
    age: str | None


@dataclass(frozen=True, slots=True)
class CacheLookup:
    path: str
    query: str
    result: str  # resolvers.response_cache: hit, miss, coalesced or unavailable
    seconds: float = 0.0  # how long the answer stays fresh from now


@dataclass(slots=True)
class CallLog:
    """What one GraphQL request cost upstream; reported in ``extensions.upstream`` on request."""

    calls: list[UpstreamCall] = field(default_factory=list)
    lookups: list[CacheLookup] = field(default_factory=list)
    bytes: ByteBudget | None = None  # the request's upstream bytes, made at its first call

    def report(self) -> dict[str, object]:
        report: dict[str, object] = {
            "count": len(self.calls),
            "calls": [
                {"path": c.path, "query": c.query, "status": c.status, "ms": round(c.milliseconds, 2)}
                for c in self.calls
            ],
            "totalMs": round(sum(c.milliseconds for c in self.calls), 2),
        }
        if self.lookups:
            results = [lookup.result for lookup in self.lookups]
            report["cache"] = {
                "hits": results.count("hit"),
                "coalesced": results.count("coalesced"),
                "misses": len(results) - results.count("hit") - results.count("coalesced"),
                "lookups": [{"path": c.path, "query": c.query, "result": c.result} for c in self.lookups],
            }
        return report


@dataclass(frozen=True, slots=True)
class Deadline:
    """When the request must be answered by (``time.monotonic``), and its length for messages."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the jittered backoff is used instead


def _transient(failure: BaseException) -> bool:
    if isinstance(failure, UpstreamStatus):
        return failure.status in TRANSIENT_STATUSES
    return isinstance(failure, UpstreamUnreachable)


def _status_failure(
    status: int, body: bytes, retry_after: float | None = None, secrets: tuple[str | None, ...] = ()
) -> UpstreamStatus:
    """The upstream's ``message`` (bounded, without ``secrets`` or anything like a credential) and
    ``error_code`` (when it has the form of one) travel with the status, when its body has them."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    fields = parsed if isinstance(parsed, dict) else {}
    return UpstreamStatus(
        status, hint(fields.get("message"), secrets), error_code(fields.get("error_code")), retry_after
    )


class UpstreamClient:
    """Shared by every request (one connection pool and one breaker); holds no caller state."""

    def __init__(
        self,
        upstream: UpstreamHttp,
        timeout: float = 15.0,
        breaker: CircuitBreaker | None = None,
        secrets: tuple[str | None, ...] = (),
    ) -> None:
        """``secrets``: credentials the gateway holds (the service token), never shown to a caller
        even when the upstream sends them back."""
        self.upstream = upstream
        self.timeout = timeout
        self.breaker = breaker or CircuitBreaker()
        self.secrets = secrets

    async def get(
        self, request: RestRequest, authorization: str, log: CallLog, deadline: Deadline | None = None
    ) -> UpstreamAnswer:
        """The body of a successful answer, as sent; an ``UpstreamFailure`` otherwise.

        The first attempt is made outside tenacity: nearly every call succeeds at once, and
        tenacity's bookkeeping costs as much CPU as a third of the HTTP call. A transient failure
        enters it as its first attempt's outcome, so the retries are exactly tenacity's."""
        try:
            return await self._attempt(request, authorization, log, deadline)
        except (UpstreamStatus, UpstreamUnreachable) as failure:
            if not _transient(failure):
                raise
            first: BaseException | None = failure

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            hinted = failure.retry_after if isinstance(failure, UpstreamStatus) else None
            return hinted if hinted is not None else _BACKOFF(state)

        def give_up(state: RetryCallState) -> bool:
            """Stop after two retries, or when waiting again would pass the deadline."""
            if stop_after_attempt(1 + MAX_RETRIES)(state):
                return True
            return deadline is not None and wait(state) >= deadline.remaining()

        retrying = AsyncRetrying(stop=give_up, wait=wait, retry=retry_if_exception(_transient), reraise=True)
        async for attempt in retrying:
            with attempt:
                if first is not None:
                    replayed, first = first, None
                    raise replayed
                return await self._attempt(request, authorization, log, deadline)
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def _attempt(
        self, request: RestRequest, authorization: str, log: CallLog, deadline: Deadline | None
    ) -> UpstreamAnswer:
        budget = self.timeout if deadline is None else min(self.timeout, deadline.remaining())
        if budget <= 0:
            assert deadline is not None
            raise DeadlineExceeded(deadline.seconds)
        self.breaker.before_call()
        if log.bytes is None:
            log.bytes = ByteBudget(self.upstream.max_bytes)
        spent = log.bytes
        started = time.perf_counter()
        status: int | None = None
        try:
            async with asyncio.timeout(budget):
                answer = await self.upstream.get(
                    request.target, {"Authorization": authorization, "Accept": "application/json"}, spent
                )
            status = answer.status
        except TimeoutError as exc:
            self.breaker.failed()
            if deadline is not None and deadline.remaining() <= 0:
                raise DeadlineExceeded(deadline.seconds) from exc
            raise UpstreamTimeout() from exc
        except (UpstreamTimeout, UpstreamUnreachable):
            self.breaker.failed()
            raise
        except UpstreamTooLarge as too_large:
            status = too_large.status  # it answered: the breaker is not the place for its size
            self.breaker.succeeded()
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.calls.append(UpstreamCall(request.path, request.query, status, elapsed))
            if LOG.isEnabledFor(logging.DEBUG):
                LOG.debug(
                    "upstream call",
                    extra={"fields": {"path": request.path, "status": status, "ms": round(elapsed, 2)}},
                )
        if status >= 500:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        if status >= 400:
            spent.give_back(len(answer.body))  # a failure's body is not kept
            raise _status_failure(
                status, answer.body, _retry_after(answer.retry_after), (authorization, *self.secrets)
            )
        return UpstreamAnswer(answer.body, answer.cache_control, answer.age)
