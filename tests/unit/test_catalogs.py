"""The gettext catalogs are complete and every translation is safe to send.

A translation that is missing, fuzzy, loses or renames a ``{placeholder}``, or breaks Telegram's
HTML parse mode only shows up at runtime, in front of a user, as English text, a KeyError or
"can't parse entities". These checks read the .po files directly (no compiled .mo needed).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from sandbox.fakegram.formatting import ParseError, parse_html

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("id", "en")
# Telegram's HTML parse mode, as the product uses it (no custom emoji)
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "span",
        "tg-spoiler", "blockquote",
    }
)  # fmt: skip
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


@cache
def _catalog(locale: str) -> Catalog:
    path = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _messages(locale: str) -> list[Message]:
    return [m for m in _catalog(locale) if m.id]


def _pairs(message: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs; plural forms are checked against the plural msgid."""
    if isinstance(message.id, tuple | list):
        singular, plural = message.id[0], message.id[1]
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        return [(singular if i == 0 else plural, s or "") for i, s in enumerate(strings)]
    return [(message.id, message.string or "")]


def _fields(text: str) -> set[str]:
    """Names of the str.format fields in text (``{name}``, ``{name:spec}``, ``{name.attr}``)."""
    names = set()
    for _, field, _, _ in Formatter().parse(text):
        if field is not None:
            names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
    return names


class _Dummy:
    """A stand-in value that survives any format spec, attribute or index access."""

    def __format__(self, spec: str) -> str:
        return "1"

    def __getattr__(self, name: str) -> _Dummy:
        return self

    def __getitem__(self, key: object) -> _Dummy:
        return self


def _format(text: str) -> str:
    return text.format(**{name: _Dummy() for name in _fields(text) if name})


def _is_format_string(source: str) -> bool:
    try:
        return bool(_fields(source))
    except ValueError:  # a lone brace: a literal text, never formatted
        return False


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_exists_and_is_not_empty(locale: str) -> None:
    assert _messages(locale), f"locales/{locale}: no messages"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated_and_not_fuzzy(locale: str) -> None:
    problems = []
    for message in _messages(locale):
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif any(not translation for _, translation in _pairs(message)):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, _report(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_the_source(locale: str) -> None:
    problems = []
    for message in _messages(locale):
        for source, translation in _pairs(message):
            if not translation or not _is_format_string(source):
                continue
            try:
                found = _fields(translation)
            except ValueError as exc:
                problems.append(f"{source!r}: bad braces in {translation!r} ({exc})")
                continue
            if found != _fields(source):
                problems.append(
                    f"{source!r}: placeholders {sorted(found)} in {translation!r}, "
                    f"expected {sorted(_fields(source))}"
                )
    assert not problems, _report(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_format_with_their_placeholders(locale: str) -> None:
    problems = []
    for message in _messages(locale):
        for source, translation in _pairs(message):
            if not translation or not _is_format_string(source):
                continue
            try:
                _format(translation)
            except (KeyError, IndexError, ValueError) as exc:
                problems.append(f"{translation!r}: {type(exc).__name__}: {exc}")
    assert not problems, _report(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_html_parses_as_telegram_html(locale: str) -> None:
    problems = []
    for message in _messages(locale):
        for source, translation in _pairs(message):
            if not translation:
                continue
            format_string = _is_format_string(source)
            try:
                parse_html(_format(source) if format_string else source)
            except ParseError:
                continue  # the source is plain text, sent escaped: no HTML to keep
            tags = [tag.lower() for tag in _TAG.findall(translation)]
            if unknown := sorted(set(tags) - ALLOWED_TAGS):
                problems.append(f"{translation!r}: tags {unknown} are not allowed")
                continue
            source_tags = Counter(tag.lower() for tag in _TAG.findall(source))
            if Counter(tags) != source_tags:
                problems.append(
                    f"{translation!r}: tags {sorted(Counter(tags).elements())}, "
                    f"the source has {sorted(source_tags.elements())}"
                )
                continue
            try:
                parse_html(_format(translation) if format_string else translation)
            except (ParseError, KeyError, IndexError, ValueError) as exc:
                problems.append(f"{translation!r}: {exc}")
    assert not problems, _report(problems)


@cache
def _source_msgids() -> frozenset[str]:
    """Every msgid the code passes to gettext, extracted as ``scripts/i18n`` does."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "__": None}
    ids = set()
    for _, _, msgid, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords):
        ids.add(msgid[0] if isinstance(msgid, tuple) else msgid)
    return frozenset(ids)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_in_the_code_is_in_the_catalog(locale: str) -> None:
    known = {m.id[0] if isinstance(m.id, tuple | list) else m.id for m in _messages(locale)}
    missing = sorted(_source_msgids() - known)
    assert not missing, "run scripts/i18n, then translate:\n" + "\n".join(map(repr, missing))
