"""`tukulokal close-month`, run as an administrator would (SQLite file)."""

import asyncio

import pytest
from sqlmodel import select

from bot.cli import main
from bot.settings import get_settings
from models import MonthClosing, MonthResult
from models.db import Database


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _rows(url, model):
    async def read():
        db = Database(url)
        try:
            async with db.session() as session:
                return (await session.exec(select(model))).all()
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_close_month_records_once_and_reruns_on_request(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,nama,opd,golongan\n"
        "198503122010011001,Budi Santoso,Diskominfo,III/a\n"
        "200012312024211001,Sri Wahyuni,Dinas Kesehatan,PPPK IX\n",
        encoding="utf-8",
    )
    assert main(["import-roster", str(roster)]) == 0
    capsys.readouterr()
    assert main(["close-month", "2024-01"]) == 0
    assert "Closed 2024-01: 2 ASN recorded, 0 met the minimum, 0 exempt." in (
        capsys.readouterr().out
    )
    assert len(_rows(cli_db, MonthResult)) == 2
    assert main(["close-month", "2024-01"]) == 0
    assert "was already closed" in capsys.readouterr().out
    assert main(["close-month", "2024-01", "--rerun"]) == 0
    assert "Closed 2024-01" in capsys.readouterr().out
    assert len(_rows(cli_db, MonthClosing)) == 1 and len(_rows(cli_db, MonthResult)) == 2
    assert main(["close-month", "2199-01"]) == 2
    assert "cannot be closed before its deadline" in capsys.readouterr().out
    assert main(["close-month", "januari"]) == 2
