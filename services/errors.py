"""The error type services raise for refusals the user should be told about.

A refusal carries a stable `code` (and params); the chat layer turns it into a polite sentence
in the user's language. Services never produce user-facing prose.
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r})"


class Forbidden(ServiceError):
    """The actor may not do this (wrong role, someone else's order, forged callback)."""

    def __init__(self, code: str = "forbidden", **params: object) -> None:
        super().__init__(code, **params)


class NotFound(ServiceError):
    def __init__(self, code: str = "not_found", **params: object) -> None:
        super().__init__(code, **params)
