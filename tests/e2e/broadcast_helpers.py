"""Builders for broadcast tests: many ASN and their Telegram accounts at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from models import BuyerKind, RosterEntry, User
from sandbox.fakegram import ApiCall, FakeTelegram


def nip_for(telegram_id: int) -> str:
    """A distinct 18-digit number per account (the roster does not validate NIPs)."""
    return f"19850312201001{telegram_id % 10_000:04d}"


async def crowd(
    session: AsyncSession,
    tg: FakeTelegram,
    ids: range | list[int],
    *,
    opd: str = "Diskominfo",
    quota_class: str = "III",
    language: str = "en",
    started: bool = True,
) -> list[User]:
    """Registered ASN (roster + account) who have started the bot."""
    users = []
    for telegram_id in ids:
        nip = nip_for(telegram_id)
        session.add(
            RosterEntry(
                nip=nip,
                name=f"ASN {telegram_id}",
                opd=opd,
                golongan="PPPK" if quota_class == "PPPK" else f"{quota_class}/a",
                quota_class=quota_class,
                employee_kind="PPPK" if quota_class == "PPPK" else "PNS",
            )
        )
        users.append(
            User(
                telegram_id=telegram_id,
                first_name=f"ASN{telegram_id}",
                kind=BuyerKind.ASN,
                nip=nip,
                full_name=f"ASN {telegram_id}",
                telegram_language=language,
            )
        )
        tg.user(telegram_id, first_name=f"ASN{telegram_id}", language_code=language,
                started=started)  # fmt: skip
    await session.commit()  # roster rows first (users reference them)
    session.add_all(users)
    await session.commit()
    return users


def received(tg: FakeTelegram, marker: str) -> dict[int, int]:
    """How many messages containing `marker` each chat got."""
    counts: dict[int, int] = {}
    for chat_id, messages in tg.chats.items():
        n = sum(1 for m in messages if m.from_bot and marker in (m.text or ""))
        if n:
            counts[chat_id] = n
    return counts


async def wait_for(
    condition: Callable[[], bool], timeout: float = 30.0, what: Callable[[], str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time{': ' + what() if what else ''}")
        await asyncio.sleep(0.05)


async def broadcasts_settled(app) -> None:
    """Wait until the bot has handled every update so far, its broadcast runner has looked
    for work once more (``poll()``, as its own loop and the scheduler do) and no broadcast is
    being sent: a broadcast that is paused, cancelled or not due yet has had its chance to be
    sent wrongly, and what the chats hold now is final."""
    await app.wait_handled()
    runner = app.dp["broadcasts"]
    await runner.poll()
    await wait_for(lambda: not runner.jobs, what=lambda: f"still sending {sorted(runner.jobs)}")


def forgive(tg: FakeTelegram, expected: Callable[[ApiCall], bool]) -> None:
    """Drop API errors a test provoked on purpose (the `app` fixture fails on the others)."""
    tg.requests[:] = [c for c in tg.requests if c.ok or not expected(c)]


def unreachable_errors(call: ApiCall) -> bool:
    error = call.error or ""
    expected = ("blocked by the user", "user is deactivated", "chat not found", "retry after")
    return any(text in error for text in expected)
