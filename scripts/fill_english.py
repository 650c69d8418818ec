"""English is the source language: fill empty English entries with their msgid."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

po = Path("locales/en/LC_MESSAGES/messages.po")
with po.open("rb") as fh:
    catalog = read_po(fh)
for message in catalog:
    if isinstance(message.id, tuple | list):  # a plural: singular and plural forms
        if not all(message.string):
            message.string = tuple(message.id)
    elif message.id and not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with po.open("wb") as fh:
    write_po(fh, catalog, width=99, omit_header=False, sort_output=True)
