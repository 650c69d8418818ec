"""Approximate prices for foreign buyers, from rates administrators set (with their date);
never fetched from the internet. Money stays rupiah: the other currency is only shown.

Refusal codes: currency_unknown [currency], rate_invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import CurrencyRate, User
from models.db import write_transaction
from services.admins import audit
from services.errors import Refusal, ServiceError
from services.roles import Roles

# Currencies of the buyers Malang's exporters meet most (ISO 4217).
CURRENCIES = ("USD", "SGD", "MYR", "EUR", "JPY", "SAR", "AED", "AUD", "CNY", "KRW", "GBP", "HKD")
DEFAULT_CURRENCY = "USD"
MAX_RATE = 10_000_000.0


def parse_code(text: str) -> str:
    code = text.strip().upper()
    if code not in CURRENCIES:
        raise ServiceError(Refusal.CURRENCY_UNKNOWN, currency=text.strip()[:10])
    return code


_NUMBER = re.compile(r"^\d{1,3}(?:[.,]\d{3})*(?:[.,]\d+)?$|^\d+(?:[.,]\d+)?$")


def parse_rate(text: str) -> float:
    """Rupiah for one unit: "15.850", "15850", "106,5", "4.250,75" (Indonesian style) or
    "106.5". A dot followed by exactly three digits separates thousands."""
    raw = "".join(text.replace("Rp", "").replace("rp", "").split())
    if not _NUMBER.match(raw):
        raise ServiceError(Refusal.RATE_INVALID)
    if "," in raw and "." in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        raw = raw.replace(",", ".") if len(raw.rsplit(",", 1)[1]) != 3 else raw.replace(",", "")
    elif "." in raw and len(raw.rsplit(".", 1)[1]) == 3:
        raw = raw.replace(".", "")
    value = float(raw)
    if not 0 < value <= MAX_RATE:
        raise ServiceError(Refusal.RATE_INVALID)
    return value


async def set_rate(
    session: AsyncSession, *, actor: Roles, code: str, text: str, as_of: date, now: datetime
) -> CurrencyRate:
    """An administrator sets how many rupiah one unit is worth, as of a date (audited)."""
    actor.require_admin()
    code = parse_code(code)
    value = parse_rate(text)
    async with write_transaction(session):
        rate = await session.get(CurrencyRate, code) or CurrencyRate(
            code=code, rupiah=value, as_of=as_of
        )
        rate.rupiah, rate.as_of, rate.set_by, rate.updated_at = (
            value,
            as_of,
            actor.telegram_id,
            now,
        )
        session.add(rate)
        audit(session, actor.telegram_id, "currency_rate", code=code, rupiah=value, as_of=as_of)
    return rate


async def all_rates(session: AsyncSession) -> list[CurrencyRate]:
    rows = (await session.exec(select(CurrencyRate).order_by(col(CurrencyRate.code)))).all()
    order = {code: i for i, code in enumerate(CURRENCIES)}
    return sorted(rows, key=lambda r: order.get(r.code, 99))


@dataclass(frozen=True)
class Approx:
    code: str
    amount: float
    as_of: date


async def rate_for(session: AsyncSession, user: User | None, locale: str) -> CurrencyRate | None:
    """The rate to show a reader: their chosen currency, else US dollars for English readers
    (nothing for Indonesian readers who chose nothing); None without a rate set."""
    code = user.currency if user is not None and user.currency else None
    if code is None:
        if locale != "en":
            return None
        code = DEFAULT_CURRENCY
    return await session.get(CurrencyRate, code)


def approx(price: int, rate: CurrencyRate | None) -> Approx | None:
    if rate is None or rate.rupiah <= 0:
        return None
    return Approx(rate.code, price / rate.rupiah, rate.as_of)


async def choose_currency(session: AsyncSession, user: User, code: str) -> User:
    """The buyer picks the currency of approximate prices ("IDR": none)."""
    if code.upper() == "IDR":
        user.currency = None
    else:
        user.currency = parse_code(code)
        if await session.get(CurrencyRate, user.currency) is None:
            raise ServiceError(Refusal.CURRENCY_UNKNOWN, currency=code)
    async with write_transaction(session):
        session.add(user)
    return user


async def default_rate(session: AsyncSession) -> CurrencyRate | None:
    """The rate shown beside English texts for everyone (the showcase channel)."""
    return await session.get(CurrencyRate, DEFAULT_CURRENCY)
