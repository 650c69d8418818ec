"""Gettext catalogs (locales/<lang>/LC_MESSAGES/messages.po) for aiogram's I18n.

The .po files are the source of truth and are compiled with Babel into a temporary folder at
start-up, so no binary .mo file is kept in the repository or can go stale.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SUPPORTED_LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def compile_catalogs(source: Path, target: Path) -> None:
    """Compile every <lang>/LC_MESSAGES/*.po under `source` into .mo files under `target`."""
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN)
        out = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


@cache
def get_i18n() -> I18n:
    """aiogram's I18n over catalogs compiled from the .po files at start-up."""
    compiled = Path(tempfile.mkdtemp(prefix="tukulokal-locales-"))
    atexit.register(shutil.rmtree, compiled, ignore_errors=True)
    compile_catalogs(LOCALES_DIR, compiled)
    return I18n(path=compiled, default_locale=DEFAULT_LOCALE, domain=DOMAIN)


def pick_locale(stored: str | None, telegram_language: str | None) -> str:
    """The user's chosen language, else Telegram's language when supported, else Indonesian."""
    if stored in SUPPORTED_LOCALES:
        return stored
    if telegram_language:
        short = telegram_language.split("-")[0].lower()
        if short in SUPPORTED_LOCALES:
            return short
    return DEFAULT_LOCALE


def babel_locale(locale: str) -> str:
    """The Babel locale used for numbers and dates in a UI language."""
    return "id_ID" if locale == "id" else "en_ID"


def translate(message: str, locale: str, **params: object) -> str:
    """Translate outside an update (CLI, scheduler), formatting named placeholders."""
    text = get_i18n().gettext(message, locale=locale)
    return text.format(**params) if params else text
