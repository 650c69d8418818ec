"""What a shop's people do: link the shop, run it (/toko), its products (/produk), its staff,
its QRIS, and check buyers' payment proofs. Whether someone may act on a shop is decided by the
services (owner or staff of that very shop), since any account may link a shop."""

from __future__ import annotations

from aiogram import Router

from handlers.merchant import (
    export,
    link,
    location,
    new_product,
    price_history,
    products,
    proofs,
    qris,
    shop,
    staff,
)


def router() -> Router:
    top = Router(name="merchant")
    top.include_routers(
        link.routes.router(),
        staff.routes.router(),
        shop.routes.router(),
        location.routes.router(),
        products.routes.router(),
        price_history.routes.router(),
        export.routes.router(),
        new_product.routes.router(),
        qris.routes.router(),
        proofs.routes.router(),
    )
    return top
