"""A realistic demo dataset: Malang UMKM, their products and a roster of ASN.

The data lives in ``services/data/demo/`` as the same CSV files an administrator would import
(roster.csv, merchants.csv, products.csv) and is loaded through :mod:`services.importer`, so
the demo also proves that those files are valid. Seeding again updates nothing that is already
in place.

The static QRIS payloads in merchants.csv were built with :func:`build_static_qris`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Category, Merchant, Product
from models.tables import utcnow
from services.categories import ensure_categories
from services.importer import ImportResult, import_merchants, import_products, import_roster
from services.qris import crc16_ccitt_false, validate_static
from services.text import normalize_key

DEMO_DIR = Path(__file__).parent / "data" / "demo"
ROSTER_CSV = DEMO_DIR / "roster.csv"
MERCHANTS_CSV = DEMO_DIR / "merchants.csv"
PRODUCTS_CSV = DEMO_DIR / "products.csv"

PHOTO_SIZE = (640, 480)
MAX_PHOTO_BYTES = 60 * 1024

# Card colours by category slug (background, text).
_COLORS = {
    "kuliner": ((196, 84, 38), (255, 244, 228)),
    "fesyen": ((92, 52, 120), (250, 238, 255)),
    "kriya": ((140, 98, 57), (255, 248, 235)),
    "budaya": ((150, 30, 45), (255, 230, 200)),
    "kebutuhan-pokok": ((48, 120, 60), (240, 255, 240)),
    "perlengkapan-rumah": ((36, 92, 140), (235, 245, 255)),
    "jasa": ((60, 60, 70), (255, 220, 120)),
}
_DEFAULT_COLOR = ((80, 80, 80), (255, 255, 255))


@dataclass(frozen=True, slots=True)
class DemoSummary:
    roster: ImportResult
    merchants: ImportResult
    products: ImportResult
    photos: int = 0  # products whose photo was set or changed by this run


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def build_static_qris(
    *, name: str, nmid: str, mcc: str, postal_code: str, terminal: str, city: str = "MALANG"
) -> str:
    """A static QRIS payload (merchant account template 51 with the NMID), validated."""
    account = _tlv("00", "ID.CO.QRIS.WWW") + _tlv("02", nmid) + _tlv("03", "UMI")
    body = "".join(
        (
            _tlv("00", "01"),
            _tlv("01", "11"),
            _tlv("51", account),
            _tlv("52", mcc),
            _tlv("53", "360"),
            _tlv("58", "ID"),
            _tlv("59", name[:25]),
            _tlv("60", city[:15]),
            _tlv("61", postal_code),
            _tlv("62", _tlv("07", terminal)),
            "6304",
        )
    )
    payload = body + f"{crc16_ccitt_false(body):04X}"
    validate_static(payload)
    return payload


async def seed_demo(session: AsyncSession, *, photos_dir: Path | None = None) -> DemoSummary:
    """Load the demo CSVs (idempotent); with ``photos_dir``, give every product a picture."""
    await ensure_categories(session)
    roster = await import_roster(session, ROSTER_CSV.read_bytes())
    merchants = await import_merchants(session, MERCHANTS_CSV.read_bytes())
    products = await import_products(session, PRODUCTS_CSV.read_bytes())
    photos = 0
    if photos_dir is not None:
        photos = await _set_photos(session, Path(photos_dir))
    return DemoSummary(roster, merchants, products, photos)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "produk"


async def _set_photos(session: AsyncSession, photos_dir: Path) -> int:
    photos_dir.mkdir(parents=True, exist_ok=True)
    with MERCHANTS_CSV.open(encoding="utf-8", newline="") as fh:
        codes = {normalize_key(row["kode"]) for row in csv.DictReader(fh)}
    rows = (
        await session.exec(
            select(Product, Merchant, Category)
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .join(Category, col(Category.id) == col(Product.category_id))
            .order_by(col(Product.id))
        )
    ).all()
    changed = 0
    for product, merchant, category in rows:
        if normalize_key(merchant.code) not in codes:
            continue  # not a demo merchant: leave real shops alone
        path = photos_dir / f"{_slug(merchant.code)}-{_slug(product.name)}.jpg"
        if not path.exists():
            path.write_bytes(render_card(product.name, merchant.name, category.slug))
        if product.photo != str(path):
            product.photo = str(path)
            product.photo_file_id = None
            product.updated_at = utcnow()
            changed += 1
    await session.commit()
    return changed


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def render_card(title: str, subtitle: str, category_slug: str) -> bytes:
    """A simple product picture: a coloured card with the product and shop names (JPEG)."""
    background, foreground = _COLORS.get(category_slug, _DEFAULT_COLOR)
    image = Image.new("RGB", PHOTO_SIZE, background)
    draw = ImageDraw.Draw(image)
    width, height = PHOTO_SIZE
    margin = 40
    draw.rectangle(
        (margin // 2, margin // 2, width - margin // 2, height - margin // 2),
        outline=foreground,
        width=4,
    )
    title_font = ImageFont.load_default(size=44)
    small_font = ImageFont.load_default(size=26)
    lines = _wrap(draw, title, title_font, width - 2 * margin)[:4]
    line_height = 54
    y = (height - line_height * len(lines)) // 2 - 20
    for line in lines:
        text_width = draw.textlength(line, font=title_font)
        draw.text(((width - text_width) / 2, y), line, font=title_font, fill=foreground)
        y += line_height
    sub = _wrap(draw, subtitle, small_font, width - 2 * margin)[:1]
    if sub:
        text_width = draw.textlength(sub[0], font=small_font)
        draw.text(
            ((width - text_width) / 2, height - margin - 50),
            sub[0],
            font=small_font,
            fill=foreground,
        )
    for quality in (85, 70, 55, 40):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        data = buffer.getvalue()
        if len(data) <= MAX_PHOTO_BYTES:
            return data
    return data
