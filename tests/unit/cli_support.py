"""Running `tukulokal` commands against a SQLite file, as an administrator would."""

import asyncio

from sqlmodel import select

from models.db import Database


def rows(url, model):
    """Every row of `model` in the database at `url`."""

    async def read():
        db = Database(url)
        try:
            async with db.session() as session:
                return (await session.exec(select(model))).all()
        finally:
            await db.dispose()

    return asyncio.run(read())
