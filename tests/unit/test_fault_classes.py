"""Which failures the bot retries, and which it takes for the database being away."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiohttp import ClientConnectorError, ServerDisconnectedError
from aiohttp.client_reqrep import ConnectionKey
from sqlalchemy.exc import IntegrityError, OperationalError

from delivery.sender import not_carried_out, safe_to_retry
from models.db import unavailable

SEND = SendMessage(chat_id=1, text="x")
EDIT = EditMessageText(chat_id=1, message_id=1, text="x")
ANSWER = AnswerCallbackQuery(callback_query_id="1")


def network(cause: BaseException) -> TelegramNetworkError:
    try:
        raise TelegramNetworkError(method=SEND, message=str(cause)) from cause
    except TelegramNetworkError as exc:
        return exc


def refused() -> ClientConnectorError:
    key = ConnectionKey("127.0.0.1", 9, False, True, None, None, None)
    return ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize(
    ("exc", "sent_again"),
    [
        (TelegramServerError(method=SEND, message="Internal Server Error"), True),
        (TelegramServerError(method=SEND, message="Bad Gateway"), True),
        (TelegramServerError(method=SEND, message="Gateway Timeout"), False),  # may have gone
        (network(refused()), True),  # never reached Telegram
        (network(ServerDisconnectedError()), False),  # the answer was lost
        (network(TimeoutError()), False),
    ],
)
def test_a_message_is_sent_again_only_if_it_certainly_did_not_go_out(exc, sent_again):
    assert not_carried_out(exc) is sent_again
    assert safe_to_retry("sendMessage", exc) is sent_again
    # Edits and callback answers change nothing when repeated: always retried.
    assert safe_to_retry("editMessageText", exc)
    assert safe_to_retry("answerCallbackQuery", exc)


def test_other_errors_are_never_retried():
    assert not safe_to_retry("editMessageText", ValueError("x"))


def _wrapped(cause: BaseException) -> OperationalError:
    try:
        raise OperationalError("SELECT 1", {}, cause) from cause
    except OperationalError as exc:
        return exc


class CannotConnectNowError(Exception):  # asyncpg's, by name and module
    __module__ = "asyncpg.exceptions"


class ConnectionError(Exception):
    __module__ = "redis.exceptions"


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        _wrapped(CannotConnectNowError("the database system is starting up")),
        ConnectionError("Error 111 connecting to 127.0.0.1:6390"),
    ],
)
def test_the_store_being_away_is_recognised(exc):
    assert unavailable(exc)


def test_a_refused_statement_is_not_the_store_being_away():
    assert not unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not unavailable(ValueError("bad"))
