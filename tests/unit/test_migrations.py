"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL): a
column added to a model without its migration, or the reverse, fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table
from models.db import Database


def _not_search_index(obj: object, name: str | None, type_: str, *_args: object) -> bool:
    # The search index tables are managed by migration 0002 and services/search.py.
    return not (type_ == "table" and name is not None and name.startswith("search_"))


async def test_the_migrated_schema_is_the_models_schema(db: Database) -> None:
    def differences(connection):
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _not_search_index}
        )
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == [], diff
