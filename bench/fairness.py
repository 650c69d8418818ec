"""Does the money spread? A month of 7,000 ASN shopping at 300 shops, fair ranking off and on.

The ranking is the bot's own (`services.fairness.fair_order` and `Standing`, with the month's
sales as they accrue); the shoppers are a model:

- 300 shops in 8 categories, 5 products each (Rp20.000–Rp150.000); 20 shops are popular.
- Each ASN, on a day of the month, opens a category and picks a product from the list as shown:
  the chance of a product is its attractiveness (popular shops 8×) times a position bias (the
  first results are looked at most: 1 / (1 + position)), over the first two pages of 8; a pick on
  page 2 costs one more tap. They buy until their spend reaches the minimum of Rp500.000.
- Ranking off: the old order (in stock, then name). Ranking on: the fair order (round the
  shops, fewer sales this month first, rotated by the day); the monthly cap stays off in both,
  so that only the ranking is measured.

Every ASN has their own stream of random numbers (seeded by the seed and their number), so the
runs are paired: the same ASN opens the same categories and draws the same numbers with the
ranking off and on, and only what the list shows them differs.

Printed per mode: the share of spend of the top 10% of shops, the Gini coefficient of spend per
shop, the shops with no sale, and taps to the minimum (mean, 95th percentile, max). Then the
paired comparison, ASN by ASN: how many need more taps with ranking on, the mean, 95th
percentile and max of the extra taps of those, and why (more purchases: the products their
draws landed on were cheaper; or more picks on page 2). As a yardstick the same comparison is
printed between the old order and the old order reversed (the same kind of list, arranged
otherwise): how many ASN need more taps when nothing but the arrangement changes.

Targets: top-10% share at least 30% lower with ranking on, shops with no sale <= 5%, no more taps
to the minimum with ranking on (mean and 95th percentile), and no more ASN needing more taps
with ranking on than with the reversed old order (the ranking does not make shopping harder
than any other arrangement of the list would). "No single ASN needs more taps" is not a target
the model can meet: see bench/NOTES.md. Exit status 1 when a target is missed.

    .venv/bin/python bench/fairness.py [--asn 7000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.fairness import FairnessPolicy, Listed, Standing, fair_order

SHOPS = 300
POPULAR = 20
CATEGORIES = 8
PRODUCTS_PER_SHOP = 5
PAGE = 8
PAGES_LOOKED_AT = 2
MINIMUM = 500_000
POPULAR_WEIGHT = 8.0
MONTH = date(2026, 11, 1)


@dataclass(frozen=True)
class Item:
    product_id: int
    shop: int
    category: int
    name: str
    price: int


def catalog(rng: random.Random) -> list[Item]:
    items = []
    pid = 0
    for shop in range(SHOPS):
        category = shop % CATEGORIES
        for _ in range(PRODUCTS_PER_SHOP):
            pid += 1
            name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
            items.append(Item(pid, shop, category, name, rng.randrange(20, 151) * 1000))
    return items


def gini(values: list[int]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    total = sum(ordered)
    if not total:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


@dataclass(frozen=True)
class Shopper:
    """One ASN's month: taps to the minimum, purchases, picks on page 2."""

    taps: int
    purchases: int
    page_two: int


@dataclass
class Outcome:
    top10_share: float
    gini: float
    no_sale: int
    shoppers: list[Shopper]

    @property
    def taps(self) -> list[int]:
        return [shopper.taps for shopper in self.shoppers]


def percentile(values: list[int], share: float) -> int:
    return sorted(values)[int(share * (len(values) - 1))]


def simulate(order: str, asn: int, seed: int) -> Outcome:
    """A month with `order`: "off" (the old order), "reversed" (the old order backwards, the
    yardstick) or "on" (the fair order)."""
    rng = random.Random(seed)
    items = catalog(rng)
    popular = set(rng.sample(range(SHOPS), POPULAR))
    by_category: dict[int, list[Item]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    sales: dict[int, int] = {}
    orders: dict[int, int] = {}
    policy = FairnessPolicy(monthly_cap=0, ranking=True)
    shoppers = []
    cache: dict[tuple[int, int], list[Item]] = {}
    for number in range(asn):
        shopper_rng = random.Random(f"{seed}:{number}")  # the same draws in every mode
        day = MONTH + timedelta(days=number * 30 // asn)
        now = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
        spent, taps, purchases, page_two = 0, 0, 0, 0
        while spent < MINIMUM:
            category = shopper_rng.randrange(CATEGORIES)
            key = (category, number // 25)  # the order is recomputed every 25 shoppers
            if key not in cache:
                if order == "on":
                    standing = Standing(MONTH, day, dict(sales), SHOPS, policy, now, dict(orders))
                    cache[key] = fair_order(
                        by_category[category],
                        lambda i: Listed(i.product_id, i.shop, True, None, (False,), i.name),
                        standing,
                        salt=f"c{category}",
                        round_robin=True,
                    )
                else:
                    cache[key] = sorted(
                        by_category[category],
                        key=lambda i: (i.name, i.product_id),
                        reverse=order == "reversed",
                    )
            shown = cache[key][: PAGE * PAGES_LOOKED_AT]
            weights = [
                (POPULAR_WEIGHT if item.shop in popular else 1.0) / (1 + position)
                for position, item in enumerate(shown)
            ]
            position = shopper_rng.choices(range(len(shown)), weights)[0]
            item = shown[position]
            taps += 1 + position // PAGE + 1  # the category, the next page, "add to cart"
            purchases += 1
            page_two += position // PAGE
            spent += item.price
            sales[item.shop] = sales.get(item.shop, 0) + item.price
            orders[item.shop] = orders.get(item.shop, 0) + 1
        shoppers.append(Shopper(taps + 2, purchases, page_two))  # cart and checkout
    spend = [sales.get(shop, 0) for shop in range(SHOPS)]
    top = sorted(spend, reverse=True)[: SHOPS // 10]
    return Outcome(
        top10_share=sum(top) / sum(spend),
        gini=gini(spend),
        no_sale=sum(1 for v in spend if v == 0),
        shoppers=shoppers,
    )


@dataclass(frozen=True)
class Paired:
    """ASN by ASN, `after` against `before`."""

    more: int
    fewer: int
    extra_mean: float  # of those who need more taps
    extra_p95: int
    extra_max: int
    more_purchases: int  # of those who need more taps: more purchases
    more_page_two: int  # the same number of purchases, more picks on page 2


def paired(before: Outcome, after: Outcome) -> Paired:
    pairs = list(zip(before.shoppers, after.shoppers, strict=True))
    worse = [(b, a) for b, a in pairs if a.taps > b.taps]
    extra = [a.taps - b.taps for b, a in worse] or [0]
    return Paired(
        more=len(worse),
        fewer=sum(1 for b, a in pairs if a.taps < b.taps),
        extra_mean=sum(extra) / len(extra),
        extra_p95=percentile(extra, 0.95),
        extra_max=max(extra),
        more_purchases=sum(1 for b, a in worse if a.purchases > b.purchases),
        more_page_two=sum(
            1 for b, a in worse if a.purchases == b.purchases and a.page_two > b.page_two
        ),
    )


def report(asn: int, off: Outcome, on: Outcome, yardstick: Paired, fair: Paired) -> None:
    print(f"{asn} ASN, {SHOPS} shops ({POPULAR} popular), minimum Rp{MINIMUM:,}")
    print(f"{'':24}{'ranking off':>14}{'ranking on':>14}")
    print(f"{'top 10% share of spend':24}{off.top10_share:>14.1%}{on.top10_share:>14.1%}")
    print(f"{'Gini of spend per shop':24}{off.gini:>14.3f}{on.gini:>14.3f}")
    print(f"{'shops with no sale':24}{off.no_sale:>14}{on.no_sale:>14}")
    off_mean, on_mean = sum(off.taps) / asn, sum(on.taps) / asn
    print(f"{'taps to the minimum':24}{off_mean:>14.2f}{on_mean:>14.2f}  (mean)")
    print(f"{'':24}{percentile(off.taps, 0.95):>14}{percentile(on.taps, 0.95):>14}  (95th pct)")
    print(f"{'':24}{max(off.taps):>14}{max(on.taps):>14}  (max)")
    print()
    print("ASN by ASN (same ASN, same draws)")
    print(f"{'':32}{'off->reversed':>14}{'off->on':>10}")
    for label, field in (
        ("ASN needing more taps", "more"),
        ("ASN needing fewer taps", "fewer"),
        ("  of the first: more purchases", "more_purchases"),
        ("  same purchases, more page 2", "more_page_two"),
    ):
        print(f"{label:32}{getattr(yardstick, field):>14}{getattr(fair, field):>10}")
    print(
        f"{'extra taps of those (mean)':32}{yardstick.extra_mean:>14.2f}{fair.extra_mean:>10.2f}"
    )
    print(f"{'extra taps (95th percentile)':32}{yardstick.extra_p95:>14}{fair.extra_p95:>10}")
    print(f"{'extra taps (max)':32}{yardstick.extra_max:>14}{fair.extra_max:>10}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asn", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    off = simulate("off", args.asn, args.seed)
    on = simulate("on", args.asn, args.seed)
    yardstick = paired(off, simulate("reversed", args.asn, args.seed))
    fair = paired(off, on)
    report(args.asn, off, on, yardstick, fair)
    missed = []
    if on.top10_share > 0.7 * off.top10_share:
        missed.append("top-10% share not 30% lower")
    if on.no_sale > 0.05 * SHOPS:
        missed.append("more than 5% of shops without a sale")
    if sum(on.taps) > sum(off.taps) or percentile(on.taps, 0.95) > percentile(off.taps, 0.95):
        missed.append("more taps to the minimum")
    if fair.more > yardstick.more:
        missed.append("more ASN need more taps than with the old order reversed")
    for miss in missed:
        print(f"MISSED: {miss}")
    if not missed:
        print("all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
