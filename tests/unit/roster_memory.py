"""`python -m tests.unit.roster_memory ROWS`: import a roster of ROWS rows into a fresh SQLite
database and print, as JSON, what was created and how far the process's peak memory (maximum
resident set) rose during the import (a process of its own: nothing before it counts)."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
from pathlib import Path

from models.db import Database
from models.migrate import upgrade
from services.importer import import_roster
from tests.unit.test_hostile_input import TODAY, _roster_of


async def main(rows: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="tukulokal-roster-"))
    db = Database(f"sqlite+aiosqlite:///{folder}/roster.db")
    await upgrade(db.engine)
    data = _roster_of(rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    async with db.session() as session:
        result = await import_roster(session, data, today=TODAY)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await db.dispose()
    rise = (after - before) / 1024
    return {"created": result.created, "file_mb": len(data) / 2**20, "rise_mb": rise}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1])))))
