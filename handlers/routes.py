"""Declaring a feature's handlers once and building a fresh aiogram Router from them.

A Router belongs to one Dispatcher for life, while a process may build several Dispatchers (a
restart in the tests, the sandbox). So each feature module declares its handlers on a `Routes`
with aiogram's decorator syntax, and `routes.router()` builds a new Router from them each time
the tree is assembled (`handlers.build_router`). Filters are aiogram's own, in the order given.

    routes = Routes("cart")

    @routes.message(Command("keranjang", "cart"))
    async def cart_command(message: Message, ...) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Router

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Entry:
    event: str
    callback: Callable[..., Any]
    filters: tuple[Any, ...]
    flags: dict[str, Any]


class Routes:
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[_Entry] = []

    def message(self, *filters: Any, **flags: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("message", filters, flags)

    def callback_query(self, *filters: Any, **flags: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("callback_query", filters, flags)

    def inline_query(self, *filters: Any, **flags: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("inline_query", filters, flags)

    def _on(
        self, event: str, filters: tuple[Any, ...], flags: dict[str, Any]
    ) -> Callable[[HandlerT], HandlerT]:
        def register(callback: HandlerT) -> HandlerT:
            self._entries.append(_Entry(event, callback, filters, flags))
            return callback

        return register

    def router(self) -> Router:
        """A new Router with every handler declared here, in declaration order."""
        router = Router(name=self.name)
        for entry in self._entries:
            router.observers[entry.event].register(entry.callback, *entry.filters, **entry.flags)
        return router
