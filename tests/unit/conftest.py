"""Fixtures shared by the unit tests."""

import pytest

from bot.settings import get_settings


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    """A fresh database file as DATABASE_URL, in a working directory without a .env."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
