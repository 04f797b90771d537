"""Text from an upstream body made fit to show a caller: bounded, and without any credential.

The upstream's ``message`` is a hint beside the code and status, which carry the meaning. An
upstream may put anything there: a 5 MB string, or the request's own ``Authorization`` echoed
back, which would hand the service token (``FLASHBACK_API_TOKEN``) to an anonymous caller. So a
message is cut to ``MAX_HINT_CHARS`` before anything else reads it, control characters go, every
credential the gateway holds or was sent is removed in each form it is commonly written in (as
is, percent-encoded, base64, hex, JSON-escaped), and so is any long run of token characters, a
credential in a form not listed. An ``error_code`` is kept only when it looks like one.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MAX_HINT_CHARS = 1_024
REDACTED = "[redacted]"
# A run this long of the characters tokens are written in is taken for a credential: ids and
# words in the contract's messages are far shorter.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_\-.~%]{32,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_MIN_SECRET = 4  # shorter strings are words, not credentials


def error_code(value: object) -> str | None:
    """The upstream's ``error_code`` when it has the form of one (``BUCKET_SIZE_NOT_ALLOWED``)."""
    return value if isinstance(value, str) and _ERROR_CODE.fullmatch(value) else None


def hint(text: object, secrets: Iterable[str | None] = ()) -> str | None:
    """``text`` bounded to ``MAX_HINT_CHARS`` and scrubbed of ``secrets`` (raw tokens or whole
    ``Authorization`` values); None when nothing readable is left."""
    if not isinstance(text, str) or not text:
        return None
    # Read at most a few times the bound: a credential cut in half at the end is still a run.
    cleaned = _CONTROL.sub(" ", text[: 4 * MAX_HINT_CHARS])
    for form in sorted(_forms(secrets), key=len, reverse=True):
        cleaned = re.sub(re.escape(form), REDACTED, cleaned, flags=re.IGNORECASE)
    cleaned = _TOKEN_RUN.sub(REDACTED, cleaned).strip()
    if len(cleaned) > MAX_HINT_CHARS:
        cleaned = cleaned[: MAX_HINT_CHARS - 1].rstrip() + "…"
    return cleaned or None


def _forms(secrets: Iterable[str | None]) -> set[str]:
    """Each secret, and the token inside an ``Authorization`` value, in the forms it is written in."""
    raw: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        raw.add(secret)
        scheme, _, token = secret.partition(" ")
        if token and scheme.isalpha():
            raw.add(token.strip())
    forms: set[str] = set()
    for value in raw:
        if len(value) < _MIN_SECRET:
            continue
        encoded = value.encode()
        for form in (
            value,
            quote(value, safe=""),
            quote_plus(value),
            encoded.hex(),
            value.encode("unicode_escape").decode(),
            base64.b64encode(encoded).decode(),
            base64.urlsafe_b64encode(encoded).decode(),
        ):
            forms.add(form)
            forms.add(form.rstrip("="))
    return {form for form in forms if len(form) >= _MIN_SECRET}
