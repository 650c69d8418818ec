"""Relaying an inquiry's conversation: to the shop's people in their language (with the
buyer's language noted), to the buyer in theirs. Only the bot speaks: no phone number and no
account of either side is passed on."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from delivery.notify import notify
from delivery.sender import Sender
from services.inquiries import Thread
from views import global_window as screens


async def to_shop(sender: Sender, thread: Thread, tz: ZoneInfo) -> int:
    """Tell every person of the shop; how many were reached."""
    reached = 0
    for person in thread.shop_people:
        if await notify(
            sender, person, lambda locale: screens.inquiry_for_shop(thread, locale, tz)
        ):
            reached += 1
    return reached


async def to_buyer(sender: Sender, thread: Thread) -> bool:
    return await notify(
        sender, thread.buyer, lambda locale: screens.inquiry_for_buyer(thread, locale)
    )
