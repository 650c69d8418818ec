"""Monthly rollups of the paid orders, kept up to date by the database itself.

Reports, the month closing and the reminder audience need, per month, each ASN's counted spend,
each shop's paid sales and the spend per category. At a province's scale (2.5 M orders a month)
reading them from the orders takes tens of seconds (docs/scale.md); these tables hold the sums:

- `quota_spend_months` (month, nip): the total of the orders that count toward the minimum
  (`counts_for_quota`, a buyer NIP) paid in the month;
- `shop_sales_months` (month, merchant_id): the number and total of the shop's paid orders;
- `product_sales_months` (month, product_id): the number and amount of the paid orders' lines
  per product (0: a line whose product is gone).

"Paid in the month": status in `PAID_STATUSES` and `paid_at` in the month of the rollups' clock,
a fixed UTC offset (`ROLLUP_UTC_OFFSET`, WIB). Services read them only for a time zone with that
offset all month (`rollups_serve`); any other time zone reads the orders as before.

Triggers on `orders` and `order_items` move the sums in the same transaction as the change:
an order becoming paid, a paid one refunded, its lines changed, an order inserted already paid
(imports, tests) or deleted. Every code path that writes orders is covered, SQL included; only a
load that bypasses triggers (PostgreSQL's `session_replication_role = replica`, as
bench/scale.py does) must call `REBUILD` afterwards. Migration 0013 creates the triggers and
fills the tables from the orders already there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

ROLLUP_UTC_OFFSET = timedelta(hours=7)  # WIB: the month of the rollups
_MINUTES = int(ROLLUP_UTC_OFFSET.total_seconds()) // 60
_PAID = "('paid', 'ready', 'shipped', 'completed')"  # models.enums.PAID_STATUSES


def rollups_serve(tz: ZoneInfo, month: date) -> bool:
    """Whether the rollups' months are `tz`'s calendar months around `month` (its offset is the
    rollups' at both ends of the month, and the zone has no daylight saving then)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    instants = [datetime.combine(d, time(12), tzinfo=tz) for d in (first, following)]
    return all(i.utcoffset() == ROLLUP_UTC_OFFSET and not i.dst() for i in instants)


def _month(dialect: str, row: str) -> str:
    """SQL: the rollup month (a date, the 1st) of `row`'s paid_at."""
    if dialect == "sqlite":
        return f"date({row}.paid_at, '{_MINUTES} minutes', 'start of month')"
    return (
        f"(date_trunc('month', ({row}.paid_at AT TIME ZONE 'UTC') "
        f"+ interval '{_MINUTES} minutes'))::date"
    )


def _paid(row: str) -> str:
    return f"{row}.status IN {_PAID} AND {row}.paid_at IS NOT NULL"


def _add_order(dialect: str, row: str) -> list[str]:
    """Statements adding the paid order `row` (NEW) to the rollups."""
    m = _month(dialect, row)
    return [
        f"""INSERT INTO shop_sales_months (month, merchant_id, orders, sales)
            SELECT {m}, {row}.merchant_id, 1, {row}.total WHERE {_paid(row)}
            ON CONFLICT (month, merchant_id) DO UPDATE
            SET orders = shop_sales_months.orders + excluded.orders,
                sales = shop_sales_months.sales + excluded.sales""",
        f"""INSERT INTO quota_spend_months (month, nip, spent)
            SELECT {m}, {row}.buyer_nip, {row}.total
            WHERE {_paid(row)} AND {row}.counts_for_quota AND {row}.buyer_nip IS NOT NULL
            ON CONFLICT (month, nip) DO UPDATE
            SET spent = quota_spend_months.spent + excluded.spent""",
        f"""INSERT INTO product_sales_months (month, product_id, lines, amount)
            SELECT {m}, coalesce(i.product_id, 0), count(*), sum(i.price * i.quantity)
            FROM order_items AS i WHERE i.order_id = {row}.id AND {_paid(row)}
            GROUP BY coalesce(i.product_id, 0)
            ON CONFLICT (month, product_id) DO UPDATE
            SET lines = product_sales_months.lines + excluded.lines,
                amount = product_sales_months.amount + excluded.amount""",
    ]


def _remove_order(dialect: str, row: str) -> list[str]:
    """Statements taking the paid order `row` (OLD) out of the rollups (rows stay, at zero)."""
    m = _month(dialect, row)
    lines = f"order_items AS i WHERE i.order_id = {row}.id"
    same = "coalesce(i.product_id, 0) = product_sales_months.product_id"
    return [
        f"""UPDATE shop_sales_months SET orders = orders - 1, sales = sales - {row}.total
            WHERE month = {m} AND merchant_id = {row}.merchant_id AND {_paid(row)}""",
        f"""UPDATE quota_spend_months SET spent = spent - {row}.total
            WHERE month = {m} AND nip = {row}.buyer_nip AND {_paid(row)}
              AND {row}.counts_for_quota AND {row}.buyer_nip IS NOT NULL""",
        f"""UPDATE product_sales_months
            SET lines = lines - (SELECT count(*) FROM {lines} AND {same}),
                amount = amount - (SELECT coalesce(sum(i.price * i.quantity), 0)
                                   FROM {lines} AND {same})
            WHERE month = {m} AND {_paid(row)}
              AND product_id IN (SELECT coalesce(i.product_id, 0) FROM {lines})""",
    ]


def _add_line(dialect: str, row: str) -> str:
    """A line `row` (NEW) of an order that is paid, added to the product rollup."""
    return f"""INSERT INTO product_sales_months (month, product_id, lines, amount)
        SELECT {_month(dialect, "o")}, coalesce({row}.product_id, 0), 1,
               {row}.price * {row}.quantity
        FROM orders AS o WHERE o.id = {row}.order_id AND {_paid("o")}
        ON CONFLICT (month, product_id) DO UPDATE
        SET lines = product_sales_months.lines + excluded.lines,
            amount = product_sales_months.amount + excluded.amount"""


def _remove_line(dialect: str, row: str) -> str:
    order = f"(SELECT {{}} FROM orders AS o WHERE o.id = {row}.order_id AND {_paid('o')})"
    return f"""UPDATE product_sales_months
        SET lines = lines - 1, amount = amount - {row}.price * {row}.quantity
        WHERE product_id = coalesce({row}.product_id, 0)
          AND month = {order.format(_month(dialect, "o"))}"""


# The columns whose change moves an order in or out of the rollups, or between their rows.
_ORDER_COLUMNS = "status, paid_at, total, counts_for_quota, buyer_nip, merchant_id"
_LINE_COLUMNS = "order_id, product_id, price, quantity"


def _moved(dialect: str) -> str:
    """SQL: whether an update of an order changes what it adds to the rollups (most steps do
    not: accepted, ready, shipped, completed leave them as they were)."""
    differs = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    paid_old, paid_new = f"({_paid('OLD')})", f"({_paid('NEW')})"
    fields = " OR ".join(
        f"OLD.{c} {differs} NEW.{c}"
        for c in ("paid_at", "total", "counts_for_quota", "buyer_nip", "merchant_id")
    )
    return f"{paid_old} {differs} {paid_new} OR ({paid_new} AND ({fields}))"


def _sqlite_triggers() -> list[str]:
    def trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
        statements = "".join(f"{s};\n" for s in body)
        head = f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}"
        return f"{head}\nBEGIN\n{statements}END"

    d = "sqlite"
    return [
        trigger("rollup_orders_insert", "INSERT", "orders", _add_order(d, "NEW")),
        trigger(
            "rollup_orders_update",
            f"UPDATE OF {_ORDER_COLUMNS}",
            "orders",
            _remove_order(d, "OLD") + _add_order(d, "NEW"),
            f" WHEN {_moved(d)}",
        ),
        trigger("rollup_orders_delete", "DELETE", "orders", _remove_order(d, "OLD")),
        trigger("rollup_lines_insert", "INSERT", "order_items", [_add_line(d, "NEW")]),
        trigger(
            "rollup_lines_update",
            f"UPDATE OF {_LINE_COLUMNS}",
            "order_items",
            [_remove_line(d, "OLD"), _add_line(d, "NEW")],
        ),
        trigger("rollup_lines_delete", "DELETE", "order_items", [_remove_line(d, "OLD")]),
    ]


def _postgres_triggers() -> list[str]:
    def function(name: str, removed: list[str], added: list[str]) -> str:
        old = "".join(f"    {s};\n" for s in removed)
        new = "".join(f"    {s};\n" for s in added)
        return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
{old}  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
{new}  END IF;
  RETURN NULL;
END
$$"""

    d = "postgresql"
    return [
        function("rollup_orders", _remove_order(d, "OLD"), _add_order(d, "NEW")),
        """CREATE TRIGGER rollup_orders AFTER INSERT OR DELETE ON orders
            FOR EACH ROW EXECUTE FUNCTION rollup_orders()""",
        f"""CREATE TRIGGER rollup_orders_update AFTER UPDATE OF {_ORDER_COLUMNS} ON orders
            FOR EACH ROW WHEN ({_moved(d)}) EXECUTE FUNCTION rollup_orders()""",
        function("rollup_lines", [_remove_line(d, "OLD")], [_add_line(d, "NEW")]),
        f"""CREATE TRIGGER rollup_lines
            AFTER INSERT OR UPDATE OF {_LINE_COLUMNS} OR DELETE ON order_items
            FOR EACH ROW EXECUTE FUNCTION rollup_lines()""",
    ]


def create_triggers(dialect: str) -> list[str]:
    """The statements that create the rollups' triggers on `dialect` ("sqlite", "postgresql")."""
    return _sqlite_triggers() if dialect == "sqlite" else _postgres_triggers()


def drop_triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS rollup_{t}_{e}"
            for t in ("orders", "lines")
            for e in ("insert", "update", "delete")
        ]
    return [
        "DROP TRIGGER IF EXISTS rollup_orders ON orders",
        "DROP TRIGGER IF EXISTS rollup_orders_update ON orders",
        "DROP TRIGGER IF EXISTS rollup_lines ON order_items",
        "DROP FUNCTION IF EXISTS rollup_orders()",
        "DROP FUNCTION IF EXISTS rollup_lines()",
    ]


def rebuild(dialect: str) -> list[str]:
    """The statements that compute the rollups anew from the orders (in one transaction)."""
    m = _month(dialect, "o")
    return [
        "DELETE FROM quota_spend_months",
        "DELETE FROM shop_sales_months",
        "DELETE FROM product_sales_months",
        f"""INSERT INTO quota_spend_months (month, nip, spent)
            SELECT {m}, o.buyer_nip, sum(o.total) FROM orders AS o
            WHERE {_paid("o")} AND o.counts_for_quota AND o.buyer_nip IS NOT NULL
            GROUP BY 1, 2""",
        f"""INSERT INTO shop_sales_months (month, merchant_id, orders, sales)
            SELECT {m}, o.merchant_id, count(*), sum(o.total) FROM orders AS o
            WHERE {_paid("o")} GROUP BY 1, 2""",
        f"""INSERT INTO product_sales_months (month, product_id, lines, amount)
            SELECT {m}, coalesce(i.product_id, 0), count(*), sum(i.price * i.quantity)
            FROM order_items AS i JOIN orders AS o ON o.id = i.order_id
            WHERE {_paid("o")} GROUP BY 1, 2""",
    ]


def rollup_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC instants where a rollup month starts and ends (end exclusive)."""
    clock = timezone(ROLLUP_UTC_OFFSET)
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(0), tzinfo=clock).astimezone(UTC),
        datetime.combine(following, time(0), tzinfo=clock).astimezone(UTC),
    )
