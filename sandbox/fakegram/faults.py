"""Faults the fake Bot API can be told to show, for tests of a bot that must survive them.

Real Telegram (and the network to it) fails in three ways a bot notices:

- ``error``: an HTTP error answer (500 Internal Server Error, 502 Bad Gateway from a proxy):
  the request was not carried out;
- ``timeout``: the server takes the request and answers nothing for a long time; the client
  gives up, or the connection is closed when the outage ends;
- ``drop``: the connection is closed without an answer.

For ``timeout`` and ``drop``, ``processed`` says whether the call took effect before its
answer was lost (a message sent that the bot never learns about): the case where blindly
resending a message makes the user get it twice. Each fault applies to the given methods (all
when None), to the next ``count`` calls or until cleared.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

KINDS = ("error", "timeout", "drop")


@dataclass
class Fault:
    kind: str
    methods: frozenset[str] | None  # lower-case method names; None: every method
    processed: bool = False
    count: int | None = None  # calls left to hit; None: until cleared
    status: int = 500
    description: str = "Internal Server Error"
    hits: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def applies(self, method: str) -> bool:
        return (self.methods is None or method in self.methods) and self.count != 0


class Faults:
    """The faults in force on one server."""

    def __init__(self) -> None:
        self._active: list[Fault] = []

    def add(
        self,
        kind: str,
        methods: tuple[str, ...] | None = None,
        *,
        processed: bool = False,
        count: int | None = None,
        status: int = 500,
        description: str = "Internal Server Error",
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}: one of {KINDS}")
        names = frozenset(m.lower() for m in methods) if methods is not None else None
        fault = Fault(kind, names, processed, count, status, description)
        self._active.append(fault)
        return fault

    def clear(self) -> None:
        """The outage ends: held requests are let go (their connections closed)."""
        for fault in self._active:
            fault.released.set()
        self._active.clear()

    def take(self, method: str) -> Fault | None:
        """The fault this call runs into, if any (it counts as one of the fault's hits)."""
        for fault in self._active:
            if fault.applies(method):
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                return fault
        return None
