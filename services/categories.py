"""Product categories: data from services/data/categories.csv, kept in the database.

The list is read on every catalog screen and written only by `ensure_categories` (at start-up,
from the CSV shipped with the code), so each process keeps it in memory per database and
`ensure_categories` forgets it. The cached rows are detached: read them, don't add them to a
session.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Category
from models.db import begin_write
from services.text import normalize_key

CATEGORIES_CSV = Path(__file__).parent / "data" / "categories.csv"


@cache
def _default_rows() -> tuple[dict[str, str], ...]:
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


_cache: dict[str, tuple[Category, ...]] = {}


def _cache_key(session: AsyncSession) -> str | None:
    bind = session.bind
    return str(bind.url) if isinstance(bind, AsyncEngine) else None


async def ensure_categories(session: AsyncSession) -> None:
    """Insert the categories of the CSV that the database lacks and refresh their names."""
    _cache.pop(_cache_key(session) or "", None)
    await begin_write(session)
    existing = {c.slug: c for c in (await session.exec(select(Category))).all()}
    for row in _default_rows():
        category = existing.get(row["slug"]) or Category(
            slug=row["slug"], name_id=row["nama"], name_en=row["name_en"]
        )
        category.name_id = row["nama"]
        category.name_en = row["name_en"]
        category.emoji = row.get("emoji") or ""
        category.sort_order = int(row.get("urutan") or 0)
        session.add(category)
    await session.commit()
    _cache.pop(_cache_key(session) or "", None)


async def list_categories(session: AsyncSession) -> list[Category]:
    key = _cache_key(session)
    cached = _cache.get(key) if key else None
    if cached is None:
        result = await session.exec(
            select(Category).order_by(col(Category.sort_order), col(Category.id))
        )
        cached = tuple(result.all())
        if key:
            _cache[key] = cached
    return list(cached)


async def get_category(session: AsyncSession, category_id: int) -> Category | None:
    return next((c for c in await list_categories(session) if c.id == category_id), None)


async def find_category(session: AsyncSession, text: str) -> Category | None:
    """A category by slug or by its Indonesian or English name, tolerant of case and spacing."""
    key = normalize_key(text)
    for category in await list_categories(session):
        names = (category.slug, category.name_id, category.name_en)
        if key in {normalize_key(n) for n in names}:
            return category
        # "kuliner" or "makanan-minuman" both name "Kuliner & Makanan-Minuman".
        parts = {normalize_key(p) for p in category.name_id.replace("&", "/").split("/")}
        if key in parts:
            return category
    return None
