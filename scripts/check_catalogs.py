"""Report untranslated or fuzzy entries in the catalogs; exit 1 if any."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po

missing = 0
for po in sorted(Path("locales").glob("*/LC_MESSAGES/messages.po")):
    with po.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if not all(forms) or message.fuzzy:
            missing += 1
            print(f"{po}: untranslated: {message.id!r}")
print(f"{missing} untranslated entries")
sys.exit(1 if missing else 0)
