"""The logs of a full end-to-end run (registration across a restart, a checkout, the shop's
step) never contain a NIP, a phone number or the token; each update has one JSON record."""

from __future__ import annotations

import io
import json
import logging
import re

from pythonjsonlogger.json import JsonFormatter

from bot.logs import pin_levels
from tests import factories as f
from tests.e2e.conftest import TOKEN
from tests.e2e.helpers import checkout, register_across_a_restart, shop_with_owner

OWNER = 2301


async def test_a_full_run_logs_no_nip_phone_or_token_and_one_record_per_update(app, tg, session):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # as with `tukulokal -v`, stricter than production (INFO)
    pin_levels()  # what setup_logging does in every process
    try:
        shop = await shop_with_owner(session, OWNER, name="Kopi Tlogomas", phone="+6281399998888")
        product = await f.product(session, shop, name="Kopi Dampit", price=40_000, stock=5)
        owner = tg.user(OWNER, first_name="Tin", language_code="en", phone="+6281399998888")
        await owner.start()
        await owner.wait_reply()
        await register_across_a_restart(app, tg, session)  # NIP typed, phone shared
        budi = tg.users[1009]
        summary = await checkout(budi, product.id)
        await budi.click("pay cash", summary)
        await budi.wait_reply(containing="Order placed")
        new = await owner.wait_reply(containing="New order")
        await owner.click("Accept", new)
        await budi.wait_reply(containing="accepted")
        await app.wait_handled()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    secrets = [
        f.PNS_NIP,
        TOKEN,
        TOKEN.split(":", 1)[1],
        "6281234567890",
        "081234567890",
        "81234567890",
        "6281399998888",
        "81399998888",
    ]
    leaked = sorted(
        {
            json.loads(line).get("name", "?")
            for line in text.splitlines()
            for s in secrets
            if s in line
        }
    )
    assert not leaked, f"in the logs: {leaked}"
    assert not re.search(r"\d{18}", text)  # no NIP-shaped number at all
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    per_update = [r for r in records if r.get("message") == "update"]
    handled = {u["update_id"] for u in tg.updates_log}
    assert sorted(r["update_id"] for r in per_update) == sorted(handled)
    for record in per_update:
        assert set(record) >= {"update_id", "user", "handler", "duration_ms", "outcome"}
        assert record["outcome"] in ("handled", "unhandled", "duplicate")
        assert str(record["user"]) not in ("1009", str(OWNER))  # hashed, never the id
    contact = [r for r in per_update if r["handler"] and "contact" in r["handler"].lower()]
    assert contact, [r["handler"] for r in per_update]
