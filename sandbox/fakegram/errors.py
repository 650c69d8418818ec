"""The error a Bot API method answers with."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error response: HTTP status, description and optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def td_error(message: str, status: int = 400) -> ApiError:
    """An error as ``Client::fail_query_with_error`` words it: "Bad Request: " and TDLib's
    message, its first letter lower-cased unless it is an error code (``MESSAGE_TOO_LONG``)."""
    prefix = {400: "Bad Request", 403: "Forbidden"}.get(status, "Bad Request")
    if len(message) >= 2 and not (message[1] == "_" or "A" <= message[1] <= "Z"):
        message = message[0].lower() + message[1:]
    return ApiError(status, f"{prefix}: {message}")
