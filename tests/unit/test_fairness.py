"""The fair order (services.fairness) and the "close my gap" proposal (services.gap)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.fairness import FairnessPolicy, Listed, Standing, fair_order, rotate_ties
from services.gap import GapLine, GapProposal, _Offer, add_lines, cart_quantities, propose
from tests import factories as f

DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def standing(sales: dict[int, int], shops: int = 4, **policy: object) -> Standing:
    return Standing(DAY.replace(day=1), DAY, sales, shops, FairnessPolicy(**policy), NOW)  # type: ignore[arg-type]


def test_bands_compare_with_an_equal_share():
    # 4 shops, Rp1.000.000 sold: an equal share is Rp250.000.
    s = standing({1: 100_000, 2: 200_000, 3: 300_000, 4: 400_000}, shops=4, monthly_cap=0)
    assert [s.band(m) for m in (1, 2, 3, 4, 5)] == [1, 2, 3, 3, 0]
    s = standing({1: 900_000, 2: 100_000}, shops=4)
    assert (s.band(1), s.band(2)) == (4, 1)


def test_the_cap_and_what_is_left_of_it():
    s = standing({1: 30_000_000, 2: 29_999_999})
    assert s.is_capped(1) and not s.is_capped(2) and s.cap_left(2) == 1
    assert not s.hidden(1)
    assert standing({1: 30_000_000}, hide_capped=True).hidden(1)
    assert not standing({1: 10**9}, monthly_cap=0).is_capped(1)


def test_rotate_ties_turns_equal_runs_only():
    items = [("a", 1), ("b", 1), ("c", 1), ("z", 0)]
    orders = [
        rotate_ties(items, key=lambda i: (i[1],), stable=lambda i: (i[0],), offset=n)
        for n in range(3)
    ]
    assert [o[0][0] for o in orders] == ["z", "z", "z"]
    assert [o[1][0] for o in orders] == ["a", "b", "c"]


def test_fair_order_never_reorders_different_relevance():
    s = standing({1: 1_000_000})
    rows = [Listed(10, 1, True, None, (0,), "x"), Listed(20, 2, True, None, (1,), "y")]
    assert [r.product_id for r in fair_order(rows, lambda r: r, s, salt="q")] == [10, 20]
    # Equal relevance: the shop without a sale first.
    rows = [Listed(10, 1, True, None, (0,), "x"), Listed(20, 2, True, None, (0,), "y")]
    assert [r.product_id for r in fair_order(rows, lambda r: r, s, salt="q")] == [20, 10]


def test_fair_order_goes_round_the_shops():
    s = standing({})
    rows = [Listed(i, 1, True, None, (False,), f"a{i}") for i in range(1, 4)]
    rows.append(Listed(9, 2, True, None, (False,), "b"))
    ordered = [r.product_id for r in fair_order(rows, lambda r: r, s, salt="c", round_robin=True)]
    assert sorted(ordered[:2]) == [1, 9] and ordered[2:] == [2, 3]


def offer(pid: int, shop: int, price: int, stock: int = 10, kecamatan: str = "Sukun") -> _Offer:
    return _Offer(pid, f"P{pid}", None, price, "pcs", stock, shop, f"S{shop}", kecamatan)


def test_a_proposal_closes_the_gap_from_two_shops_at_least():
    offers = [offer(1, 1, 600_000), offer(2, 2, 50_000), offer(3, 3, 120_000)]
    proposal = propose(offers, 500_000, standing({}), None)
    assert proposal.closes and proposal.shops >= 2
    # A single cheap shop still needs a second one.
    offers = [offer(1, 1, 10_000), offer(2, 2, 10_000)]
    proposal = propose(offers, 15_000, standing({}), None)
    assert proposal.shops == 2 and proposal.total == 20_000


def test_a_remainder_below_every_price_is_closed_by_one_line():
    # Nothing can be left to a second shop: the first shop in the order closes it alone
    # (before, the proposal was empty exactly when the ASN was nearly there).
    offers = [offer(1, 1, 30_000), offer(2, 2, 20_000), offer(3, 3, 25_000)]
    proposal = propose(offers, 15_000, standing({1: 90_000, 3: 50_000}), None)
    assert proposal.closes
    assert [(line.merchant_id, line.quantity) for line in proposal.lines] == [(2, 1)]


def test_a_proposal_prefers_shops_below_the_median_and_nearby():
    offers = [offer(1, 1, 100_000), offer(2, 2, 100_000), offer(3, 3, 100_000, kecamatan="Klojen")]
    proposal = propose(offers, 200_000, standing({1: 5_000_000}), "klojen")
    assert [line.merchant_id for line in proposal.lines] == [3, 2]
    assert propose(offers, 0, standing({}), None).lines == []


def test_settings_turn_into_the_policies():
    from bot.settings import Settings

    policy = Settings(
        _env_file=None, shop_monthly_cap=0, capped_shops="hide", red_flag_odd_hours="22 - 6"
    ).policy()
    assert (policy.fairness.monthly_cap, policy.fairness.hide_capped) == (0, True)
    assert (policy.red_flags.odd_from, policy.red_flags.odd_to) == (22, 6)
    with pytest.raises(ValueError):
        Settings(_env_file=None, red_flag_odd_hours="25-3")


async def test_put_all_in_the_cart_adds_what_is_still_there(session):
    asn = await f.asn_user(session, 7501)
    shop = await f.merchant(session, code="G1")
    other = await f.merchant(session, code="G2", phone="+628130099")
    kopi = await f.product(session, shop, name="Kopi", price=100_000, stock=10)
    batik = await f.product(session, other, name="Batik", price=150_000, stock=5)
    gone = await f.product(session, other, name="Tas", price=90_000, stock=1)
    shown = propose(
        [offer(kopi.id, shop.id, 100_000), offer(batik.id, other.id, 150_000)],
        500_000,
        standing({}),
        None,
    )
    sold_out = GapProposal(
        500_000,
        [*shown.lines, GapLine(gone.id, "Tas", None, 90_000, "pcs", 1, other.id, "S", "Sukun")],
    )
    gone.stock = 0
    session.add(gone)
    await session.commit()

    missed = await add_lines(session, asn, sold_out)
    assert [line.product_id for line in missed] == [gone.id]
    held = await cart_quantities(session, asn, [kopi.id, batik.id, gone.id])
    assert held == {line.product_id: line.quantity for line in shown.lines}
    # Tapping again adds nothing more, and a different proposal has a different digest.
    assert await add_lines(session, asn, shown) == []
    assert await cart_quantities(session, asn, [kopi.id, batik.id]) == held
    assert shown.digest != sold_out.digest
