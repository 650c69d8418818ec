"""Search as users type it; shop owners linking their account; FSM state in Redis."""

import uuid

import pytest
import redis.asyncio as aioredis

from models import MerchantMember
from tests import factories as f
from tests.e2e.conftest import BotApp, open_bot
from tests.e2e.helpers import register_across_a_restart


async def _catalog(session):
    sanan = await f.merchant(session, name="Keripik Sanan Bu Tin", phone="+6281311112222")
    batik = await f.merchant(
        session,
        name="Batik Celaket",
        phone="+6281322223333",
        kecamatan="Klojen",
        kelurahan="Rampalcelaket",
    )
    await f.product(session, sanan, name="Keripik Tempe Sanan", price=18_000)
    await f.product(session, sanan, name="Keripik Apel Batu", price=25_000)
    await f.product(
        session, sanan, name="Tempe Mentah", price=6_000, category_slug="kebutuhan-pokok"
    )
    await f.product(
        session,
        batik,
        name="Batik Tulis Malangan",
        price=350_000,
        category_slug="fesyen",
        name_en="Malang Hand-drawn Batik",
    )
    await f.product(session, batik, name="Kain Jumputan", price=120_000, category_slug="fesyen")


async def test_search_tolerates_typos_and_variants_and_suggests_categories(app, tg, session):
    await _catalog(session)
    user = tg.user(1001, first_name="Ani", language_code="en")
    await open_bot(user)
    await user.send("/cari kripik")
    result = await user.wait_reply()
    assert "Keripik Tempe Sanan" in str(result.buttons) and "Keripik Apel Batu" in str(
        result.buttons
    )
    await user.send("batik malang")  # plain text in the main menu searches too
    result = await user.wait_reply()
    # English users see the English name the shop gave.
    assert result.buttons[0] == "1. Malang Hand-drawn Batik"
    assert "1. Malang Hand-drawn Batik — Rp350,000" in result.text
    await user.send("keripik tempe")
    result = await user.wait_reply()
    assert result.buttons[0] == "1. Keripik Tempe Sanan"  # both words first
    await user.click("Keripik Tempe Sanan", result)
    card = await user.wait_reply()
    assert "Rp18,000" in card.text
    await user.send("/cari sepeda listrik")
    nothing = await user.wait_reply()
    assert "Nothing found" in nothing.text
    assert any("Food & Drinks" in b for b in nothing.buttons)  # categories suggested


async def test_search_results_paginate(app, tg, session):
    shop = await f.merchant(session, name="Toko Kue")
    for i in range(20):
        await f.product(session, shop, name=f"Kue Lapis Legit {i:02d}", price=10_000 + i)
    user = tg.user(1002, first_name="Ani", language_code="en")
    await open_bot(user)
    await user.send("/cari kue lapis")
    first = await user.wait_reply()
    assert "20" in first.text and "1/3" in first.buttons
    await user.click("▶️", first)
    second = await user.wait_reply()
    assert second.message_id == first.message_id and "2/3" in second.buttons
    names_1 = {b for b in first.buttons if "Kue Lapis Legit" in b}
    names_2 = {b for b in second.buttons if "Kue Lapis Legit" in b}
    assert len(names_1) == len(names_2) == 8 and names_1.isdisjoint(names_2)
    # Numbering goes on across pages, in the text and on the buttons alike.
    assert "9. Kue Lapis Legit" in second.text and any(b.startswith("9. ") for b in names_2)


async def test_shop_owner_links_by_sharing_the_catalog_phone(app, tg, session):
    shop = await f.merchant(session, name="Keripik Sanan Bu Tin", phone="+6281311112222")
    stranger = tg.user(2002, first_name="Bukan", language_code="en", phone="+6281399990000")
    await open_bot(stranger)
    await stranger.click("I run a UMKM shop")
    await stranger.wait_reply()
    await stranger.press("Share my phone number")
    refused = await stranger.wait_reply()
    assert "No UMKM in the catalog has this phone number" in refused.text
    owner = tg.user(2001, first_name="Tin", language_code="en", phone="0813-1111-2222")
    await open_bot(owner)
    await owner.click("I run a UMKM shop")
    await owner.wait_reply()
    await owner.press("Share my phone number")
    linked = await owner.wait_reply()
    assert "Keripik Sanan Bu Tin" in linked.text
    async with app.db.session() as s:
        members = (await s.exec(MerchantMember.__table__.select())).all()
    assert [(m.merchant_id, m.role) for m in members] == [(shop.id, "owner")]


@pytest.fixture
async def redis_settings():
    """Redis with a key prefix of this test's own (other tests may use the server meanwhile)."""
    url = "redis://127.0.0.1:6379/0"
    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable: {exc!r}")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield {"redis_url": url, "redis_prefix": prefix}
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_conversation_state_in_redis_survives_a_restart(
    tg, settings, clock, session, redis_settings
):
    app = BotApp(settings.model_copy(update=redis_settings), clock, tg)
    await app.start()
    try:
        await register_across_a_restart(app, tg, session)
    finally:
        await app.stop()
