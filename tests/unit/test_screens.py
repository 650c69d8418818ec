"""The catalog's versions (migration 0014's triggers, both backends) and the screen cache
(services.screens): every change a catalog screen shows moves a version, in the transaction
of the change; the versions come with the acting account; the cache is bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from models import Certification, Merchant, Product
from models.db import Database
from services import screens
from services.roles import acting_account
from services.screens import ScreenCache, Versions
from tests import factories as f


async def _now(db: Database) -> Versions:
    async with db.session() as session:
        return await screens.versions(session)


async def test_every_catalog_change_moves_the_catalog_version(db: Database) -> None:
    seen = [await _now(db)]

    async def moved() -> bool:
        seen.append(await _now(db))
        return seen[-1].catalog > seen[-2].catalog and seen[-1].sales == seen[-2].sales

    async with db.session() as session:
        shop = await f.merchant(session)
        assert await moved()
        item = await f.product(session, shop, price=25_000, stock=3)
        assert await moved()
        for change in ({"price": 30_000}, {"stock": 0}, {"is_active": False}):
            product = await session.get(Product, item.id)
            assert product is not None
            for name, value in change.items():
                setattr(product, name, value)
            session.add(product)
            await session.commit()
            assert await moved(), change
        merchant = await session.get(Merchant, shop.id)
        assert merchant is not None
        merchant.status = "suspended"
        session.add(merchant)
        await session.commit()
        assert await moved()
        session.add(Certification(merchant_id=shop.id, kind="nib", number="1234567890123"))
        await session.commit()
        assert await moved()
        await session.exec(text("UPDATE categories SET name_en = 'Snacks' WHERE slug = 'kuliner'"))
        await session.commit()
        assert await moved()
        await session.exec(text("DELETE FROM products"))  # SQL too, not only the ORM
        await session.commit()
        assert await moved()


async def test_a_paid_order_moves_the_sales_version(db: Database) -> None:
    async with db.session() as session:
        shop = await f.merchant(session)
        item = await f.product(session, shop)
        buyer = await f.asn_user(session, 1001)
        before = await _now(db)
        await f.order(session, buyer, item, status="pending")
        assert (await _now(db)).sales == before.sales  # not paid: no sale yet
        await session.exec(
            text("UPDATE orders SET status = 'paid', paid_at = :at"),
            params={"at": datetime(2026, 11, 27, 3, tzinfo=UTC)},
        )
        await session.commit()
        assert (await _now(db)).sales > before.sales


async def test_a_change_not_yet_committed_moves_nothing_others_see(db: Database) -> None:
    async with db.session() as session:
        item = await f.product(session, await f.merchant(session), price=25_000)
        item_id, before = item.id, await _now(db)
        await session.exec(text("UPDATE products SET price = 1"))
        # Another session sees neither the change nor a new version before the commit.
        assert await _now(db) == before
        await session.rollback()
        assert await _now(db) == before
        product = await session.get(Product, item_id)
        assert product is not None and product.price == 25_000


async def test_the_versions_come_with_the_account_statement(db: Database) -> None:
    async with db.session() as session:
        await f.asn_user(session, 1001)
        await f.product(session, await f.merchant(session))
    expected = await _now(db)
    async with db.session() as session:
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        engine = db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            await acting_account(session, 1001, admin_ids=frozenset())
            count = len(statements)
            assert await screens.versions(session) == expected
            assert len(statements) == count  # no statement of their own
            item = await f.product(session, await f.merchant(session, code="M2"), name="Baru")
            assert item.id is not None
            # After a commit of the update's own, they are read again, and have moved.
            assert (await screens.versions(session)).catalog > expected.catalog
        finally:
            event.remove(engine, "before_cursor_execute", seen)


@pytest.mark.parametrize("size", [1, 3])
def test_the_cache_is_bounded_and_keeps_the_most_recently_used(size: int) -> None:
    cache = ScreenCache(size)
    for key in range(10):
        cache.put(key, f"screen {key}")
        assert len(cache) <= size
    assert cache.get(9) == "screen 9" and cache.get(0) is None
    if size == 3:
        cache.get(7)  # used: kept over 8
        cache.put(10, "screen 10")
        assert cache.get(7) == "screen 7" and cache.get(8) is None


def test_an_entry_is_stale_from_its_instant() -> None:
    cache = ScreenCache()
    now = datetime(2026, 11, 27, 3, tzinfo=UTC)
    cache.put("page", "screen", valid_until=now + timedelta(hours=1))
    assert cache.get("page", now) == "screen"
    assert cache.get("page", now + timedelta(minutes=59)) == "screen"
    assert cache.get("page", now + timedelta(hours=1)) is None


async def test_updates_asking_at_once_make_a_screen_once() -> None:
    cache = ScreenCache()
    now = datetime(2026, 11, 27, 3, tzinfo=UTC)
    made: list[str] = []
    gate = asyncio.Event()

    async def make() -> tuple[str, datetime | None]:
        made.append("page")
        await gate.wait()  # still being read when the others ask
        return "screen", None

    waiting = [asyncio.create_task(cache.get_or_make("page", make, now)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == ["screen"] * 5
    assert made == ["page"]
    assert await cache.get_or_make("page", make, now) == "screen" and made == ["page"]


async def test_a_screen_that_fails_is_not_kept() -> None:
    cache = ScreenCache()
    now = datetime(2026, 11, 27, 3, tzinfo=UTC)

    async def refuse() -> tuple[str, datetime | None]:
        raise LookupError("no such category")

    async def make() -> tuple[str, datetime | None]:
        return "screen", None

    with pytest.raises(LookupError):
        await cache.get_or_make("page", refuse, now)
    assert len(cache) == 0
    assert await cache.get_or_make("page", make, now) == "screen"
