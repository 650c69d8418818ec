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
ranking off and on, and only what the list shows them differs. Each of several catalogs (seeds)
is run: which products happen to head the old order decides a lot, and one catalog alone says
more about its luck than about the ranking.

Two kinds of shoppers: those who only browse (as above), and those who, still short of the
minimum after 6 purchases, close the rest with "close my gap" (services.gap.propose, the bot's
own proposal: "My quota", "Close my gap", "Put all in the cart": 3 taps), in both modes alike.

Printed per catalog and mode: the share of spend of the top 10% of shops, the Gini coefficient
of spend per shop, the shops with no sale, and taps to the minimum (mean, 95th percentile, max).
Then the paired comparison over all catalogs, ASN by ASN: how many need more taps with ranking
on, the mean, 95th percentile and max of the extra taps of those, and why (more purchases: the
products their draws landed on were cheaper; or more picks on page 2). As a yardstick the same
comparison between the old order and the old order reversed (the same kind of list, arranged
otherwise): how many ASN need more taps when nothing but the arrangement changes.

Targets: in every catalog top-10% share at least 30% lower with ranking on and shops with no
sale <= 5%; no more taps to the minimum with ranking on (mean and 95th percentile: the
difference on - off over the catalogs is not above two standard errors); no more ASN needing
more taps with ranking on than with the reversed old order. "No single ASN needs more taps" is
not a target any ranking can meet in this model: see bench/NOTES.md. Exit status 1 when a
target is missed. About 6 minutes with 10 catalogs (`--catalogs 1` for a quick look).

    .venv/bin/python bench/fairness.py [--asn 7000] [--seed 1] [--catalogs 10]
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
from services.gap import MAX_QUANTITY, _Offer, propose

SHOPS = 300
POPULAR = 20
CATEGORIES = 8
PRODUCTS_PER_SHOP = 5
PAGE = 8
PAGES_LOOKED_AT = 2
MINIMUM = 500_000
POPULAR_WEIGHT = 8.0
MONTH = date(2026, 11, 1)
GAP_AFTER = 6  # the typical number of purchases to the minimum
GAP_TAPS = 3  # "My quota", "Close my gap", "Put all in the cart"


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


def simulate(order: str, asn: int, seed: int, gap_after: int = 0) -> Outcome:
    """A month with `order`: "off" (the old order), "reversed" (the old order backwards, the
    yardstick) or "on" (the fair order). With `gap_after`, an ASN still short of the minimum
    after that many purchases closes the rest with "close my gap" (the bot's own proposal)."""
    rng = random.Random(seed)
    items = catalog(rng)
    popular = set(rng.sample(range(SHOPS), POPULAR))
    by_category: dict[int, list[Item]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    sales: dict[int, int] = {}
    orders: dict[int, int] = {}
    policy = FairnessPolicy(monthly_cap=0, ranking=True)
    gap_policy = FairnessPolicy(monthly_cap=0, ranking=order == "on")
    offers = [
        _Offer(i.product_id, i.name, None, i.price, "pcs", MAX_QUANTITY, i.shop, f"S{i.shop}", "")
        for i in items
    ]
    shoppers = []
    cache: dict[tuple[int, int], list[Item]] = {}
    for number in range(asn):
        shopper_rng = random.Random(f"{seed}:{number}")  # the same draws in every mode
        day = MONTH + timedelta(days=number * 30 // asn)
        now = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
        spent, taps, purchases, page_two = 0, 0, 0, 0
        while spent < MINIMUM:
            if gap_after and purchases >= gap_after:
                standing = Standing(MONTH, day, dict(sales), SHOPS, gap_policy, now, dict(orders))
                proposal = propose(offers, MINIMUM - spent, standing, None)
                if proposal.closes:
                    taps += GAP_TAPS
                    for line in proposal.lines:
                        sales[line.merchant_id] = sales.get(line.merchant_id, 0) + line.amount
                        orders[line.merchant_id] = orders.get(line.merchant_id, 0) + 1
                    spent += proposal.total
                    break
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


@dataclass(frozen=True)
class Catalog:
    """The three runs of one catalog (one seed)."""

    seed: int
    off: Outcome
    on: Outcome
    reversed: Outcome


def pooled(outcomes: list[Outcome]) -> Outcome:
    """The shoppers of several runs side by side (shop figures are per run, left empty)."""
    return Outcome(0.0, 0.0, 0, [s for outcome in outcomes for s in outcome.shoppers])


def mean_and_error(values: list[float]) -> tuple[float, float]:
    """The mean and its standard error (0 with a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, (variance / len(values)) ** 0.5


def report_catalogs(asn: int, catalogs: list[Catalog]) -> None:
    print(f"{asn} ASN, {SHOPS} shops ({POPULAR} popular), minimum Rp{MINIMUM:,}; per catalog:")
    print(
        f"{'seed':>4}{'top10% off':>11}{'on':>7}{'Gini off':>9}{'on':>7}{'no sale off':>12}"
        f"{'on':>4}{'taps off':>9}{'on':>7}{'p95 off':>8}{'on':>4}{'max off':>8}{'on':>4}"
    )
    for c in catalogs:
        off, on = c.off, c.on
        print(
            f"{c.seed:>4}{off.top10_share:>11.1%}{on.top10_share:>7.1%}{off.gini:>9.3f}"
            f"{on.gini:>7.3f}{off.no_sale:>12}{on.no_sale:>4}{mean(off.taps):>9.2f}"
            f"{mean(on.taps):>7.2f}{percentile(off.taps, 0.95):>8}{percentile(on.taps, 0.95):>4}"
            f"{max(off.taps):>8}{max(on.taps):>4}"
        )


def mean(values: list[int]) -> float:
    return sum(values) / len(values)


def report_paired(yardstick: Paired, fair: Paired, asn: int) -> None:
    print()
    print(f"ASN by ASN (same ASN, same draws), {asn:,} ASN-months")
    print(f"{'':32}{'off->reversed':>14}{'off->on':>10}")
    for label, name in (
        ("ASN needing more taps", "more"),
        ("ASN needing fewer taps", "fewer"),
        ("  of the first: more purchases", "more_purchases"),
        ("  same purchases, more page 2", "more_page_two"),
    ):
        print(f"{label:32}{getattr(yardstick, name):>14}{getattr(fair, name):>10}")
    print(
        f"{'extra taps of those (mean)':32}{yardstick.extra_mean:>14.2f}{fair.extra_mean:>10.2f}"
    )
    print(f"{'extra taps (95th percentile)':32}{yardstick.extra_p95:>14}{fair.extra_p95:>10}")
    print(f"{'extra taps (max)':32}{yardstick.extra_max:>14}{fair.extra_max:>10}")


def targets(catalogs: list[Catalog], yardstick: Paired, fair: Paired) -> list[str]:
    missed = []
    for c in catalogs:
        if c.on.top10_share > 0.7 * c.off.top10_share:
            missed.append(f"seed {c.seed}: top-10% share not 30% lower")
        if c.on.no_sale > 0.05 * SHOPS:
            missed.append(f"seed {c.seed}: more than 5% of shops without a sale")
    # Taps with the ranking on minus off, catalog by catalog: more only if the difference
    # stands out of the catalogs' spread (two standard errors).
    for label, figure in (
        ("mean", lambda o: mean(o.taps)),
        ("95th percentile", lambda o: float(percentile(o.taps, 0.95))),
    ):
        difference, error = mean_and_error([figure(c.on) - figure(c.off) for c in catalogs])
        print(f"taps to the minimum, on - off ({label}): {difference:+.2f} ± {error:.2f}")
        if difference > 2 * error:
            missed.append(f"more taps to the minimum ({label})")
    if fair.more > yardstick.more:
        missed.append("more ASN need more taps than with the old order reversed")
    return missed


def run(asn: int, seeds: range, gap_after: int) -> list[str]:
    """Every catalog off, on and reversed; prints the figures, returns the targets missed."""
    catalogs = [
        Catalog(
            seed,
            simulate("off", asn, seed, gap_after),
            simulate("on", asn, seed, gap_after),
            simulate("reversed", asn, seed, gap_after),
        )
        for seed in seeds
    ]
    off = pooled([c.off for c in catalogs])
    yardstick = paired(off, pooled([c.reversed for c in catalogs]))
    fair = paired(off, pooled([c.on for c in catalogs]))
    report_catalogs(asn, catalogs)
    report_paired(yardstick, fair, len(off.shoppers))
    print()
    return targets(catalogs, yardstick, fair)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asn", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catalogs", type=int, default=10, help="seeds seed, seed+1, ...")
    args = parser.parse_args()
    seeds = range(args.seed, args.seed + args.catalogs)
    missed = []
    for label, gap_after in (
        ("Shoppers who only browse", 0),
        (
            f"Shoppers who close the rest with 'close my gap' after {GAP_AFTER} purchases",
            GAP_AFTER,
        ),
    ):
        print(f"== {label}")
        missed += [f"{label}: {miss}" for miss in run(args.asn, seeds, gap_after)]
        print()
    for miss in missed:
        print(f"MISSED: {miss}")
    if not missed:
        print("all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
