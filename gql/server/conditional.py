"""GET answers a browser may keep and revalidate: ``Cache-Control``, ``Vary``, ``ETag``, 304.

A query sent with GET (a persisted query's hash, most often) is cacheable by HTTP's rules. Its
answer is the caller's own, so it is ``private``: a browser keeps it, a shared cache (a CDN) must
not, since every answer depends on the caller's credentials. It stays fresh for as long as the
upstream answers it was made from (the least of their freshness, the answer cache's rule); after
that, the browser revalidates with ``If-None-Match`` and gets a 304 with no body when the answer
is unchanged. An answer with errors or extensions is ``no-store``: a failure must not be replayed
from a cache, nor a per-request report.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

# The answer depends on the credentials and on the media type asked for (its Content-Type);
# the compression middleware adds Accept-Encoding.
VARY = "Authorization, Accept"


def etag(body: bytes) -> str:
    """A weak validator of the answer's JSON: weak, since compression changes the bytes sent."""
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def cache_headers(body: bytes | None, seconds: float) -> dict[str, str]:
    """The headers of a GET answer: ``body`` is the plain answer's JSON, None when the answer is not
    plain (errors or extensions); ``seconds``, how long its upstream answers stay fresh."""
    if body is None:
        return {"Cache-Control": "no-store", "Vary": VARY}
    return {"Cache-Control": f"private, max-age={int(seconds)}", "Vary": VARY, "ETag": etag(body)}


def not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    """A 304 when the request's ``If-None-Match`` names this answer's ETag (weak comparison)."""
    tag = headers.get("ETag")
    asked = request.headers.get("if-none-match")
    if tag is None or asked is None:
        return None
    wanted = {candidate.strip().removeprefix("W/") for candidate in asked.split(",")}
    if "*" in wanted or tag.removeprefix("W/") in wanted:
        return Response(status_code=304, headers=headers)
    return None
