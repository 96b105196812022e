"""`ApiError`: every error answer, in DESIGN.md §4's one shape, with a fitting status.

Messages are plain language and never carry patient data or a value the caller sent.
"""

from __future__ import annotations

from wardlink.core.protocol import error_body

STATUS_BY_CODE = {
    "invalid": 400,
    "unauthenticated": 401,
    "bad_credentials": 401,
    "device_revoked": 403,
    "account_disabled": 403,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "patient_identifiers": 422,
    "unknown_questionnaire": 422,
    "invalid_answers": 422,
    "throttled": 429,
}


class ApiError(Exception):
    """Raised anywhere in a request; the app turns it into `{"error": {...}}`."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **details: object,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE[code]
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, object]:
        return error_body(self.code, self.message, **self.details)


def not_found(what: str = "That") -> ApiError:
    return ApiError("not_found", f"{what} was not found.")


def forbidden(message: str = "You do not have access to that.") -> ApiError:
    return ApiError("forbidden", message)
