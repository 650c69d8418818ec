"""Set translations in a catalog from a JSON object {msgid: msgstr} (plurals: a list).

    .venv/bin/python scripts/add_translations.py id < translations.json

Run scripts/i18n first (it extracts the new msgids); this fills them in, keeping the file's
format as pybabel writes it.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

locale = sys.argv[1]
po = Path(f"locales/{locale}/LC_MESSAGES/messages.po")
pairs = json.load(sys.stdin)
with po.open("rb") as fh:
    catalog = read_po(fh, locale=locale)
unknown = []
for msgid, msgstr in pairs.items():
    message = catalog.get(msgid)
    if message is None:
        # a plural entry is keyed by its singular
        message = next((m for m in catalog if isinstance(m.id, tuple) and m.id[0] == msgid), None)
    if message is None:
        unknown.append(msgid)
        continue
    message.string = tuple(msgstr) if isinstance(msgstr, list) else msgstr
    message.flags.discard("fuzzy")
with po.open("wb") as fh:
    write_po(fh, catalog, width=99 if locale == "en" else 76, omit_header=False, sort_output=True)
if unknown:
    print("not in the catalog (run scripts/i18n first):", *map(repr, unknown), sep="\n  ")
    sys.exit(1)
