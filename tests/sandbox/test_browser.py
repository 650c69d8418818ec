"""The chat page in a real browser (Playwright driving Debian's Chromium, headless).

A person's walk through the sandbox: the ASN searches, fills the cart and checks out; the shop
owner accepts; the ASN gets the QRIS and sends a photo of the payment; the shop confirms it; the
ASN's quota moves. Screenshots of every step go to test-artifacts/sandbox/ (kept after the run).
Also: a phone-sized screen, the clock control, and no request leaving 127.0.0.1.

Chromium comes from Debian (`scripts/setup` installs it where it can); without it the test is
skipped with the reason, except under CI or with TUKULOKAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = os.environ.get("TUKULOKAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = (
    os.environ.get("CI", "").lower() == "true"
    or os.environ.get("TUKULOKAL_REQUIRE_BROWSER") == "1"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sandbox"
WAIT = 20_000  # ms


def _browser_or_skip() -> None:
    problem = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem is None and not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problem = f"no Chromium at {CHROMIUM} (scripts/setup installs Debian's chromium)"
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(f"browser test required but {problem}")
        pytest.skip(problem)


def _receipt() -> bytes:
    image = Image.new("RGB", (360, 640), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _rupiah(text: str, label: str) -> int:
    match = re.search(rf"{label}:?\s*Rp\s?([\d.,]+)", text)
    assert match, text
    return int(re.sub(r"[.,]", "", match.group(1)))


async def test_a_person_orders_as_asn_the_shop_confirms_and_the_quota_moves(sandbox, tmp_path):
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    outside: list[str] = []
    requested: list[str] = []

    async def only_local(route) -> None:
        url = route.request.url
        if url.startswith(sandbox.url + "/") or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        await context.route("**/*", only_local)
        context.on("request", lambda request: requested.append(request.url))
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        shot = 0

        async def screenshot(name: str, target=None) -> None:
            nonlocal shot
            shot += 1
            await (target or page).screenshot(path=str(ARTIFACTS / f"{shot:02d}-{name}.png"))

        def bubble(text: str):
            return page.locator(".msg", has_text=text).last

        async def tap(message_text: str, button: str) -> None:
            await bubble(message_text).locator(".ikb", has_text=button).first.click()

        await page.goto(sandbox.url)
        await page.get_by_role("button", name="English").click()
        await expect(page.locator('[data-lang="en"]')).to_have_class(re.compile("on"))

        # 1. Choose the ASN persona. A new chat shows START; near the deadline the bot may
        # have written first (a reminder), and then there is the message field instead.
        await page.locator('[data-persona="asn"]').click()
        await expect(page.locator("#whoami")).to_contain_text("Agus Prasetyo")
        opened = page.locator("#start-btn:visible, #text:visible").first
        await expect(opened).to_be_visible()
        await screenshot("asn-chat")
        if await page.locator("#start-btn").is_visible():
            await page.locator("#start-btn").click()
        else:
            await page.locator("#text").fill("/start")
            await page.locator("#send").click()
        await expect(bubble("Welcome")).to_be_visible(timeout=WAIT)
        # The quota before ordering, from the reply keyboard.
        await page.locator(".rkb", has_text="My quota").click()
        quota = bubble("Minimum spend")
        await expect(quota).to_contain_text("Counted so far", timeout=WAIT)
        spent_before = _rupiah(await quota.inner_text(), "Counted so far")

        # 2. Search by typing, as in Telegram.
        await page.locator("#text").fill("kopi robusta")
        await page.locator("#text").press("Enter")
        await expect(page.locator(".ikb", has_text="Robusta").first).to_be_visible(timeout=WAIT)
        await screenshot("asn-search")

        # 3. The product card (a photo with a caption) and "Add to cart"; the card is edited.
        await page.locator(".ikb", has_text="Robusta").first.click()
        card = page.locator(".msg", has=page.locator("img.photo")).last
        await expect(card.locator(".ikb", has_text="Add to cart")).to_be_visible(timeout=WAIT)
        await expect(card.locator("img.photo")).to_have_js_property("complete", True)
        await card.locator(".ikb", has_text="Add to cart").click()
        await expect(card.locator(".ikb", has_text="in cart")).to_be_visible(timeout=WAIT)
        await expect(card.locator(".meta")).to_contain_text("edited")
        await screenshot("asn-product-card")

        # 4. The cart (from the command menu), checkout, pay by QRIS.
        await page.locator("#menu-btn").click()
        await page.locator(".cmd-item", has_text="/keranjang").click()
        await tap("Your cart", "Checkout")
        await expect(bubble("Order summary")).to_be_visible(timeout=WAIT)
        total = _rupiah(await bubble("Order summary").inner_text(), "Total")
        await tap("Order summary", "QRIS")
        await expect(bubble("Order placed")).to_be_visible(timeout=WAIT)
        await screenshot("asn-order-placed")

        # 5. The shop owner has a new message waiting: switch and accept.
        merchant = page.locator('[data-persona="merchant"]')
        await expect(merchant.locator(".badge")).to_have_text("1", timeout=WAIT)
        await merchant.click()
        await expect(bubble("New order")).to_be_visible(timeout=WAIT)
        await screenshot("merchant-new-order")
        order_id = await bubble("New order").get_attribute("data-id")
        await tap("New order", "Accept")
        # The order's message is edited in place: its status and buttons change.
        shown = page.locator(f'.msg[data-id="{order_id}"]')
        await expect(shown.locator(".ikb", has_text="Payment received")).to_be_visible(
            timeout=WAIT
        )
        await expect(shown).to_contain_text("Accepted")
        await screenshot("merchant-accepted")

        # 6. Back to the ASN: the QRIS for the exact amount; send a photo of the payment.
        await page.locator('[data-persona="asn"]').click()
        qris = page.locator(".msg", has_text="Pay order").last
        await expect(qris.locator("img.photo")).to_be_visible(timeout=WAIT)
        await expect(qris.locator("img.photo")).to_have_js_property("complete", True)
        await screenshot("asn-qris")
        await qris.locator(".ikb", has_text="payment proof").click()
        receipt = tmp_path / "bukti-bayar.png"
        receipt.write_bytes(_receipt())
        await page.locator("#attach-btn").click()
        async with page.expect_file_chooser() as chooser:
            await page.locator('[data-attach="photo"]').click()
        await (await chooser.value).set_files(str(receipt))
        await expect(bubble("proof for order")).to_be_visible(timeout=WAIT)
        await screenshot("asn-proof-sent")

        # 7. The shop sees the proof and confirms the payment.
        await merchant.click()
        proof = page.locator(".msg", has_text="Payment proof for order").last
        await expect(proof.locator("img.photo")).to_be_visible(timeout=WAIT)
        await proof.locator(".ikb", has_text="Payment received").click()
        await expect(page.locator(".ikb", has_text="Ready for pickup").first).to_be_visible(
            timeout=WAIT
        )
        await screenshot("merchant-paid")

        # 8. The ASN is told, and the quota moved by the order's total.
        await page.locator('[data-persona="asn"]').click()
        await expect(bubble("confirmed your payment")).to_be_visible(timeout=WAIT)
        shown = await page.locator(".msg", has_text="Minimum spend").count()
        await page.locator("#text").fill("/kuota")
        await page.locator("#send").click()
        await expect(page.locator(".msg", has_text="Minimum spend")).to_have_count(
            shown + 1, timeout=WAIT
        )
        after = await bubble("Minimum spend").inner_text()
        spent_after = _rupiah(after, "Counted so far")
        assert spent_after - spent_before == total, (spent_before, total, after)
        await screenshot("asn-quota-moved")

        # 9. Time: a week later the scheduled jobs have run (the toast says so).
        label = await page.locator("#clock-label").inner_text()
        await page.locator('[data-time="+1w"]').click()
        await expect(page.locator("#toast")).to_contain_text("scheduled job", timeout=WAIT)
        await expect(page.locator("#clock-label")).not_to_have_text(label)
        await screenshot("time-moved")
        assert not errors, errors

        # 10. A phone: the account list first, then the chat with its keyboard, no sideways scroll.
        phone = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        await phone.route("**/*", only_local)
        mobile = await phone.new_page()
        await mobile.goto(sandbox.url)
        await expect(mobile.locator('[data-persona="merchant"]')).to_be_visible()
        await screenshot("phone-accounts", mobile)
        await mobile.locator('[data-persona="asn"]').click()
        await expect(mobile.locator(".msg", has_text="Minimum spend").last).to_be_visible(
            timeout=WAIT
        )
        await expect(mobile.locator(".rkb", has_text="Catalog")).to_be_visible()
        await expect(mobile.locator("#text")).to_be_visible()
        assert await mobile.evaluate("document.documentElement.scrollWidth") <= 390
        await screenshot("phone-chat", mobile)
        await mobile.locator("#back").click()
        await expect(mobile.locator('[data-persona="asn"]')).to_be_visible()
        await phone.close()
        await browser.close()

    assert not outside, f"the page fetched from outside 127.0.0.1: {outside}"
    assert requested and all(u.startswith(sandbox.url) for u in requested), requested
    assert len(list(ARTIFACTS.glob("*.png"))) == shot
