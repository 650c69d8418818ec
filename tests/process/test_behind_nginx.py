"""Two `tukulokal webhook` worker processes on PostgreSQL + Redis behind Debian's nginx, with
the site from deploy/, and fakegram delivering updates by webhook over TLS through it.

Skipped with the reason when nginx, PostgreSQL or Redis are missing, except with
TUKULOKAL_REQUIRE_NGINX=1 (CI), where that is a failure. `scripts/setup --browser` installs
nginx when run as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlmodel import select

from models import Order, Product, User
from models.db import Database
from sandbox.fakegram import FakeTelegram
from tests import factories as f
from tests.e2e.conftest import TOKEN
from tests.e2e.helpers import shop_with_owner

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUIRE = os.environ.get("TUKULOKAL_REQUIRE_NGINX") == "1"
SECRET = "process-test-secret_0123456789"
REDIS_URL = "redis://127.0.0.1:6379/0"
OWNER = 5000

pytestmark = [pytest.mark.process, pytest.mark.slow, pytest.mark.postgres]


def _missing(reason: str) -> None:
    if REQUIRE:
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_config(tmp: Path, listen: int, workers: list[int]) -> Path:
    """deploy/nginx-tukulokal.conf, its addresses and files moved into `tmp`."""
    site = (ROOT / "deploy" / "nginx-tukulokal.conf").read_text()
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.DOTALL)
    site = re.sub(r"    server 127\.0\.0\.1:808\d .*\n", "", site)
    upstream = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in workers
    )
    site = site.replace("    least_conn;\n", "    least_conn;\n" + upstream)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{listen} ssl http2;")
    site = re.sub(r"    listen \[::\]:443.*\n", "", site)
    site = re.sub(r"ssl_certificate +/\S+;", f"ssl_certificate {tmp}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key +/\S+;", f"ssl_certificate_key {tmp}/key.pem;", site)
    site = site.replace("/var/log/nginx/tukulokal.access.log", f"{tmp}/access.log")
    assert "least_conn" in site and "proxy_next_upstream" in site and str(listen) in site
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"daemon off;\nmaster_process on;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n client_body_temp_path {tmp}/body;\n proxy_temp_path {tmp}/proxy;\n"
        f" fastcgi_temp_path {tmp}/fcgi;\n uwsgi_temp_path {tmp}/uwsgi;\n"
        f" scgi_temp_path {tmp}/scgi;\n{site}\n}}\n"
    )
    return conf


def self_signed(tmp: Path) -> ssl.SSLContext:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return ssl.create_default_context(cafile=str(tmp / "cert.pem"))


class Stack:
    def __init__(self, tmp: Path, tg: FakeTelegram, db_url: str, prefix: str) -> None:
        self.tmp, self.tg, self.db_url, self.prefix = tmp, tg, db_url, prefix
        self.listen = _free_port()
        self.ports = [_free_port(), _free_port()]
        self.workers: dict[int, asyncio.subprocess.Process] = {}
        self.nginx: asyncio.subprocess.Process | None = None

    async def start_worker(self, port: int, register: bool) -> None:
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": self.db_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": self.prefix,
            "TELEGRAM_API_URL": self.tg.base_url,
            "WEBHOOK_URL": f"https://127.0.0.1:{self.listen}",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_REGISTER": "true" if register else "false",
            "SCHEDULER_ENABLED": "false",
            "LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
        }
        log = (self.tmp / f"worker-{port}.log").open("ab")
        self.workers[port] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "webhook", "--port", str(port),
            cwd=self.tmp, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip

    async def wait_ready(self, port: int, timeout: float = 180) -> None:
        import aiohttp

        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            return
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(self.logs())
                await asyncio.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-2000:] for p in self.tmp.glob("*.log"))

    async def start(self) -> None:
        conf = nginx_config(self.tmp, self.listen, self.ports)
        self.nginx = await asyncio.create_subprocess_exec(
            NGINX, "-c", str(conf), "-p", str(self.tmp),
            stdout=asyncio.subprocess.DEVNULL, stderr=(self.tmp / "nginx.log").open("ab"),
        )  # fmt: skip
        await asyncio.gather(
            self.start_worker(self.ports[0], register=True),
            self.start_worker(self.ports[1], register=False),
        )
        await asyncio.gather(*(self.wait_ready(p) for p in self.ports))
        for _ in range(100):  # the first worker sets the webhook as it starts
            if self.tg.delivery is not None:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("no webhook set: " + self.logs())

    async def kill(self, port: int) -> None:
        process = self.workers.pop(port)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop(self) -> None:
        for process in self.workers.values():
            process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self.nginx is not None:
            self.nginx.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                await asyncio.wait_for(self.nginx.wait(), 10)
            except TimeoutError:
                self.nginx.kill()
                await self.nginx.wait()


@pytest.fixture
async def stack(tmp_path: Path, pg_db: Database) -> AsyncIterator[tuple[Stack, FakeTelegram]]:
    if not os.path.exists(NGINX):
        _missing("nginx is not installed (scripts/setup --browser installs it as root)")
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        _missing(f"Redis not reachable: {exc!r}")
    context = self_signed(tmp_path)
    tg = FakeTelegram(
        token=TOKEN,
        bot_username="TukuLokalBot",
        webhook_ssl=context,
        allow_http_webhook=True,  # any port for the test's nginx (still https, verified)
        webhook_retry_delay=0.3,
    )
    await tg.start()
    prefix = f"proc-{uuid.uuid4().hex[:10]}"
    stack = Stack(tmp_path, tg, pg_db.url, prefix)
    try:
        await stack.start()
        yield stack, tg
    finally:
        await stack.stop()
        await asyncio.wait_for(tg.stop(), 20)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _sent_text(tg: FakeTelegram, chat_id: int, words: str) -> int:
    return sum(
        1
        for call in tg.requests
        if call.ok and call.chat_id == chat_id and words in str(call.params.get("text", ""))
    )


WAIT = 90  # seconds: updates take a second each on a busy 2-core machine


def _has_button(text: str):
    return lambda m: any(text in b.get("text", "") for row in m.inline_keyboard for b in row)


async def checkout(buyer, product_id: int):
    """tests.e2e.helpers.checkout, with the patience of a busy machine."""
    await buyer.start(f"p{product_id}")
    # The card: with a worker killed, the reply to an earlier update may come twice (sent
    # once by the dying worker, again by the other after nginx passed the update on).
    card = await buyer.wait_reply(predicate=_has_button("Add to cart"), timeout=WAIT)
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id, timeout=WAIT)
    await buyer.send("/keranjang")
    cart = await buyer.wait_reply(containing="Your cart", timeout=WAIT)
    await buyer.click("Checkout", cart)
    return await buyer.wait_reply(containing="Order summary", timeout=WAIT)


async def open_bot(user):
    await user.start()
    return await user.wait_reply(predicate=lambda m: bool(m.inline_keyboard), timeout=WAIT)


def _nip(i: int) -> str:
    return f"198503122010011{i:03d}"


async def _register(tg: FakeTelegram, i: int) -> None:
    user = tg.user(7000 + i, first_name=f"Reg{i}", language_code="en", phone=f"+6281277{i:05d}")
    await open_bot(user)
    await user.click("Register as ASN")
    await user.wait_reply(containing="type your", timeout=WAIT)
    await user.send(_nip(i))
    await user.wait_reply(containing="We will check NIP", timeout=WAIT)
    await user.press("Share my phone number")
    assert "Registered" in (await user.wait_reply(timeout=WAIT)).text


async def _shop(tg: FakeTelegram, i: int, product_id: int) -> None:
    user = tg.user(8000 + i, first_name=f"Buyer{i}", language_code="en")
    await user.send("kopi")
    assert "Kopi Dampit" in (await user.wait_reply(containing="🔎", timeout=WAIT)).text
    summary = await checkout(user, product_id)
    await user.click("pay cash", summary)
    await user.wait_reply(containing="Order placed", timeout=WAIT)


@pytest.mark.parametrize("kill", [False, True], ids=["both-alive", "one-killed"])
async def test_fifty_users_through_nginx(stack, pg_db: Database, kill: bool):
    stack_, tg = stack
    async with pg_db.session() as session:
        shop = await shop_with_owner(session, OWNER, name="Kopi Tlogomas")
        product = await f.product(session, shop, name="Kopi Dampit", price=40_000, stock=100)
        last = await f.product(session, shop, name="Kue Terakhir", price=10_000, stock=1)
        for i in range(1, 25):  # in the roster, to register
            await f.roster(session, _nip(i), name=f"Reg {i}", phone=f"+6281277{i:05d}")
        for i in range(1, 26):  # already registered, shopping
            await f.asn_user(session, 8000 + i, nip=_nip(100 + i), phone=f"+6281288{i:05d}")
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)

    async def kill_midway() -> None:
        if not kill:
            return
        while sum(1 for o in tg.updates_log if "message" in o) < 60:
            await asyncio.sleep(0.05)
        await stack_.kill(stack_.ports[1])

    await asyncio.gather(
        *(_register(tg, i) for i in range(1, 25)),
        *(_shop(tg, i, product.id) for i in range(1, 26)),
        kill_midway(),
    )
    async with pg_db.session() as session:
        orders = (await session.exec(select(Order))).all()
        registered = (await session.exec(select(User).where(User.nip != None))).all()  # noqa: E711
        stock = (await session.get(Product, product.id)).stock
    assert len(orders) == 25 and stock == 75  # nothing created twice, nothing lost
    assert len({o.buyer_id for o in orders}) == 25
    assert all(_sent_text(tg, 8000 + i, "Order placed") == 1 for i in range(1, 26))
    assert len(registered) == 24 + 25
    # Two buyers tap "pay cash" for the last unit at the same moment: one order.
    first, second = (tg.user(9001 + k, first_name=f"Last{k}", language_code="en") for k in (0, 1))
    async with pg_db.session() as session:
        for k, who in enumerate((first, second)):
            await f.asn_user(session, who.id, nip=_nip(300 + k), phone=f"+6281299{k:05d}")
    buyers = (first, second)
    summaries = await asyncio.gather(*(checkout(who, last.id) for who in buyers))
    taps = await asyncio.gather(
        *(w.click("pay cash", s) for w, s in zip(buyers, summaries, strict=True))
    )
    answers = [
        (await w.wait_answer(tap, timeout=WAIT)).get("text") or ""
        for w, tap in zip(buyers, taps, strict=True)
    ]
    placed = [_sent_text(tg, w.id, "Order placed") for w in buyers]
    assert sorted(placed) == [0, 1], (placed, answers)
    loser = buyers[placed.index(0)]
    assert "Kue Terakhir is sold out" in answers[buyers.index(loser)], answers
    async with pg_db.session() as session:
        assert (await session.get(Product, last.id)).stock == 0
