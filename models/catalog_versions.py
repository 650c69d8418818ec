"""The catalog's versions, moved by the database itself with every change a screen can show.

`catalog_versions` has one row (id 1) with two counters:

- `catalog`: +1 with every insert, update or delete of a product, shop (merchant), category
  or certificate: what a category page or a product card shows (names, prices, stock, hidden
  or deleted products, photos, shops' names, status, suspension, open or closed, badges);
- `sales`: +1 with every change of the shops' monthly sales (`shop_sales_months`, itself kept
  by the rollups' triggers on orders, models/rollups.py): what the fair order of a category
  page depends on (a shop's band, its cap).

Screens rendered for one version can then be reused until it moves (bot process caches,
`services.screens`). Triggers cover every code path, SQL included; a load that bypasses
triggers (PostgreSQL's replica mode) must bump them (`BUMP`), as it rebuilds the rollups.

On SQLite the triggers run as the row changes (SQLite has one writer at a time). On
PostgreSQL they are constraint triggers deferred to the commit: the counter's row is then the
last lock a transaction takes, held only while it commits, so writers of products and shops
neither wait on each other longer nor deadlock over it. Either way the counter moves in the
transaction of the change: whoever sees the new version sees the change (a reader reads the
version first, then the data).
"""

from __future__ import annotations

# Table -> counter it moves.
WATCHED = {
    "products": "catalog",
    "merchants": "catalog",
    "categories": "catalog",
    "certifications": "catalog",
    "shop_sales_months": "sales",
}
COUNTERS = ("catalog", "sales")


def bump(counter: str) -> str:
    """SQL: move one counter (creating the row when it is missing, e.g. after a truncate)."""
    other = next(c for c in COUNTERS if c != counter)
    return (
        f"INSERT INTO catalog_versions (id, {counter}, {other}) VALUES (1, 1, 0) "
        f"ON CONFLICT (id) DO UPDATE SET {counter} = catalog_versions.{counter} + 1"
    )


BUMP = [bump(counter) for counter in COUNTERS]


def _sqlite_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER catalog_version_{table}_{event.lower()} AFTER {event} ON {table} "
        f"FOR EACH ROW BEGIN {bump(counter)}; END"
        for table, counter in WATCHED.items()
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def _postgres_triggers() -> list[str]:
    statements = []
    for counter in COUNTERS:
        statements.append(
            f"""CREATE OR REPLACE FUNCTION catalog_version_{counter}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  {bump(counter)};
  RETURN NULL;
END
$$"""
        )
    for table, counter in WATCHED.items():
        statements.append(
            f"""CREATE CONSTRAINT TRIGGER catalog_version_{table}
            AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION catalog_version_{counter}()"""
        )
    return statements


def create_triggers(dialect: str) -> list[str]:
    """The statements that create the versions' triggers on `dialect`."""
    return _sqlite_triggers() if dialect == "sqlite" else _postgres_triggers()


def drop_triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS catalog_version_{table}_{event}"
            for table in WATCHED
            for event in ("insert", "update", "delete")
        ]
    return [
        *(f"DROP TRIGGER IF EXISTS catalog_version_{table} ON {table}" for table in WATCHED),
        *(f"DROP FUNCTION IF EXISTS catalog_version_{counter}()" for counter in COUNTERS),
    ]
