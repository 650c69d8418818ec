"""The sandbox's people and history: personas with their accounts in place, every demo shop
with an owner, and a few months of paid orders so that quotas and reports have content.

Everything goes through the services (registration, shop linking, cart, checkout, order steps)
with past timestamps, as if the bot had been in use for a while. It runs once per demo
database; a marker in ``app_settings`` remembers that it did.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppSetting, Merchant, MerchantMember, PaymentMethod, Product, RosterEntry, User
from models.db import Database
from models.tables import stored_id
from sandbox.console import (
    ADMIN_ID,
    ASN_ID,
    GUEST_ID,
    MERCHANT_ID,
    csv_rows,
    demo_personas,
    split_name,
)
from sandbox.console import Persona as ConsolePersona
from services.cart import add_to_cart, clear_cart, get_cart
from services.demo import MERCHANTS_CSV, ROSTER_CSV
from services.errors import ServiceError
from services.merchants import link_owner_by_contact
from services.orders import checkout, checkout_key, transition
from services.phones import PhoneError, normalize_phone
from services.quota import QuotaPolicy, minimum_for, month_bounds, month_start, next_month
from services.registration import register_asn
from services.users import get_or_create_user

log = logging.getLogger(__name__)

MARKER = "sandbox.demo"
ASN_MET_ID = 710_002
# A second ASN, who has already met this month's minimum (the first usable row otherwise).
PREFERRED_MET_NIP = "198212252009011011"
# Accounts of the other roster ASN and shop owners: nobody looks at their chats, but they make
# the reports real and let every shop answer its orders.
BACKGROUND_ASN_BASE = 880_000
BACKGROUND_OWNER_BASE = 890_000
HISTORY_MONTHS = 3
MAX_HISTORY_PRICE = 150_000  # past orders buy everyday goods, not the Rp2.5 juta show


@dataclass
class Persona:
    """An account the page can act as."""

    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    phone: str | None
    role: str  # short label under the name
    about: str  # who this is
    hint: str  # what to try with it
    nip: str | None = None
    shop_code: str | None = None
    registered: bool = True  # has an account in the demo database already
    seen_seq: int = 0  # newest chat event the page has shown
    user: Any = field(default=None, repr=False)  # FakeUser

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass
class DemoWorld:
    personas: list[Persona]
    background: list[tuple[int, str, str | None]]  # (telegram id, first name, phone)


def _phone(text: str | None) -> str | None:
    try:
        return normalize_phone(text) if text else None
    except PhoneError:
        return None


def _asn_persona(asn: ConsolePersona, roster: list[dict[str, str]]) -> Persona:
    """The console's ASN, below this month's minimum."""
    nip = next((r["nip"] for r in roster if _phone(r["telepon"]) == asn.phone), None)
    row = next(r for r in roster if r["nip"] == nip) if nip else None
    persona = Persona(
        "asn",
        ASN_ID,
        asn.first_name,
        asn.last_name,
        asn.phone,
        "ASN · below this month's minimum",
        asn.about,
        "Search for “kopi”, add it to the cart and check out; /kuota shows the "
        "minimum and what is left.",
        nip=nip,
    )
    if row is not None:
        persona.about = f"{row['nama']}, {row['opd']} (golongan {row['golongan']})"
    return persona


def _met_persona(roster: list[dict[str, str]], used: set[str | None]) -> Persona | None:
    """An ASN of the roster (not one of `used`) who has met this month's minimum."""
    met = next((r for r in roster if r["nip"] == PREFERRED_MET_NIP and r["nip"] not in used), None)
    met = met or next((r for r in roster if r["nip"] not in used), None)
    if met is None:
        return None
    first, last = split_name(met["nama"])
    return Persona(
        "asn-met",
        ASN_MET_ID,
        first,
        last,
        _phone(met["telepon"]),
        "ASN · minimum met",
        f"{met['nama']}, {met['opd']} (golongan {met['golongan']})",
        "/kuota: this month's minimum is already reached; /pesanan lists past orders.",
        nip=met["nip"],
    )


def _merchant_persona(merchant: ConsolePersona) -> Persona:

    shops = [m for m in csv_rows(MERCHANTS_CSV) if _phone(m.get("telepon")) == merchant.phone]
    shop = shops[0]["nama"] if shops else (merchant.last_name or "")
    code = shops[0]["kode"] if shops else None
    return Persona(
        "merchant",
        MERCHANT_ID,
        "Pemilik",
        shop,
        merchant.phone,
        "Shop owner",
        f"Owner of {shop}",
        "Orders placed at this shop arrive here: accept, confirm the payment, hand over.",
        shop_code=code,
    )


def _admin_persona(admin: ConsolePersona) -> Persona:
    return Persona(
        "admin",
        ADMIN_ID,
        admin.first_name,
        admin.last_name,
        admin.phone,
        "City administrator",
        "An administrator of the city (in ADMIN_IDS)",
        "Registration checks and alerts arrive here; /start shows what an administrator can do.",
    )


def _guest_persona(guest: ConsolePersona) -> Persona:
    return Persona(
        "guest",
        GUEST_ID,
        guest.first_name,
        guest.last_name,
        guest.phone,
        "New user",
        f"Someone opening the bot for the first time (phone {guest.phone})",
        "Tap START, browse the catalog, or register as a general buyer.",
        registered=False,
    )


def sandbox_personas() -> list[Persona]:
    """The console's accounts (bot/console.py), plus an ASN who met this month's minimum."""

    base = {p.key: p for p in demo_personas()}
    roster = [r for r in csv_rows(ROSTER_CSV) if _phone(r.get("telepon"))]
    personas: list[Persona] = []
    asn = base.get("asn")
    if asn is not None:
        personas.append(_asn_persona(asn, roster))
    met = _met_persona(roster, used={p.nip for p in personas})
    if met is not None:
        personas.append(met)
    others: tuple[tuple[str, Callable[[ConsolePersona], Persona]], ...] = (
        ("merchant", _merchant_persona),
        ("admin", _admin_persona),
        ("guest", _guest_persona),
    )
    for key, make in others:
        console = base.get(key)
        if console is not None:
            personas.append(make(console))
    return personas


# ---------------------------------------------------------------------- preparing the database


async def prepare_world(
    db: Database, personas: list[Persona], *, policy: QuotaPolicy, now: datetime
) -> DemoWorld:
    """Accounts and history, once per database; later runs read what was made."""
    async with db.session() as session:
        marker = await session.get(AppSetting, MARKER)
        if marker is not None:
            saved = json.loads(marker.value)
            return DemoWorld(personas, [tuple(b) for b in saved.get("background", [])])
        background = await _accounts(session, personas, now=now)
        await _history(session, personas, background, policy=policy, now=now)
        session.add(
            AppSetting(
                key=MARKER,
                value=json.dumps({"background": background, "prepared_at": now.isoformat()}),
            )
        )
        await session.commit()
    return DemoWorld(personas, [tuple(b) for b in background])


async def _accounts(
    session: AsyncSession, personas: list[Persona], *, now: datetime
) -> list[list[Any]]:

    today = now.date()
    for persona in personas:
        if not persona.registered:
            continue
        user = await get_or_create_user(
            session, persona.telegram_id, first_name=persona.first_name, language_code="id"
        )
        if persona.nip and persona.phone:
            await register_asn(
                session,
                user,
                persona.nip,
                phone=persona.phone,
                contact_user_id=persona.telegram_id,
                today=today,
            )
        elif persona.shop_code and persona.phone:
            await link_owner_by_contact(
                session, user, phone=persona.phone, contact_user_id=persona.telegram_id
            )
    background: list[list[Any]] = []
    taken_nips = {p.nip for p in personas}
    taken_phones = {p.phone for p in personas}
    for n, row in enumerate(csv_rows(ROSTER_CSV), 1):
        phone = _phone(row.get("telepon"))
        if not phone or row["nip"] in taken_nips or phone in taken_phones:
            continue
        telegram_id = BACKGROUND_ASN_BASE + n
        first, _last = split_name(row["nama"])
        user = await get_or_create_user(session, telegram_id, first_name=first)
        try:
            await register_asn(
                session, user, row["nip"], phone=phone, contact_user_id=telegram_id, today=today
            )
        except ServiceError as exc:  # a roster row the rules refuse: leave it unregistered
            log.info("sandbox: %s not registered: %s", row["nip"], exc.code)
            continue
        background.append([telegram_id, first, phone])
    for n, row in enumerate(csv_rows(MERCHANTS_CSV), 1):
        phone = _phone(row.get("telepon"))
        if not phone or phone in taken_phones:
            continue
        telegram_id = BACKGROUND_OWNER_BASE + n
        user = await get_or_create_user(session, telegram_id, first_name="Pemilik")
        try:
            await link_owner_by_contact(session, user, phone=phone, contact_user_id=telegram_id)
        except ServiceError as exc:
            log.info("sandbox: owner of %s not linked: %s", row["kode"], exc.code)
            continue
        background.append([telegram_id, "Pemilik", phone])
    return background


@dataclass
class _Shop:
    merchant: Merchant
    owner: User
    products: list[Product]


async def _shops(session: AsyncSession) -> list[_Shop]:
    rows = (
        await session.exec(
            select(Merchant, User)
            .join(MerchantMember, col(MerchantMember.merchant_id) == col(Merchant.id))
            .join(User, col(User.id) == col(MerchantMember.user_id))
            .order_by(col(Merchant.id))
        )
    ).all()
    shops: dict[int, _Shop] = {}
    for merchant, owner in rows:
        shops.setdefault(stored_id(merchant.id), _Shop(merchant, owner, []))
    products = (
        await session.exec(
            select(Product)
            .where(col(Product.merchant_id).in_(list(shops)), col(Product.is_active).is_(True))
            .order_by(col(Product.id))
        )
    ).all()
    for product in products:
        shops[product.merchant_id].products.append(product)
    return [shop for shop in shops.values() if shop.products]


def _moment(day: date, minutes: int, tz: Any) -> datetime:
    return datetime.combine(day, time(9), tzinfo=tz).astimezone(UTC) + timedelta(minutes=minutes)


async def _history(
    session: AsyncSession,
    personas: list[Persona],
    background: list[list[Any]],
    *,
    policy: QuotaPolicy,
    now: datetime,
) -> None:
    """Paid and completed orders over the last months, and some in this one."""
    rng = random.Random(20260729)  # the same history on every machine
    shops = await _shops(session)
    if not shops:
        return
    # The shops restock after these orders: keep the catalog as the demo files have it.
    stock = {p.id: p.stock for shop in shops for p in shop.products}
    for shop in shops:  # through the objects: the services read them from the session
        for product in shop.products:
            product.stock += 10_000
            session.add(product)
    await session.commit()

    local_today = now.astimezone(policy.tz).date()
    this_month = month_start(local_today)
    first_month = next_month(this_month, -HISTORY_MONTHS)
    buyers: list[tuple[User, list[float], float, int]] = []  # plan, orders at most a month
    plans = {
        # (share of the minimum reached in each past month, oldest first; this month)
        "asn": ([1.15, 0.55, 1.05], 0.3),
        "asn-met": ([1.2, 1.4, 1.1], 1.15),
    }
    for persona in personas:
        if persona.key in plans and persona.nip:
            user = (
                await session.exec(select(User).where(User.telegram_id == persona.telegram_id))
            ).one()
            past, current = plans[persona.key]
            buyers.append((user, past, current, 10))
    asn_ids = {b[0] for b in background if b[0] < BACKGROUND_OWNER_BASE}
    for telegram_id in sorted(asn_ids):
        user = (await session.exec(select(User).where(User.telegram_id == telegram_id))).one()
        past = [rng.choice((0.0, 0.4, 0.8, 1.05, 1.2, 1.5)) for _ in range(HISTORY_MONTHS)]
        buyers.append((user, past, rng.choice((0.0, 0.2, 0.5, 1.1)), 3))

    for user, past, current, most in buyers:
        user.registered_at = _moment(first_month, -24 * 60, policy.tz)
        session.add(user)
        await session.commit()
        used_keys: set[str] = set()
        for index, share in enumerate([*past, current]):
            month = next_month(first_month, index)
            start, end = month_bounds(month, policy.tz)
            latest = min(end, now - timedelta(minutes=30))
            if share <= 0 or latest <= start + timedelta(hours=1):
                continue
            roster_class = await _quota_class(session, user)
            minimum = await minimum_for(
                session, roster_class, month, default=policy.default_minimum
            )
            target = int(minimum * share)
            spent = 0
            attempts = 0
            first, last = start + timedelta(hours=1), latest - timedelta(hours=2)
            while spent < target and attempts < most and last > first:
                attempts += 1
                at = first + (last - first) * rng.random()
                spent += await _past_order(
                    session, user, rng, shops, at, used_keys, budget=target - spent, now=now
                )
    # Whatever the history sold, the shelves look as the demo files have them.
    for product_id, amount in stock.items():
        await session.exec(
            update(Product)
            .where(col(Product.id) == product_id)
            .values(stock=amount)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


async def _quota_class(session: AsyncSession, user: User) -> str:
    roster = await session.get(RosterEntry, user.nip)
    return roster.quota_class if roster else "III"


async def _past_order(
    session: AsyncSession,
    user: User,
    rng: random.Random,
    shops: list[_Shop],
    at: datetime,
    used_keys: set[str],
    *,
    budget: int,
    now: datetime,
) -> int:
    """One order at one shop, placed at ``at``, then accepted, paid, handed over and completed
    (as far as those steps are before ``now``)."""
    # Everyday shopping: the catalog's cheaper goods, about what is left to spend this month.
    affordable = [s for s in shops if any(p.price <= MAX_HISTORY_PRICE for p in s.products)]
    shop = rng.choice(affordable or shops)
    goods = [p for p in shop.products if p.price <= MAX_HISTORY_PRICE] or shop.products[:1]
    await clear_cart(session, user)
    left = max(budget, min(p.price for p in goods))
    for product in rng.sample(goods, k=min(len(goods), rng.choice((1, 2, 3)))):
        if product.price > left:
            continue
        quantity = rng.randint(1, max(1, min(4, left // product.price)))
        await add_to_cart(session, user, stored_id(product.id), quantity)
        left -= product.price * quantity
    cart = await get_cart(session, user)
    if cart.is_empty:
        cheapest = min(goods, key=lambda p: p.price)
        await add_to_cart(session, user, stored_id(cheapest.id), 1)
        cart = await get_cart(session, user)
    key = checkout_key(cart)
    if key in used_keys:  # the same cart twice would be one order (checkout is idempotent)
        return 0
    used_keys.add(key)
    method = (
        PaymentMethod.QRIS if shop.merchant.qris and rng.random() < 0.6 else PaymentMethod.CASH
    )
    result = await checkout(session, user, key, payment_method=method, now=at)
    total = 0
    for order in result.orders:
        steps = (("accept", 25), ("pay", 90), ("ready", 60 * 20), ("complete", 60 * 26))
        for action, minutes in steps:
            if at + timedelta(minutes=minutes) > now - timedelta(minutes=5):
                break
            await transition(
                session,
                stored_id(order.id),
                action,
                actor=shop.owner,
                now=at + timedelta(minutes=minutes),
            )
        total += order.total
    return total
