"""Every cell of the order steps table (status × action × who asks) through the services.

`services.orders.STEPS` is the specification: a step is taken exactly when the table has it,
by exactly the parties it names; anything else is refused and changes nothing. A few cells
are also spelled out by hand below, so that a wrong row in the table is caught too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product as cells

import pytest
from sqlmodel import func, select

from models import MerchantMember, Order, OrderEvent, OrderItem, OrderStatus, User
from models.enums import MemberRole
from services import orders, refunds
from services.errors import Forbidden, ServiceError
from services.orders import Party
from services.roles import roles_of
from tests import factories as f
from views.orders import BUYER_UPDATES, MERCHANT_UPDATES

ADMIN_ID = 4242
ACTIONS = sorted(orders.ACTIONS) + ["bogus"]


async def _people(session):
    shop = await f.merchant(session)
    item = await f.product(session, shop, stock=5)
    buyer = await f.asn_user(session, 1001)
    owner = User(telegram_id=2001, first_name="Tin")
    staff = User(telegram_id=2002, first_name="Sri")
    admin = User(telegram_id=ADMIN_ID, first_name="Admin")
    session.add_all([owner, staff, admin])
    await session.commit()
    session.add_all(
        [
            MerchantMember(merchant_id=shop.id, user_id=owner.id, role=MemberRole.OWNER),
            MerchantMember(merchant_id=shop.id, user_id=staff.id, role=MemberRole.STAFF),
        ]
    )
    await session.commit()
    # Plain values: a refused step rolls the session back, which expires loaded objects.
    world = {"shop": shop.id, "product": item.id, "buyer": buyer.id, "nip": buyer.nip}
    people = {Party.BUYER: buyer.id, Party.OWNER: owner.id, Party.STAFF: staff.id,
              Party.ADMIN: admin.id}  # fmt: skip
    return world, people


async def _order(session, world: dict, status: OrderStatus, n: int) -> int:
    order = Order(
        buyer_id=world["buyer"],
        merchant_id=world["shop"],
        status=status,
        total=25_000,
        counts_for_quota=True,
        buyer_nip=world["nip"],
        checkout_key=f"k{n}",
    )
    session.add(order)
    await session.commit()
    order_id = order.id
    session.add(
        OrderItem(
            order_id=order_id,
            product_id=world["product"],
            name="Keripik",
            unit="bungkus",
            price=25_000,
            quantity=1,
        )  # fmt: skip
    )
    await session.commit()
    return order_id


async def _take(session, order_id: int, action: str, party: Party, people) -> bool:
    """Ask for the step; True when it was taken, False when refused."""
    try:
        if party is Party.SYSTEM:
            result = await orders.system_step(session, order_id, action, now=datetime.now(UTC))
            return result.changed
        actor = await session.get(User, people[party])
        assert actor is not None
        roles = await roles_of(session, actor.telegram_id, frozenset({ADMIN_ID}))
        if action == "refund":
            done = await refunds.refund(session, order_id, actor=actor, roles=roles, reason="x")
            return done.changed
        result = await orders.transition(
            session, order_id, action, actor=actor, roles=roles, reason="stok habis"
        )
        return result.changed
    except (Forbidden, ServiceError):
        await session.rollback()
        return False


async def test_every_cell_of_the_table(session) -> None:
    world, people = await _people(session)
    wrong = []
    for n, (status, action, party) in enumerate(cells(OrderStatus, ACTIONS, Party)):
        order_id = await _order(session, world, status, n)
        events_before = (await session.exec(select(func.count()).select_from(OrderEvent))).one()
        step = orders.TRANSITIONS.get((action, status))
        expected = step is not None and party in step[1]
        taken = await _take(session, order_id, action, party, people)
        fresh = await f.fresh(session, Order, order_id)
        assert isinstance(fresh, Order)
        events = (await session.exec(select(func.count()).select_from(OrderEvent))).one()
        if taken != expected:
            wrong.append(f"{status} × {action} × {party}: taken={taken}, table says {expected}")
        elif expected and fresh.status != step[0]:
            wrong.append(f"{status} × {action} × {party}: now {fresh.status}, not {step[0]}")
        elif not expected and (fresh.status != status or events != events_before):
            wrong.append(f"{status} × {action} × {party}: refused, yet the order changed")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("status", "action", "party"),
    [
        # a buyer never takes the shop's or the system's steps (the forged-callback attack)
        (OrderStatus.PENDING, "expire", Party.BUYER),
        (OrderStatus.READY, "autocomplete", Party.BUYER),
        (OrderStatus.SHIPPED, "autocomplete", Party.BUYER),
        (OrderStatus.PENDING, "accept", Party.BUYER),
        (OrderStatus.ACCEPTED, "pay", Party.BUYER),
        (OrderStatus.PAID, "refund", Party.BUYER),
        # a shop never takes the buyer's or the system's steps
        (OrderStatus.PENDING, "cancel", Party.OWNER),
        (OrderStatus.READY, "receive", Party.STAFF),
        (OrderStatus.PENDING, "expire", Party.OWNER),
        # an administrator only refunds
        (OrderStatus.PENDING, "accept", Party.ADMIN),
        (OrderStatus.PENDING, "cancel", Party.ADMIN),
        # the system only expires and completes on its own
        (OrderStatus.PENDING, "accept", Party.SYSTEM),
        (OrderStatus.PAID, "refund", Party.SYSTEM),
    ],
)
def test_cells_that_must_be_refused(status: OrderStatus, action: str, party: Party) -> None:
    step = orders.TRANSITIONS.get((action, status))
    assert step is None or party not in step[1]


@pytest.mark.parametrize(
    ("status", "action", "party", "target"),
    [
        (OrderStatus.PENDING, "accept", Party.STAFF, OrderStatus.ACCEPTED),
        (OrderStatus.ACCEPTED, "pay", Party.OWNER, OrderStatus.PAID),
        (OrderStatus.PENDING, "cancel", Party.BUYER, OrderStatus.CANCELLED),
        (OrderStatus.SHIPPED, "receive", Party.BUYER, OrderStatus.COMPLETED),
        (OrderStatus.PENDING, "expire", Party.SYSTEM, OrderStatus.EXPIRED),
        (OrderStatus.COMPLETED, "refund", Party.ADMIN, OrderStatus.REFUNDED),
    ],
)
def test_cells_that_must_be_allowed(
    status: OrderStatus, action: str, party: Party, target: OrderStatus
) -> None:
    to, parties = orders.TRANSITIONS[(action, status)]
    assert to == target and party in parties


def test_each_side_tells_the_other() -> None:
    """Every step a shop takes by button has a message for the buyer, and the reverse."""
    shop_steps = {a for a in orders.PERSON_ACTIONS if orders.parties_of(a) & orders.SHOP}
    buyer_steps = {a for a in orders.PERSON_ACTIONS if Party.BUYER in orders.parties_of(a)}
    assert shop_steps == set(BUYER_UPDATES)
    assert buyer_steps == set(MERCHANT_UPDATES)
