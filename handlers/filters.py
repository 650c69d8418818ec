"""Filters on router subtrees: who may reach a group of handlers.

The roles come from `bot.middlewares.UserMiddleware` (resolved once per update). These filters
only choose which handlers an update reaches; the services check the same roles again before
changing anything, since callback data can be forged.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from services.roles import RoleKind, Roles


class HasRole(Filter):
    """Passes when the acting account holds at least one of `kinds`."""

    def __init__(self, *kinds: RoleKind) -> None:
        self.kinds = kinds

    async def __call__(self, event: TelegramObject, roles: Roles | None = None) -> bool:
        return roles is not None and roles.has(*self.kinds)

    def __str__(self) -> str:
        return f"HasRole({', '.join(self.kinds)})"
