"""Shared steps for end-to-end tests."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel.ext.asyncio.session import AsyncSession

from models import MerchantMember, User
from tests import factories as f


def png(color: str = "orange", size: tuple[int, int] = (400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def shop_with_owner(
    session: AsyncSession, owner_telegram_id: int, **merchant_kwargs: object
):
    shop = await f.merchant(session, **merchant_kwargs)
    owner = User(telegram_id=owner_telegram_id, first_name="Owner", language="en")
    session.add(owner)
    await session.commit()
    session.add(MerchantMember(merchant_id=shop.id, user_id=owner.id, role="owner"))
    await session.commit()
    return shop


def text_of(message) -> str:
    return message.text or ""
