"""The one error type the backend raises on purpose, and its JSON body.

Every error answer has ``Content-Type: application/json`` and the body
``{"success": false, "message": ..., "error_code": ...}``: the official client only parses
error bodies that declare JSON, so a plain-text error would reach its users as ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ApiError(Exception):
    status: int
    error_code: str
    message: str

    def body(self) -> dict[str, object]:
        return {"success": False, "message": self.message, "error_code": self.error_code}


def bad_request(message: str, code: str = "INVALID_PARAMETER") -> ApiError:
    return ApiError(400, code, message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "FORBIDDEN", message)
