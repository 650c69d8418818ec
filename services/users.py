"""Telegram accounts known to the bot."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import bindparam
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models import User
from models.db import begin_write
from services.errors import Refusal, ServiceError

SUPPORTED_LANGUAGES = ("id", "en")


async def get_user(session: AsyncSession, telegram_id: int) -> User | None:
    result = await session.exec(_user_query(), params={"telegram_id": telegram_id})
    return result.first()


@cache
def _user_query() -> SelectOfScalar[User]:
    return select(User).where(User.telegram_id == bindparam("telegram_id"))


async def users_by_telegram_id(
    session: AsyncSession, telegram_ids: Iterable[int]
) -> dict[int, User]:
    """The accounts among `telegram_ids` that ever wrote to the bot, by Telegram id."""
    wanted = sorted(set(telegram_ids))
    if not wanted:
        return {}
    rows = await session.exec(select(User).where(col(User.telegram_id).in_(wanted)))
    return {user.telegram_id: user for user in rows.all()}


async def find_by_username(session: AsyncSession, username: str) -> User | None:
    """The account with this @username (case-insensitive), if it ever wrote to the bot."""
    name = username.strip().lstrip("@").lower()
    if not name:
        return None
    result = await session.exec(select(User).where(func.lower(User.username) == name))
    return result.first()


async def get_or_create_user(
    session: AsyncSession,
    telegram_id: int,
    *,
    first_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    """The account behind an update. Reads only, unless the account is new or changed.

    Writing on every update would serialise all traffic on SQLite, so the row is only written
    when something actually differs (and an unreachable user who writes again is reachable).
    """
    user = await get_user(session, telegram_id)
    if user is None:
        await begin_write(session)
        user = User(
            telegram_id=telegram_id,
            first_name=first_name[:128],
            username=username,
            telegram_language=(language_code or None) and language_code[:16],
        )
        session.add(user)
        try:
            await session.commit()
        except Exception:
            # Two first updates of one new user raced; the other one created the row.
            await session.rollback()
            user = await get_user(session, telegram_id)
            if user is None:
                raise
        return user
    return await sync_profile(
        session, user, first_name=first_name, username=username, language_code=language_code
    )


async def sync_profile(
    session: AsyncSession,
    user: User,
    *,
    first_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    """Keep the account's Telegram name, username and language as Telegram shows them now;
    writes only when something differs."""
    changes: dict[str, object] = {}
    if first_name and user.first_name != first_name[:128]:
        changes["first_name"] = first_name[:128]
    if user.username != username:
        changes["username"] = username
    if language_code and user.telegram_language != language_code[:16]:
        changes["telegram_language"] = language_code[:16]
    if user.unreachable:
        changes["unreachable"] = False
    if changes:
        # The write lock first, then the change: on SQLite a read transaction that turns into
        # a write fails at once ("database is locked") when another writer got in between.
        await begin_write(session)
        for name, value in changes.items():
            setattr(user, name, value)
        session.add(user)
        await session.commit()
    return user


async def set_language(session: AsyncSession, user: User, language: str) -> User:
    if language not in SUPPORTED_LANGUAGES:
        raise ServiceError(Refusal.UNSUPPORTED_LANGUAGE, language=language)
    await begin_write(session)
    user.language = language
    session.add(user)
    await session.commit()
    return user


async def mark_unreachable(session: AsyncSession, telegram_ids: Iterable[int]) -> None:
    ids = list(telegram_ids)
    if not ids:
        return
    await begin_write(session)
    for user in (await session.exec(select(User).where(col(User.telegram_id).in_(ids)))).all():
        user.unreachable = True
        session.add(user)
    await session.commit()
