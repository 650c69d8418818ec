"""The chat page in a real browser (Playwright driving Debian's Chromium, headless).

A person's walk through the sandbox: the ASN searches, fills the cart and checks out; the shop
owner accepts; the ASN gets the QRIS and sends a photo of the payment; the shop confirms it; the
ASN's quota moves. Also: a phone-sized screen, the clock control, and no request leaving
127.0.0.1. The page's own words in Indonesian (its default) and in English, on a phone and on
a desktop; the persona banner whole on a phone; messages of a time jump stamped with the
sandbox's clock; an administrator's broadcast composed with bold and a link in the page,
arriving formatted in a recipient's chat. Screenshots of every step go to
test-artifacts/sandbox/ (kept after the run), named after their test.

Chromium comes from Debian (`scripts/setup` installs it where it can); without it the test is
skipped with the reason, except under CI or with TUKULOKAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from sandbox.server import Sandbox
from tests.sandbox.conftest import production_settings

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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


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


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """test-artifacts/sandbox/, emptied once per run: each test's screenshots are its own."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


class Shots:
    """Numbered screenshots of one test: <name>-01-<step>.png, ..."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.count = 0

    async def __call__(self, target, step: str) -> None:
        self.count += 1
        path = self.folder / f"{self.name}-{self.count:02d}-{step}.png"
        await target.screenshot(path=str(path))

    def taken(self) -> int:
        return len(list(self.folder.glob(f"{self.name}-*.png")))


@pytest.fixture
async def sandbox_id(data_dir: Path, tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The sandbox as `tukulokal sandbox` starts it: in Indonesian."""
    box = Sandbox(production_settings(tmp_path), data_dir, port=0)
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


def _only_local(sandbox: Sandbox, outside: list[str]):
    async def route(route) -> None:
        url = route.request.url
        if url.startswith(sandbox.url + "/") or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    return route


def _receipt() -> bytes:
    image = Image.new("RGB", (360, 640), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _rupiah(text: str, label: str) -> int:
    match = re.search(rf"{label}:?\s*Rp\s?([\d.,]+)", text)
    assert match, text
    return int(re.sub(r"[.,]", "", match.group(1)))


async def test_a_person_orders_as_asn_the_shop_confirms_and_the_quota_moves(
    sandbox, tmp_path, artifacts
):
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    outside: list[str] = []
    requested: list[str] = []
    only_local = _only_local(sandbox, outside)
    shots = Shots(artifacts, "order")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        await context.route("**/*", only_local)
        context.on("request", lambda request: requested.append(request.url))
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        async def screenshot(name: str, target=None) -> None:
            await shots(target or page, name)

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
    assert shots.taken() == shots.count


# ---------------------------------------------------------------------- the page's language

# What the page itself says, language by language: (selector, text) pairs read as textContent.
WORDS = {
    "id": [
        (".side-label >> nth=0", "Chat sebagai"),
        ('[data-persona="merchant"] .p-role', "Pemilik toko"),
        ('[data-persona="asn"] .p-role', "ASN · di bawah minimum bulan ini"),
        ('[data-persona="guest"] .p-role', "Pengguna baru"),
        (".timebox .side-label", "Waktu sandbox"),
        ('[data-time="+1h"]', "+1 jam"),
        ('[data-time="deadline-3"]', "3 hari sebelum tenggat"),
        ('[data-time="next-month"]', "Tanggal 1 bulan depan"),
        (".langbox .side-label", "Bahasa aplikasi Telegram"),
    ],
    "en": [
        (".side-label >> nth=0", "Chat as"),
        ('[data-persona="merchant"] .p-role', "Shop owner"),
        ('[data-persona="asn"] .p-role', "ASN · below this month's minimum"),
        ('[data-persona="guest"] .p-role', "New user"),
        (".timebox .side-label", "Sandbox time"),
        ('[data-time="+1h"]', "+1 hour"),
        ('[data-time="deadline-3"]', "3 days before the deadline"),
        ('[data-time="next-month"]', "1st of next month"),
        (".langbox .side-label", "Telegram app language"),
    ],
}
# Words of the other language that must not show (compared in lower case: labels are upper).
FOREIGN = {
    "id": ["sandbox time", "chat as", "shop owner", "scheduled jobs", "what can this bot do"],
    "en": ["waktu sandbox", "chat sebagai", "pemilik toko", "tugas terjadwal", "apa yang bisa"],
}
CLOCK = {
    "id": r"^(Sen|Sel|Rab|Kam|Jum|Sab|Min) \d{1,2} \w{3} \d{4}, \d\d:\d\d WIB$",
    "en": r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3} \d{4}, \d\d:\d\d WIB$",
}
CHAT_WORDS = {  # the empty chat of someone new: Telegram's box, the hint, START
    "id": ("Apa yang bisa dilakukan bot ini?", "Ketuk MULAI", "MULAI", "Anda adalah Dimas"),
    "en": ("What can this bot do?", "Tap START", "START", "You are Dimas"),
}
TOOLTIPS = {
    "id": {"#attach-btn": "Lampirkan", "#send": "Kirim", "#format-btn": "Format teks"},
    "en": {"#attach-btn": "Attach", "#send": "Send", "#format-btn": "Formatting"},
}


async def _speaks(page, language: str) -> None:
    """The persona panel, the time control and the language switch are in ``language``."""
    from playwright.async_api import expect

    await expect(page.locator("html")).to_have_attribute("lang", language)
    await expect(page.locator(f'[data-lang="{language}"]')).to_have_class(re.compile(r"\bon\b"))
    for selector, text in WORDS[language]:
        await expect(page.locator(selector)).to_have_text(text)
    await expect(page.locator("#clock-label")).to_have_text(re.compile(CLOCK[language]))
    title = {"id": "Sandbox TukuLokal", "en": "TukuLokal sandbox"}[language]
    await expect(page).to_have_title(title)
    shown = (await page.locator("body").inner_text()).lower()
    assert not [w for w in FOREIGN[language] if w in shown], shown


async def _chat_speaks(page, language: str, *, wide: bool) -> None:
    """A new user's empty chat: "What can this bot do?", the hint, START, the tooltips."""
    from playwright.async_api import expect

    box, hint, start, banner = CHAT_WORDS[language]
    await expect(page.locator(".empty h2")).to_have_text(box)
    await expect(page.locator(".empty-hint")).to_contain_text(hint)
    await expect(page.locator("#start-btn")).to_have_text(start)
    await expect(page.locator("#persona-info")).to_contain_text(banner)
    if wide:  # on a phone the rest folds behind "More"
        about = {"id": "pertama kali", "en": "for the first time"}[language]
        await expect(page.locator("#persona-info")).to_contain_text(about)
    for selector, text in TOOLTIPS[language].items():
        await expect(page.locator(selector)).to_have_attribute("title", re.compile(text))
    await expect(page.locator("#text")).to_have_attribute(
        "aria-label", {"id": "Pesan", "en": "Message"}[language]
    )
    shown = (await page.locator("body").inner_text()).lower()
    assert not [w for w in FOREIGN[language] if w in shown], shown


async def _banner_fits(page, width: int) -> None:
    """The persona banner is whole: inside the screen, nothing cut or scrolled away."""
    from playwright.async_api import expect

    await expect(page.locator("#persona-info .pi-who")).to_be_visible()
    fit = await page.evaluate(
        """() => {
          const info = document.querySelector("#persona-info");
          const box = info.getBoundingClientRect();
          const parts = [...info.querySelectorAll(".pi-who, .pi-toggle, .pi-more")]
            .filter((e) => e.getClientRects().length)
            .map((e) => e.getBoundingClientRect())
            .map((r) => [r.left, r.right, r.bottom]);
          return { left: box.left, right: box.right, bottom: box.bottom,
                   sh: info.scrollHeight, ch: info.clientHeight,
                   sw: info.scrollWidth, cw: info.clientWidth, parts,
                   page: document.documentElement.scrollWidth };
        }"""
    )
    assert fit["left"] >= 0 and fit["right"] <= width, fit
    assert fit["sh"] <= fit["ch"] and fit["sw"] <= fit["cw"], fit  # no overflow: no clipping
    for left, right, bottom in fit["parts"]:
        assert left >= 0 and right <= width + 0.5 and bottom <= fit["bottom"] + 0.5, fit
    assert fit["page"] <= width, fit


async def test_the_page_speaks_indonesian_first_then_english(sandbox_id, artifacts):
    """On a desktop and on a phone: every text of the page in Indonesian by default, in English
    after the switch; the banner whole on a phone; a time jump's messages stamped as the
    sandbox's clock says."""
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    sandbox = sandbox_id
    outside: list[str] = []
    shots = Shots(artifacts, "language")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []

        async def open_page(viewport, phone: bool):
            context = await browser.new_context(
                viewport=viewport, is_mobile=phone, has_touch=phone
            )
            await context.route("**/*", _only_local(sandbox, outside))
            page = await context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(sandbox.url)
            return context, page

        # A desktop: Indonesian first, English after the switch, then back.
        context, page = await open_page(DESKTOP, phone=False)
        await _speaks(page, "id")
        await page.locator('[data-persona="guest"]').click()
        await _chat_speaks(page, "id", wide=True)
        await _banner_fits(page, DESKTOP["width"])
        await shots(page, "desktop-id")
        await page.get_by_role("button", name="English").click()
        await _speaks(page, "en")
        await _chat_speaks(page, "en", wide=True)
        await shots(page, "desktop-en")
        await page.get_by_role("button", name="Bahasa Indonesia").click()
        await _speaks(page, "id")
        await context.close()

        # A phone: the accounts first (Indonesian), a chat, the banner, English.
        context, page = await open_page(PHONE, phone=True)
        await _speaks(page, "id")
        await shots(page, "phone-accounts-id")
        await page.locator('[data-persona="guest"]').click()
        await _chat_speaks(page, "id", wide=False)
        await shots(page, "phone-guest-id")
        await page.locator("#back").click()
        await page.locator('[data-persona="asn"]').click()
        await expect(page.locator("#persona-info")).to_contain_text("Agus Prasetyo")
        await expect(page.locator("#persona-info .pi-more")).to_be_hidden()
        await _banner_fits(page, PHONE["width"])
        await shots(page, "phone-banner")
        await page.locator("#persona-info .pi-toggle").click()
        await expect(page.locator("#persona-info .pi-more")).to_contain_text("Diskominfo")
        await expect(page.locator("#persona-info .pi-more")).to_contain_text("/kuota")
        await _banner_fits(page, PHONE["width"])
        await shots(page, "phone-banner-open")

        # A time jump from the phone: the reminder it brings is stamped with the clock's time.
        before = set(await page.locator(".msg").evaluate_all("ms => ms.map(m => m.dataset.id)"))
        await page.locator("#clock-chip").click()
        await page.locator('[data-time="deadline-3"]').click()
        await expect(page.locator("#toast")).to_contain_text("tugas terjadwal", timeout=WAIT)
        await expect(page.locator("#clock-label")).to_contain_text("09:00")
        clock = re.search(r"\d\d:\d\d", await page.locator("#clock-label").inner_text()).group()
        await shots(page, "phone-time-moved")
        await page.locator('[data-persona="asn"]').click()
        await expect(page.locator(".msg").last).to_be_visible(timeout=WAIT)
        new = page.locator(".msg").filter(has_not=page.locator(".out"))
        stamps = []
        for index in range(await new.count()):
            message = new.nth(index)
            if await message.get_attribute("data-id") in before:
                continue
            meta = await message.locator(".meta").inner_text()
            stamps.append(re.search(r"\d\d:\d\d", meta).group())
        assert stamps and set(stamps) == {clock}, (stamps, clock)
        await _banner_fits(page, PHONE["width"])
        await shots(page, "phone-after-jump")

        # English on the phone: the switch is in the accounts list.
        await page.locator("#back").click()
        await page.get_by_role("button", name="English").click()
        await _speaks(page, "en")
        await shots(page, "phone-accounts-en")
        await page.locator('[data-persona="guest"]').click()
        await _chat_speaks(page, "en", wide=False)
        await page.locator("#back").click()
        await page.locator('[data-persona="asn"]').click()
        await expect(page.locator("#persona-info .pi-toggle")).to_have_text(re.compile("Less"))
        await _banner_fits(page, PHONE["width"])
        await shots(page, "phone-asn-en")
        await context.close()
        await browser.close()
    assert not errors, errors
    assert not outside, outside
    assert shots.taken() == shots.count


# ---------------------------------------------------------------------- formatting a broadcast


async def test_an_admin_broadcast_with_bold_and_a_link_arrives_formatted(sandbox, artifacts):
    """The composer formats as a Telegram client: Ctrl+B, the format bar, a link asking for
    its URL; the text goes with its entities; the recipient's chat shows <b> and the link."""
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    outside: list[str] = []
    shots = Shots(artifacts, "broadcast")
    url = "https://malangkota.go.id/umkm"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=DESKTOP)
        await context.route("**/*", _only_local(sandbox, outside))
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def bubble(text: str):
            return page.locator(".msg", has_text=text).last

        await page.goto(sandbox.url)
        await page.locator('[data-persona="admin"]').click()
        await expect(page.locator("#start-btn:visible, #text:visible").first).to_be_visible()
        editor = page.locator("#text")
        if await page.locator("#start-btn").is_visible():
            await page.locator("#start-btn").click()
            await expect(editor).to_be_visible(timeout=WAIT)
        await editor.fill("/broadcast")
        await editor.press("Enter")
        await expect(bubble("New broadcast")).to_be_visible(timeout=WAIT)

        # Bold with Ctrl+B as one types; italic from the format bar on a selection; a link.
        await editor.click()
        await page.keyboard.press("Control+B")
        await page.keyboard.type("Gebyar UMKM")
        await page.keyboard.press("Control+B")
        await page.keyboard.type(" this Saturday at Balai Kota 🎉 ")
        await page.keyboard.type("free entry")
        for _ in range(len("free entry")):
            await page.keyboard.press("Shift+ArrowLeft")
        await expect(page.locator("#format-bar")).to_be_visible()
        await page.locator('[data-format="italic"]').click()
        await expect(page.locator('[data-format="italic"]')).to_have_class(re.compile(r"\bon\b"))
        await shots(page, "format-bar")
        await page.keyboard.press("End")
        await page.keyboard.press("Control+I")  # italic off for what follows, as in any editor
        await page.keyboard.type(". Register")
        for _ in range(len("Register")):
            await page.keyboard.press("Shift+ArrowLeft")
        await page.locator('[data-format="link"]').click()
        await expect(page.locator("#modal")).to_be_visible()
        await page.locator('[data-field="url"]').fill("malangkota.go.id/nothing here")
        await page.locator("#modal-ok").click()
        await expect(page.locator(".modal-error")).to_contain_text("not a web address")
        await page.locator('[data-field="url"]').fill("malangkota.go.id/umkm")
        await shots(page, "link-url")
        await page.locator("#modal-ok").click()
        await expect(page.locator("#modal")).to_be_hidden()
        await page.keyboard.press("End")
        await page.keyboard.type("!")  # after a link: plain text again, as in Telegram
        await expect(editor.locator("b")).to_have_text("Gebyar UMKM")
        await expect(editor.locator(f'a[href="{url}"]')).to_have_text("Register")
        await shots(page, "composed")
        # What goes to Telegram: the plain text and its entities, offsets in UTF-16 units.
        composed = await page.evaluate("composed()")
        text = "Gebyar UMKM this Saturday at Balai Kota 🎉 free entry. Register!"
        assert composed["text"] == text
        offset = len(text.encode("utf-16-le")) // 2 - len("Register!")
        assert composed["entities"] == [
            {"type": "bold", "offset": 0, "length": 11},
            {"type": "italic", "offset": offset - len("free entry. "), "length": 10},
            {"type": "text_link", "url": url, "offset": offset, "length": 8},
        ]
        await editor.press("Enter")
        await expect(editor).to_have_text("")
        mine = page.locator(".msg.out", has_text="Gebyar UMKM").last
        await expect(mine.locator("b")).to_have_text("Gebyar UMKM")
        await expect(mine.locator(f'a[data-link="{url}"]')).to_have_text("Register")

        # The bot keeps it: the preview is formatted, then send it.
        setup = bubble("Who should receive it")
        await expect(setup).to_be_visible(timeout=WAIT)
        await setup.locator(".ikb", has_text="Preview").click()
        preview = page.locator(".msg:not(.out)", has_text="Gebyar UMKM").last
        await expect(preview.locator("b", has_text="Gebyar UMKM")).to_be_visible(timeout=WAIT)
        await expect(preview.locator("i", has_text="free entry")).to_have_text("free entry")
        await expect(preview.locator(f'a[data-link="{url}"]')).to_have_text("Register")
        await shots(page, "preview")
        confirm = bubble("exactly what")
        await confirm.locator(".ikb", has_text="Send now").click()
        await expect(bubble("on its way")).to_be_visible(timeout=WAIT)

        # A recipient: the ASN's chat shows the announcement formatted as it was written.
        asn = page.locator('[data-persona="asn"]')
        await expect(asn.locator(".badge")).to_be_visible(timeout=WAIT)
        await asn.click()
        received = page.locator(".msg:not(.out)", has_text="Gebyar UMKM").last
        await expect(received).to_be_visible(timeout=WAIT)
        await expect(received.locator("b", has_text="Gebyar UMKM")).to_be_visible()
        await expect(received.locator("i", has_text="free entry")).to_have_text("free entry")
        link = received.locator(f'a[data-link="{url}"]')
        await expect(link).to_have_text("Register")
        html = await received.locator(".text").inner_html()
        assert "<b>Gebyar UMKM</b>" in html and "*" not in await received.inner_text()
        await shots(page, "recipient")
        await context.close()
        await browser.close()
    assert not errors, errors
    assert not outside, outside
    assert shots.taken() == shots.count


# ---------------------------------------------------------------------- every persona's home

# What each persona's home must show, by message id (translated for the language walked): the
# sections of the home text, the buttons under it, the reply keyboard's first row.
HOMES = {
    "guest": (
        ["🛍️ <b>Shopping</b>"],
        ["🪪 Register as ASN (NIP)", "🙋 Register as general buyer"],
        ["🛍️ Catalog", "🔎 Search"],
    ),
    "asn": (["🛍️ <b>Shopping</b>"], ["🛍️ Browse the catalog"], ["🛍️ Catalog", "🔎 Search"]),
    "asn-met": (["🛍️ <b>Shopping</b>"], ["🛍️ Browse the catalog"], ["🛍️ Catalog", "🔎 Search"]),
    "merchant": (
        ["🏪 <b>Your shop</b>", "🛍️ <b>Shopping</b>"],
        ["🏪 My shop"],
        ["🏪 My shop", "📦 My products"],
    ),
    "admin": (
        ["🛡️ <b>Administration</b>", "🛍️ <b>Shopping</b>"],
        ["📊 This month's report", "🛡️ Administration"],
        ["📊 Report", "📢 Broadcast"],
    ),
}


async def test_every_persona_has_its_own_home_in_both_languages(sandbox_id, artifacts):
    """Each persona types /menu in Indonesian, then in English: the home for their role (its
    sections, buttons and reply keyboard), in that language, with nothing of the other."""
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    from views.i18n import translate

    def plain(message_id: str, language: str) -> str:
        return re.sub(r"<[^>]+>", "", translate(message_id, language))

    sandbox = sandbox_id
    outside: list[str] = []
    shots = Shots(artifacts, "homes")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=DESKTOP)
        await context.route("**/*", _only_local(sandbox, outside))
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(sandbox.url)
        for language, switch in (("id", "Bahasa Indonesia"), ("en", "English")):
            await page.get_by_role("button", name=switch).click()
            await expect(page.locator(f'[data-lang="{language}"]')).to_have_class(re.compile("on"))
            other = "en" if language == "id" else "id"
            for persona, (sections, buttons, keyboard) in HOMES.items():
                await page.locator(f'[data-persona="{persona}"]').click()
                # Choosing a persona empties the chat; its first render shows the messages (or
                # the empty chat) together with either the start button or the composer.
                await expect(page.locator("#messages > *").first).to_be_visible()
                if await page.locator("#start-btn").is_visible():
                    await page.locator("#start-btn").click()
                else:
                    await page.locator("#text").fill("/menu")
                    await page.locator("#send").click()
                question = plain("What would you like to do?", language)
                choice = page.locator(".msg", has_text=question).last
                await expect(choice).to_be_visible(timeout=WAIT)
                home = page.locator(".msg").filter(has=page.locator(".ikb")).last
                for label in buttons:
                    await expect(
                        home.locator(".ikb", has_text=plain(label, language))
                    ).to_be_visible()
                text = await page.locator(
                    ".msg", has_text=plain(sections[-1], language)
                ).last.inner_text()
                for section in sections:
                    assert plain(section, language) in text, (persona, language, section)
                    assert plain(section, other) not in text, (persona, language, section)
                first_row = page.locator("#reply-keyboard .rkb-row").first.locator(".rkb")
                await expect(first_row).to_have_text([plain(k, language) for k in keyboard])
                await shots(page, f"{persona}-{language}")
        await context.close()
        await browser.close()
    assert not errors, errors
    assert not outside, outside
    assert shots.taken() == shots.count == 2 * len(HOMES)
