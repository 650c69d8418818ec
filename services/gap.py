""" "Close my gap": a few products whose prices together close what remains of an ASN's minimum.

The proposal takes products that buyers can see and that are in stock, one per shop, from at
least two shops (more when the remainder is large), each with a quantity the stock allows;
only a remainder too small to leave anything to a second shop (less than any product) is
closed by one line, from the first shop in the order below that can. Shops are preferred in
this order: not at the monthly cap (capped shops are never proposed), below the median of this
month's paid sales of the open shops, in the ASN's own kecamatan (the roster's), then the fair
order of services.fairness (lower sales band, rotated by the day). From each shop the line
(product × quantity) closest to an even share of what is still missing is taken; the last line
is the cheapest one that closes the rest. The lines sum to at least the remainder whenever the
catalog allows it (`closes`). Each line is one tap into the cart, and all of them together one
tap (`add_lines`), so that closing the gap costs the same few taps however many shops share it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import CartItem, Merchant, Product, RosterEntry, User
from models.db import select_columns
from services.cart import cart_count, set_quantity
from services.catalog import visible_product_clause
from services.errors import ServiceError
from services.fairness import Standing, rotate_ties, rotation_offset
from services.text import normalize_key

MAX_LINES = 5
MAX_QUANTITY = 5
AIM_LINES = 3  # the remainder is split into about this many lines


@dataclass(frozen=True)
class GapLine:
    product_id: int
    name: str
    name_en: str | None
    price: int
    unit: str
    quantity: int
    merchant_id: int
    merchant_name: str
    kecamatan: str

    @property
    def amount(self) -> int:
        return self.price * self.quantity


@dataclass(frozen=True)
class GapProposal:
    remaining: int
    lines: list[GapLine]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def closes(self) -> bool:
        return self.total >= self.remaining

    @property
    def shops(self) -> int:
        return len({line.merchant_id for line in self.lines})

    @property
    def digest(self) -> str:
        """A short fingerprint of the lines (products and quantities): a button meant for one
        proposal never puts another one in the cart."""
        lines = ";".join(f"{line.product_id}x{line.quantity}" for line in self.lines)
        return f"{zlib.crc32(lines.encode()):08x}"


@dataclass(frozen=True)
class _Offer:
    product_id: int
    name: str
    name_en: str | None
    price: int
    unit: str
    stock: int
    merchant_id: int
    merchant_name: str
    kecamatan: str


async def home_kecamatan(session: AsyncSession, user: User) -> str | None:
    """The ASN's kecamatan from the roster, if it has one."""
    if not user.nip:
        return None
    entry = await session.get(RosterEntry, user.nip)
    return entry.kecamatan if entry is not None and entry.kecamatan else None


async def _offers(session: AsyncSession, standing: Standing) -> list[_Offer]:
    rows = (
        await session.exec(
            select_columns(
                Product.id,
                Product.name,
                Product.name_en,
                Product.price,
                Product.unit,
                Product.stock,
                Product.merchant_id,
                Merchant.name,
                Merchant.kecamatan,
            )
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(visible_product_clause(), col(Product.stock) > 0, col(Product.price) > 0)
        )
    ).all()
    return [_Offer(*row) for row in rows if not standing.is_capped(row[6])]


def _best_line(
    offers: list[_Offer], target: int, missing: int, closing: bool
) -> tuple[_Offer, int] | None:
    """The shop's line (offer, quantity) for `target` rupiah: the cheapest that reaches
    `missing` when `closing` and one does, else the one closest to `target` that leaves some
    of `missing` to another shop (None: the shop has none)."""
    lines = [
        (offer, quantity)
        for offer in offers
        for quantity in range(1, min(offer.stock, MAX_QUANTITY) + 1)
    ]
    if closing:
        reaching = [line for line in lines if line[0].price * line[1] >= missing]
        if reaching:
            return min(reaching, key=lambda line: (line[0].price * line[1], line[0].product_id))
    else:
        lines = [line for line in lines if line[0].price * line[1] < missing]
    if not lines:
        return None
    return min(
        lines,
        key=lambda line: (abs(line[0].price * line[1] - target), line[1], line[0].product_id),
    )


def propose(
    offers: list[_Offer], remaining: int, standing: Standing, kecamatan: str | None
) -> GapProposal:
    """The proposal for `remaining` rupiah from `offers` (module doc)."""
    if remaining <= 0 or not offers:
        return GapProposal(max(remaining, 0), [])
    by_shop: dict[int, list[_Offer]] = {}
    for offer in offers:
        by_shop.setdefault(offer.merchant_id, []).append(offer)
    shops = list(by_shop)
    median = standing.median_sales(shops)  # once: per shop it made a proposal O(shops²)
    ordered = rotate_ties(
        shops,
        key=lambda m: (
            not standing.below(m, median),
            not (kecamatan and normalize_key(by_shop[m][0].kecamatan) == normalize_key(kecamatan)),
            standing.band(m),
        ),
        stable=lambda m: (m,),
        offset=rotation_offset(standing.day, "gap"),
    )
    aim = max(2, min(AIM_LINES, len(ordered), MAX_LINES))
    lines: list[GapLine] = []
    missing = remaining
    # "split": lines that leave something to the next shop, closing only from the second line
    # on; "close": any shop not used yet may close what is left; "alone": nothing could be
    # split (what remains is less than any line leaving some to a second shop): the first
    # shop that can closes it alone.
    for stage in ("split", "close", "alone"):
        if stage == "alone" and lines:
            break
        for merchant_id in ordered:
            if missing <= 0 or len(lines) >= MAX_LINES:
                break
            if any(line.merchant_id == merchant_id for line in lines):
                continue
            closing = stage == "alone" or (
                bool(lines) and (stage == "close" or aim - len(lines) <= 1)
            )
            target = missing if closing else max(1, missing // max(1, aim - len(lines)))
            best = _best_line(by_shop[merchant_id], target, missing, closing)
            if best is None:
                continue
            offer, quantity = best
            lines.append(
                GapLine(
                    offer.product_id,
                    offer.name,
                    offer.name_en,
                    offer.price,
                    offer.unit,
                    quantity,
                    merchant_id,
                    offer.merchant_name,
                    offer.kecamatan,
                )
            )
            missing -= offer.price * quantity
    return GapProposal(remaining, lines)


async def close_my_gap(
    session: AsyncSession, user: User, remaining: int, standing: Standing
) -> GapProposal:
    """The proposal for this ASN's `remaining` rupiah this month."""
    offers = await _offers(session, standing)
    return propose(offers, remaining, standing, await home_kecamatan(session, user))


async def add_line(session: AsyncSession, user: User, product_id: int, quantity: int) -> int:
    """Put a proposed line in the cart: the product at least `quantity` times (1..MAX_QUANTITY;
    tapping twice adds nothing). Refusals as for the cart (unavailable, out of stock)."""
    quantity = min(max(quantity, 1), MAX_QUANTITY)
    _lines, held = await cart_count(session, user, product_id)
    if held >= quantity:
        return held
    return await set_quantity(session, user, product_id, quantity)


async def add_lines(session: AsyncSession, user: User, proposal: GapProposal) -> list[GapLine]:
    """Put every line of the proposal in the cart (as `add_line`); returns the lines that could
    not be put there (gone or sold out since), the others stay in the cart."""
    missed = []
    for line in proposal.lines:
        try:
            await add_line(session, user, line.product_id, line.quantity)
        except ServiceError:
            missed.append(line)
    return missed


async def cart_quantities(
    session: AsyncSession, user: User, product_ids: list[int]
) -> dict[int, int]:
    """How many of each product the cart holds."""
    if not product_ids:
        return {}
    rows = await session.exec(
        select(CartItem.product_id, CartItem.quantity).where(
            col(CartItem.user_id) == user.id, col(CartItem.product_id).in_(product_ids)
        )
    )
    return dict(rows.all())
