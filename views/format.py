"""Formatting helpers for messages: money, dates, escaping, fitting Telegram's limits."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from html.parser import HTMLParser

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from services.money import format_rupiah
from views.i18n import babel_locale

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BUTTON_TEXT_LIMIT = 60


_TAG = re.compile(r"<[^>]*>")


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def plain(markup: str) -> str:
    """HTML message text as plain text (tags dropped, entities decoded), for the places that
    have no parse mode: pop-up alerts and callback answers."""
    return html.unescape(_TAG.sub("", markup))


def visible_length(markup: str) -> int:
    """Length of HTML text as Telegram counts it: tags parsed away, in Unicode code points
    (entity offsets are UTF-16 units, but the limits of 4096 and 1024 count code points)."""
    return len(plain(markup))


class _Cutter(HTMLParser):
    """Copies HTML up to a budget of visible characters, keeping tags balanced and entities
    whole (never `&am…` or a cut tag)."""

    def __init__(self, budget: int) -> None:
        super().__init__(convert_charrefs=False)
        self.budget = budget
        self.out: list[str] = []
        self.open: list[str] = []
        self.cut = False

    def _take(self, visible: str, raw: str | None = None) -> None:
        if self.cut:
            return
        if len(visible) <= self.budget:
            self.out.append(raw if raw is not None else esc(visible))
            self.budget -= len(visible)
            return
        if raw is None:  # plain text: cut at the budget
            self.out.append(esc(visible[: self.budget]))
        self.budget = 0
        self.cut = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        self.out.append(self.get_starttag_text() or f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.cut or tag not in self.open:
            return
        while self.open:
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data: str) -> None:
        self._take(data)

    def handle_entityref(self, name: str) -> None:
        raw = f"&{name};"
        self._take(html.unescape(raw), raw)

    def handle_charref(self, name: str) -> None:
        raw = f"&#{name};"
        self._take(html.unescape(raw), raw)

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def fit_html(markup: str, limit: int = TEXT_LIMIT, *, ellipsis: str = "…") -> str:
    """HTML text cut so that its visible text fits `limit`, entities and tags intact."""
    if visible_length(markup) <= limit:
        return markup
    cutter = _Cutter(max(0, limit - len(ellipsis)))
    cutter.feed(markup)
    text = cutter.result()
    # the ellipsis goes inside the last open tags' closing run, before them
    closing = "".join(f"</{tag}>" for tag in reversed(cutter.open))
    body = text[: len(text) - len(closing)] if closing else text
    return body.rstrip() + ellipsis + closing


def fit_lines(
    head: Sequence[str],
    body: Sequence[str],
    tail: Sequence[str] = (),
    *,
    limit: int = TEXT_LIMIT,
) -> str:
    """Lines of HTML joined into one message: the `head` and the `tail` always (what the
    message is about, its totals), and as many whole `body` lines between them as fit within
    `limit`, then "… and N more". Never a cut tag or entity."""
    fixed = [*head, *tail]
    budget = limit - visible_length("\n".join(fixed)) - 1
    kept: list[str] = []
    for index, line in enumerate(body):
        rest = len(body) - index - 1
        reserve = len(_more(rest)) + 1 if rest else 0
        cost = visible_length(line) + 1
        if cost + reserve > budget:
            kept.append(_more(len(body) - index))
            break
        kept.append(line)
        budget -= cost
    return fit_html("\n".join([*head, *kept, *tail]), limit)


def _more(count: int) -> str:
    return ngettext("… and {n} more", "… and {n} more", count).format(n=count)


def money(amount: int, locale: str) -> str:
    return format_rupiah(amount, locale)


def day(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=babel_locale(locale))


def moment(value: datetime, locale: str, tz: tzinfo) -> str:
    return format_datetime(value, format="d MMM y HH:mm", tzinfo=tz, locale=babel_locale(locale))


def shorten(text: str, limit: int) -> str:
    """Plain text (not HTML: use `fit_html`) cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split()) if "\n" not in text else text
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def button_text(text: str) -> str:
    return shorten(" ".join(text.split()), BUTTON_TEXT_LIMIT)


def progress_bar(ratio: float, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, ratio)) * width)
    return "▓" * filled + "░" * (width - filled)


STATUS_LABELS = {
    "pending": lambda: _("⏳ Waiting for the shop"),
    "accepted": lambda: _("✅ Accepted, waiting for payment"),
    "paid": lambda: _("💰 Paid"),
    "ready": lambda: _("📦 Ready for pickup"),
    "shipped": lambda: _("🚚 Shipped"),
    "completed": lambda: _("🎉 Completed"),
    "rejected": lambda: _("❌ Rejected"),
    "cancelled": lambda: _("🚫 Cancelled"),
    "expired": lambda: _("⌛ Expired"),
    "refunded": lambda: _("↩️ Refunded"),
}


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return label() if label else status


# Units shops write in Indonesian, and how English-speaking buyers read them. A unit not in this
# list is shown as the shop wrote it, in every language.
UNITS: dict[str, Callable[[int], str]] = {
    "bungkus": lambda n: ngettext("pack", "packs", n),
    "pak": lambda n: ngettext("pack", "packs", n),
    "pack": lambda n: ngettext("pack", "packs", n),
    "buah": lambda n: ngettext("piece", "pieces", n),
    "biji": lambda n: ngettext("piece", "pieces", n),
    "pcs": lambda n: ngettext("piece", "pieces", n),
    "kotak": lambda n: ngettext("box", "boxes", n),
    "box": lambda n: ngettext("box", "boxes", n),
    "dus": lambda n: ngettext("box", "boxes", n),
    "potong": lambda n: ngettext("slice", "slices", n),
    "botol": lambda n: ngettext("bottle", "bottles", n),
    "lembar": lambda n: ngettext("sheet", "sheets", n),
    "paket": lambda n: ngettext("package", "packages", n),
    "bulan": lambda n: ngettext("month", "months", n),
    "orang": lambda n: ngettext("person", "people", n),
    "karung": lambda n: ngettext("sack", "sacks", n),
    "set": lambda n: ngettext("set", "sets", n),
    "toples": lambda n: ngettext("jar", "jars", n),
    "sachet": lambda n: ngettext("sachet", "sachets", n),
    "porsi": lambda n: ngettext("portion", "portions", n),
    "pasang": lambda n: ngettext("pair", "pairs", n),
    "ikat": lambda n: ngettext("bunch", "bunches", n),
    "lusin": lambda n: ngettext("dozen", "dozens", n),
    "kaleng": lambda n: ngettext("can", "cans", n),
    "gelas": lambda n: ngettext("glass", "glasses", n),
    "tiket": lambda n: ngettext("ticket", "tickets", n),
    "jam": lambda n: ngettext("hour", "hours", n),
    "sesi": lambda n: ngettext("session", "sessions", n),
    "kg": lambda n: "kg",
    "gram": lambda n: "g",
    "liter": lambda n: ngettext("litre", "litres", n),
    "meter": lambda n: ngettext("metre", "metres", n),
}


def unit_label(unit: str, locale: str, count: int = 1) -> str:
    """A product's unit for the reader: in English from the vocabulary above (with its
    plural), else as the shop wrote it."""
    if locale != "en":
        return unit
    translate = UNITS.get(unit.strip().lower())
    return translate(count) if translate is not None else unit


def product_name(name: str, name_en: str | None, locale: str) -> str:
    """Indonesian first; English speakers see the English name when the shop gave one."""
    return name_en if locale == "en" and name_en else name


def file_too_large(size: int, limit: int, locale: str) -> str:
    """A file the bot will not read (its size and the limit in MB, in the user's language)."""
    return _(
        "This file is too large ({size} MB; at most {limit} MB). Please send it as a photo "
        "instead, or a smaller file."
    ).format(
        size=format_decimal(size / 1_048_576, format="#,##0.0", locale=babel_locale(locale)),
        limit=format_decimal(limit / 1_048_576, format="#,##0", locale=babel_locale(locale)),
    )
