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

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackQueryFilter

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
        """A new Router with every handler declared here, in declaration order.

        When each of its callback query handlers takes one kind of callback data
        (`CallbackData.filter()`), the router's callback queries are gated by those prefixes:
        a tap meant for another feature is rejected by one check instead of by every handler's
        filters in turn."""
        router = Router(name=self.name)
        for entry in self._entries:
            router.observers[entry.event].register(entry.callback, *entry.filters, **entry.flags)
        prefixes = self.callback_prefixes()
        if prefixes:
            router.callback_query.filter(F.data.func(_PrefixIn(prefixes)))
        return router

    def callback_prefixes(self) -> frozenset[str] | None:
        """The callback data prefixes of every callback query handler declared here, or None
        when there are none or one of them takes data of another shape."""
        prefixes = set()
        for entry in self._entries:
            if entry.event != "callback_query":
                continue
            typed = [f for f in entry.filters if isinstance(f, CallbackQueryFilter)]
            if not typed:
                return None
            prefixes.add(typed[0].callback_data.__prefix__)
        return frozenset(prefixes) or None


@dataclass(frozen=True)
class _PrefixIn:
    """Callback data whose prefix (what precedes the first ":") is one of `prefixes`."""

    prefixes: frozenset[str]

    def __call__(self, data: str) -> bool:
        return data.partition(":")[0] in self.prefixes
